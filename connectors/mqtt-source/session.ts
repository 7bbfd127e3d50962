/**
 * A small MQTT subscriber session written on mqtt-packet (the codec MQTT.js itself uses), built for one job: take
 * messages in, and acknowledge each only after Kafka has its record, in arrival order.
 *
 * Why not MQTT.js: it reads the next packet only after the previous one's ack was written and sends the PUBACK when
 * `handleMessage` calls back, so holding acks for Kafka serialises the stream to one message per Kafka round trip
 * (95 msg/s measured); it sends PUBREC for QoS 2 on receipt, before anyone has the message; and getting around both
 * means intercepting private internals (`_sendPacket`, whose signature changed within 5.x) and purging its offline
 * queue of stale acks on reconnect. Owning ~800 lines of session code (this file and the four helpers named below)
 * with no private API is the safer trade: the ordered release queue ({@link AckLedger}), QoS 2 state, keepalive,
 * back-off and failover are all here, and the integration tests run it against a real Mosquitto.
 *
 * Back-pressure: at most `maxInFlight` messages are admitted and unacknowledged. When the window is full the
 * session stops reading from the socket (the broker keeps the rest queued) — Mosquitto stops honouring MQTT 5
 * Receive Maximum once acks flow, so the announced Receive Maximum alone is not enough.
 *
 * Around the state kept here: packets.ts (what is written), keepalive.ts (PINGREQ schedule), dial.ts (the socket),
 * ack-ledger.ts (the ordered release queue) and redial.ts (failover, and the back-off mqtt-common shares with the sink).
 *
 * States ({@link SessionState}): idle → connecting → connected; a lost or refused connection → waiting (back-off,
 * then the next server of the list: failover) → connecting …; stop() from any state → stopped, for good.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import mqttPacket from 'mqtt-packet';
import type { IConnackPacket, IPublishPacket, ISubackPacket, IUnsubackPacket, Packet } from 'mqtt-packet';
import { AckBatch } from './ack-batch';
import { AckLedger, type ReleasedAck, type Slot } from './ack-ledger';
import { dial, hangUp, serverLabel } from './dial';
import { Keepalive } from './keepalive';
import { PacketGate } from './packet-gate';
import { Redial } from './redial';
import {
  brokerDisconnect,
  connackRefusal,
  connectPacket,
  encode,
  encodeAcks,
  inboundMessage,
  oversizedStandIn,
} from './packets';
import { describeSuback } from './suback';
import type { Complete, MessageHandler, SessionEvents, SessionOptions, SessionState } from './session-types';
import { SessionSubscriptions } from './subscriptions';

export class SubscriberSession extends EventEmitter<SessionEvents> {
  private readonly ledger = new AckLedger();
  protected stateNo: SessionState = 'idle';
  protected socket: net.Socket | undefined;
  private parser: ReturnType<typeof mqttPacket.parser> | undefined;
  /** Parsed PUBLISH packets not yet admitted because the window is full (at most one socket read's worth). */
  private backlog: IPublishPacket[] = [];
  private backlogHead = 0;
  private draining = false;
  private paused = false;
  /** Cleared by stopAdmitting(): no PUBLISH is handed over any more, acks still go out. */
  private admitting = true;
  private readonly redial: Redial;
  protected readonly subs: SessionSubscriptions;
  private connectTimer: NodeJS.Timeout | undefined;
  private readonly keepalive = new Keepalive({
    ping: () => this.write({ cmd: 'pingreq' }),
    dead: (reason) => {
      if (this.socket) this.onConnectionLost(this.socket, reason);
    },
  });
  private nextPacketId = 1;
  private lastErr: Error | undefined;
  /** Acks released since the last flush, and the connection they belong to. */
  protected readonly acks = new AckBatch((socket, acks) => {
    if (socket !== this.socket || socket.destroyed || this.stateNo !== 'connected') return;
    this.keepalive.lastWriteMs = Date.now();
    socket.write(encodeAcks(acks));
    this.emit('acknowledged', acks.length);
  });

  constructor(
    private readonly opts: SessionOptions,
    private readonly onMessage: MessageHandler,
  ) {
    super();
    if (opts.servers.length === 0) throw new Error('no MQTT server given');
    if (opts.maxInFlight < 1) throw new Error('maxInFlight must be at least 1');
    this.redial = new Redial(opts.servers, opts.reconnectMinMs, opts.reconnectMaxMs);
    this.subs = new SessionSubscriptions(opts);
  }

  get state(): SessionState {
    return this.stateNo;
  }

  /** Messages admitted and not yet acknowledged. */
  get inFlight(): number {
    return this.ledger.inFlight;
  }

  /** The last connection error, cleared by a successful connect; for task status. */
  get lastError(): Error | undefined {
    return this.lastErr;
  }

  /** Starts connecting (in the background); a failed attempt is retried with back-off until stop(). */
  start(): void {
    if (this.stateNo !== 'idle') return;
    this.connect();
  }

  /**
   * A graceful stop's first step: admit and read nothing more (the broker redelivers what was read, not admitted),
   * but keep acking admitted messages as Kafka takes them. A lost connection is not re-established; stop() follows.
   */
  stopAdmitting(): void {
    if (!this.admitting) return;
    this.admitting = false;
    this.redial.cancel();
    if (this.socket && !this.paused) this.setPaused(true);
  }

  /** Disconnects for good; held acks are dropped (the broker redelivers them to this client id's next session). */
  async stop(): Promise<void> {
    if (this.stateNo === 'stopped') return;
    // Acks already released (their records are in Kafka) go out before the DISCONNECT, saving redeliveries.
    if (this.stateNo === 'connected') this.acks.flush();
    this.stateNo = 'stopped';
    this.redial.cancel();
    const socket = this.socket;
    this.teardown();
    this.ledger.newEpoch(true);
    if (!socket || socket.destroyed) return;
    // A normal DISCONNECT keeps the persistent session (and its undelivered queue) on the broker.
    await hangUp(socket, () => encode({ cmd: 'disconnect' }, this.opts.protocolVersion));
  }

  /** Drops the connection (as a network failure would) and reconnects after back-off; for failures and tests. */
  dropConnection(reason: Error): void {
    if (this.stateNo === 'stopped' || !this.socket) return;
    this.onConnectionLost(this.socket, reason);
  }

  private connect(): void {
    const server = this.redial.server;
    if (!server) return;
    this.stateNo = 'connecting';
    const label = serverLabel(server);
    const socket = dial(server, this.opts.tls, this.opts.keepaliveSeconds);
    this.socket = socket;
    const parser = mqttPacket.parser({ protocolVersion: this.opts.protocolVersion });
    this.parser = parser;
    this.backlog = [];
    this.backlogHead = 0;
    this.paused = false;
    this.connectTimer = setTimeout(
      () =>
        this.onConnectionLost(socket, new Error(`no CONNACK from ${label} within ${this.opts.connectTimeoutMs} ms`)),
      this.opts.connectTimeoutMs,
    );

    socket.once(server.tls ? 'secureConnect' : 'connect', () => {
      if (socket !== this.socket) return;
      this.write(connectPacket(this.opts));
    });
    const gate = new PacketGate(this.opts.maxPacketBytes, {
      forward: (bytes) => parser.parse(bytes),
      oversized: (o) => {
        if (socket !== this.socket) return;
        this.backlog.push(oversizedStandIn(o)); // at its place in the stream: its ack keeps arrival order
        this.drain();
      },
      error: (err) => this.onConnectionLost(socket, new Error(`MQTT protocol error from ${label}: ${err.message}`)),
    });
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.socket) return;
      this.keepalive.lastReadMs = Date.now();
      gate.push(chunk);
    });
    parser.on('packet', (packet: Packet) => {
      if (socket !== this.socket) return;
      this.onPacket(packet, label);
    });
    parser.on('error', (err: Error) =>
      this.onConnectionLost(socket, new Error(`MQTT protocol error from ${label}: ${err.message}`)),
    );
    socket.on('error', (err: Error) =>
      this.onConnectionLost(socket, new Error(`MQTT connection to ${label} failed: ${err.message}`, { cause: err })),
    );
    socket.on('close', () => this.onConnectionLost(socket, new Error(`MQTT connection to ${label} closed`)));
  }

  protected onPacket(packet: Packet, label: string): void {
    switch (packet.cmd) {
      case 'connack':
        this.onConnack(packet, label);
        return;
      case 'publish':
        this.backlog.push(packet);
        this.drain();
        return;
      case 'pubrel':
        // QoS 2, step 3: Kafka had the record before our PUBREC; the broker now forgets the message.
        if (packet.messageId !== undefined) {
          this.ledger.released(packet.messageId);
          this.write({ cmd: 'pubcomp', messageId: packet.messageId });
        }
        return;
      case 'suback':
      case 'unsuback':
        this.onSubscriptionAck(packet);
        return;
      case 'pingresp':
        this.keepalive.pong();
        return;
      case 'disconnect':
        if (this.socket) this.onConnectionLost(this.socket, brokerDisconnect(packet.reasonCode, label));
        return;
      default:
        // puback/pubrec/pubcomp/auth: this session never publishes.
        return;
    }
  }

  private onConnack(packet: IConnackPacket, label: string): void {
    const refusal = connackRefusal(packet, label);
    if (refusal) {
      if (this.socket) this.onConnectionLost(this.socket, refusal);
      return;
    }
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.stateNo = 'connected';
    this.redial.connected();
    this.lastErr = undefined;
    const sessionPresent = packet.sessionPresent && !this.opts.cleanStart;
    this.ledger.newEpoch(sessionPresent);
    // The broker may impose its own keep alive (MQTT 5 Server Keep Alive).
    this.keepalive.start(packet.properties?.serverKeepAlive ?? this.opts.keepaliveSeconds);
    // A new session needs the subscriptions; a resumed one gets what its assignment changed (subscriptions.ts).
    for (const p of this.subs.onConnack(sessionPresent, () => this.allocPacketId())) this.write(p);
    this.emit('connected', { server: label, sessionPresent: packet.sessionPresent });
  }

  private onSubscriptionAck(packet: ISubackPacket | IUnsubackPacket): void {
    const { asked, settled } = this.subs.onAck(packet);
    if (packet.cmd === 'suback') {
      const r = describeSuback(asked, packet.granted, this.opts.protocolVersion);
      for (const refused of r.refused) this.emit('subscribeFailed', refused);
      for (const d of r.downgraded) this.emit('subscriptionDowngraded', d);
      if (r.failure) return this.giveUp(r.failure); // going on RUNNING would lose data silently (suback.ts)
      this.emit('subscribed', { topics: r.granted.map((g) => g.topic) });
    }
    if (settled) this.emit('subscriptionsSettled', [...settled]);
  }

  /**
   * Admits backlog PUBLISHes while the window has room; pauses reading when it does not. Not re-entrant: a record
   * completed synchronously inside admit() releases acks, whose writeAcks() would call drain() again on the same
   * backlog; the outer loop re-checks the window after every message instead.
   */
  private drain(): void {
    if (this.draining || !this.admitting) return;
    this.draining = true;
    const backlog = this.backlog;
    try {
      while (this.backlogHead < backlog.length) {
        // QoS 0 takes a slot too (no ack, but the window also bounds memory and records in flight).
        if (this.ledger.inFlight >= this.opts.maxInFlight) break;
        const packet = backlog[this.backlogHead++];
        if (packet) this.admit(packet);
        // A handler that failed synchronously dropped the connection: the backlog belonged to it.
        if (this.backlog !== backlog) return;
      }
    } finally {
      this.draining = false;
    }
    if (this.backlogHead >= backlog.length) {
      this.backlog = [];
      this.backlogHead = 0;
    }
    const full = this.backlog.length > 0;
    if (full && !this.paused) {
      this.setPaused(true);
    } else if (!full && this.paused) {
      this.setPaused(false);
    }
  }

  private admit(packet: IPublishPacket): void {
    const qos = packet.qos;
    const { slot, duplicate } = this.ledger.admit(qos, packet.messageId);
    if (duplicate === 'in-kafka') {
      // QoS 2 resent after our PUBREC: Kafka has it; answer PUBREC again in order, produce nothing.
      this.writeAcks(this.ledger.done(slot));
      return;
    }
    if (duplicate === 'pending') return; // the pending slot's ack answers this resend too
    const message = inboundMessage(packet);
    let called = false;
    const complete: Complete = (err) => {
      if (called) return;
      called = true;
      this.complete(slot, err);
    };
    try {
      this.onMessage(message, complete);
    } catch (err) {
      complete(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private complete(slot: Slot, err: Error | undefined): void {
    if (err) {
      // Never ack it. MQTT redelivers only on a new connection, so drop this one: the broker resends from the first
      // unacknowledged message (later ones that Kafka already has may be written twice: at-least-once).
      if (this.ledger.fail(slot))
        this.dropConnection(new Error(`a record was not delivered: ${err.message}`, { cause: err }));
      return;
    }
    this.writeAcks(this.ledger.done(slot));
  }

  /** Released acks go to the batch of this connection (see {@link AckBatch}); room in the window admits more. */
  private writeAcks(acks: readonly ReleasedAck[]): void {
    if (acks.length > 0 && this.socket && this.stateNo === 'connected') this.acks.add(this.socket, acks);
    if (this.paused || this.backlog.length > 0) this.drain();
  }

  protected write(packet: Packet): void {
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    let bytes: Buffer;
    try {
      bytes = encode(packet, this.opts.protocolVersion);
    } catch (err) {
      // A packet the codec cannot encode (a string over MQTT's 65,535 bytes): every reconnect would fail the same
      // way, so the session gives up and the task fails with the reason.
      this.giveUp(new Error(`cannot encode the MQTT ${packet.cmd} packet: ${(err as Error).message}`, { cause: err }));
      return;
    }
    this.keepalive.lastWriteMs = Date.now();
    socket.write(bytes);
  }

  private giveUp(err: Error): void {
    if (this.stateNo === 'stopped') return;
    this.lastErr = err;
    void this.stop();
    this.emit('failed', err);
  }

  /** Pauses or resumes reading; the keepalive must know, since a paused socket cannot deliver a PINGRESP. */
  private setPaused(paused: boolean): void {
    this.paused = paused;
    this.keepalive.readingPaused = paused;
    if (paused) this.socket?.pause();
    else this.socket?.resume();
  }

  private onConnectionLost(socket: net.Socket, reason: Error): void {
    if (socket !== this.socket) return;
    const wasConnected = this.stateNo === 'connected';
    this.teardown();
    // Pending acks belong to the dead connection: discard them now so no later done() can write them anywhere.
    this.ledger.newEpoch(true);
    if (this.stateNo === 'stopped') return;
    this.lastErr = reason;
    if (!this.admitting) return void (this.stateNo = 'waiting'); // stopping: nothing left to acknowledge
    if (wasConnected) this.emit('disconnected', reason);
    this.emit('connectionError', reason);
    this.scheduleReconnect();
  }

  private teardown(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.parser?.removeAllListeners('packet');
    this.parser = undefined;
    this.backlog = [];
    this.backlogHead = 0;
    this.paused = false;
    this.keepalive.readingPaused = false;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.keepalive.stop();
    if (socket && this.stateNo !== 'stopped') socket.destroy();
  }

  private scheduleReconnect(): void {
    this.stateNo = 'waiting';
    this.redial.schedule(() => {
      if (this.stateNo === 'waiting') this.connect();
    });
  }

  protected allocPacketId(): number {
    const id = this.nextPacketId;
    this.nextPacketId = id >= 65535 ? 1 : id + 1;
    return id;
  }
}
