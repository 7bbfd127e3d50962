/**
 * A small MQTT subscriber session written on mqtt-packet (the codec MQTT.js itself uses), built for one job: take
 * messages in, and acknowledge each only after Kafka has its record, in arrival order.
 *
 * Why not MQTT.js: it reads the next packet only after the previous one's ack was written and sends the PUBACK when
 * `handleMessage` calls back, so holding acks for Kafka serialises the stream to one message per Kafka round trip
 * (95 msg/s measured); it sends PUBREC for QoS 2 on receipt, before anyone has the message; and getting around both
 * means intercepting private internals (`_sendPacket`, whose signature changed within 5.x) and purging its offline
 * queue of stale acks on reconnect. Owning ~400 lines of session code with no private API is the safer trade: the
 * ordered release queue ({@link AckLedger}), QoS 2 state, keepalive, back-off and failover are all here, and the
 * integration tests run it against a real Mosquitto.
 *
 * Back-pressure: at most `maxInFlight` messages are admitted and unacknowledged. When the window is full the
 * session stops reading from the socket (the broker keeps the rest queued) — Mosquitto stops honouring MQTT 5
 * Receive Maximum once acks flow, so the announced Receive Maximum alone is not enough.
 *
 * Keepalive while acks are held: PINGREQ is written on schedule whatever the window does (writes never stop), so
 * the broker keeps the connection. While reads are paused a PINGRESP cannot be read, so the missing-PINGRESP check
 * only runs while reading; a dead peer during a long pause is found by TCP keepalive or by the next write failing.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import mqttPacket from 'mqtt-packet';
import type { IConnackPacket, IPublishPacket, ISubackPacket, Packet } from 'mqtt-packet';
import { AckLedger, type ReleasedAck, type Slot } from './ack-ledger';

// mqtt-packet's encoder otherwise builds, on its first use, a cache of all 65,536 packet ids as 2-byte Buffers: 6 MB
// of heap in every worker, to save one tiny allocation per encoded packet id. (A process-wide switch; the sink's
// mqtt.js client turns it off too, with writeCache: false.)
mqttPacket.writeToStream.cacheNumbers = false;

/** One broker address (failover goes through the list in order). */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

export interface Subscription {
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
}

/** Everything the session needs, resolved (no defaults applied here). */
export interface SessionOptions {
  readonly servers: readonly ServerAddress[];
  /** 4 = MQTT 3.1.1, 5 = MQTT 5. */
  readonly protocolVersion: 4 | 5;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: Buffer;
  /** TLS settings for `mqtts://`/`ssl://` servers (ca, cert, key, rejectUnauthorized, servername). */
  readonly tls?: tls.ConnectionOptions;
  readonly keepaliveSeconds: number;
  readonly connectTimeoutMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly cleanStart: boolean;
  /** MQTT 5 Session Expiry Interval; ignored on 3.1.1 (the broker's setting applies). */
  readonly sessionExpirySeconds: number;
  /** Messages admitted and not yet acknowledged, at most. */
  readonly maxInFlight: number;
  readonly subscriptions: readonly Subscription[];
}

/** A message as the session hands it over. */
export interface InboundMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly dup: boolean;
  readonly packetId: number | undefined;
  /** MQTT 5 properties, when any. */
  readonly properties: IPublishPacket['properties'];
  /** Milliseconds since the epoch when the session read it. */
  readonly arrivalTime: number;
}

/** Completion of one message: no error once Kafka durably has its record. */
export type Complete = (err?: Error) => void;

/** Receives messages; `complete` must be called exactly once per message. */
export type MessageHandler = (message: InboundMessage, complete: Complete) => void;

export interface SessionEvents {
  connected: [info: { server: string; sessionPresent: boolean }];
  disconnected: [reason: Error | undefined];
  /** A connect attempt or the connection failed; the session retries with back-off. */
  connectionError: [err: Error];
  /** Acks written to the broker (count). */
  acknowledged: [count: number];
  /** The broker answered our SUBSCRIBE (sent when a connection found no session); refusals are also reported below. */
  subscribed: [info: { topics: string[] }];
  /** A subscription the broker refused (SUBACK failure code). */
  subscribeFailed: [info: { topic: string; code: number }];
  /** The session cannot work with these options (a packet that cannot be encoded); it has stopped. */
  failed: [err: Error];
}

/** Connection state, for status and tests. */
export type SessionState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped';

const RECONNECT_JITTER = 0.2;

export class SubscriberSession extends EventEmitter<SessionEvents> {
  private readonly ledger = new AckLedger();
  private stateNo: SessionState = 'idle';
  private socket: net.Socket | undefined;
  private parser: ReturnType<typeof mqttPacket.parser> | undefined;
  /** Parsed PUBLISH packets not yet admitted because the window is full (at most one socket read's worth). */
  private backlog: IPublishPacket[] = [];
  private backlogHead = 0;
  private draining = false;
  private paused = false;
  private serverIndex = 0;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private lastWriteMs = 0;
  private lastReadMs = 0;
  private pingOutstandingSinceMs: number | undefined;
  private nextPacketId = 1;
  private lastErr: Error | undefined;
  /** Acks released since the last flush, and the connection they belong to. */
  private pendingAcks: ReleasedAck[] = [];
  private pendingAcksSocket: net.Socket | undefined;
  private ackFlushScheduled = false;

  constructor(
    private readonly opts: SessionOptions,
    private readonly onMessage: MessageHandler,
  ) {
    super();
    if (opts.servers.length === 0) throw new Error('no MQTT server given');
    if (opts.maxInFlight < 1) throw new Error('maxInFlight must be at least 1');
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
   * Disconnects and stops retrying. Held acks are dropped: the broker redelivers those messages to the next session
   * with this client id. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.stateNo === 'stopped') return;
    // Acks already released (their records are in Kafka) go out before the DISCONNECT, saving redeliveries.
    if (this.stateNo === 'connected') this.flushAcks();
    this.stateNo = 'stopped';
    this.clearTimers();
    const socket = this.socket;
    this.teardown();
    this.ledger.newEpoch(true);
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 1000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      try {
        // A normal DISCONNECT keeps the persistent session (and its undelivered queue) on the broker.
        socket.end(mqttPacket.generate({ cmd: 'disconnect' }, { protocolVersion: this.opts.protocolVersion }));
      } catch {
        socket.destroy();
      }
    });
  }

  /** Drops the connection (as a network failure would) and reconnects after back-off; for failures and tests. */
  dropConnection(reason: Error): void {
    if (this.stateNo === 'stopped' || !this.socket) return;
    this.onConnectionLost(this.socket, reason);
  }

  private connect(): void {
    const server = this.opts.servers[this.serverIndex % this.opts.servers.length];
    if (!server) return;
    this.stateNo = 'connecting';
    const label = `${server.tls ? 'mqtts' : 'mqtt'}://${server.host}:${server.port}`;
    const socket = server.tls
      ? tls.connect({
          ...this.opts.tls,
          host: server.host,
          port: server.port,
          // SNI and the name check follow the server being connected to (failover), never an IP literal.
          ...(net.isIP(server.host) === 0 ? { servername: server.host } : {}),
        })
      : net.connect({ host: server.host, port: server.port });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, Math.max(1000, this.opts.keepaliveSeconds * 1000));
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
      this.write(this.connectPacket());
    });
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.socket) return;
      this.lastReadMs = Date.now();
      parser.parse(chunk);
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

  private connectPacket(): Packet {
    const o = this.opts;
    return {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: o.protocolVersion,
      clientId: o.clientId,
      clean: o.cleanStart,
      keepalive: o.keepaliveSeconds,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.protocolVersion === 5
        ? {
            properties: {
              sessionExpiryInterval: o.sessionExpirySeconds,
              receiveMaximum: Math.min(o.maxInFlight, 65535),
            },
          }
        : {}),
    };
  }

  private onPacket(packet: Packet, label: string): void {
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
        this.onSuback(packet);
        return;
      case 'pingresp':
        this.pingOutstandingSinceMs = undefined;
        return;
      case 'disconnect': {
        const code = packet.reasonCode;
        // 0x8E: another client connected with this client id — usually the same connector name running in a second
        // Ferry cluster against this broker; the two keep taking the session from each other.
        const reason =
          code === 0x8e
            ? ' (0x8e session taken over: another client uses this client id; set mqtt.client.id.prefix to tell them apart)'
            : code !== undefined
              ? ` (reason code 0x${code.toString(16)})`
              : '';
        if (this.socket) this.onConnectionLost(this.socket, new Error(`broker ${label} sent DISCONNECT${reason}`));
        return;
      }
      default:
        // puback/pubrec/pubcomp/unsuback/auth: this session never publishes or unsubscribes.
        return;
    }
  }

  private onConnack(packet: IConnackPacket, label: string): void {
    const code = packet.reasonCode ?? packet.returnCode ?? 0;
    if (code !== 0) {
      const why = packet.properties?.reasonString ? `: ${packet.properties.reasonString}` : '';
      if (this.socket)
        this.onConnectionLost(this.socket, new Error(`broker ${label} refused the connection, code ${code}${why}`));
      return;
    }
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.stateNo = 'connected';
    this.attempt = 0;
    this.lastErr = undefined;
    const sessionPresent = packet.sessionPresent && !this.opts.cleanStart;
    this.ledger.newEpoch(sessionPresent);
    // The broker may impose its own keep alive (MQTT 5 Server Keep Alive).
    this.startKeepalive(packet.properties?.serverKeepAlive ?? this.opts.keepaliveSeconds);
    // A new session (first start, expired, or lost by the broker) needs the subscriptions again. On MQTT 5 a resumed
    // one is subscribed again too, so a changed mqtt.topics takes effect; Retain Handling 1 keeps the broker from
    // resending retained messages for subscriptions that already exist. On 3.1.1 that would resend every retained
    // message on each reconnect, so a resumed session keeps the subscriptions it has (see docs/mqtt-source.md).
    const resubscribe = !packet.sessionPresent || this.opts.protocolVersion === 5;
    if (resubscribe && this.opts.subscriptions.length > 0) {
      this.write({
        cmd: 'subscribe',
        messageId: this.allocPacketId(),
        subscriptions: this.opts.subscriptions.map((s) =>
          this.opts.protocolVersion === 5 ? { topic: s.topic, qos: s.qos, rh: 1 } : { topic: s.topic, qos: s.qos },
        ),
      });
    }
    this.emit('connected', { server: label, sessionPresent: packet.sessionPresent });
  }

  private onSuback(packet: ISubackPacket): void {
    const ok: string[] = [];
    packet.granted.forEach((g, i) => {
      const code = typeof g === 'number' ? g : 0;
      const topic = this.opts.subscriptions[i]?.topic ?? '?';
      if (code >= 0x80) this.emit('subscribeFailed', { topic, code });
      else ok.push(topic);
    });
    this.emit('subscribed', { topics: ok });
  }

  /**
   * Admits backlog PUBLISHes while the window has room; pauses reading when it does not. Not re-entrant: a record
   * completed synchronously inside admit() releases acks, whose writeAcks() would call drain() again on the same
   * backlog; the outer loop re-checks the window after every message instead.
   */
  private drain(): void {
    if (this.draining) return;
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
      this.paused = true;
      this.socket?.pause();
    } else if (!full && this.paused) {
      this.paused = false;
      this.socket?.resume();
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
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const message: InboundMessage = {
      topic: packet.topic,
      payload,
      qos,
      retain: packet.retain,
      dup: packet.dup,
      packetId: qos > 0 ? packet.messageId : undefined,
      properties: packet.properties,
      arrivalTime: Date.now(),
    };
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

  /**
   * Queues released acks for one write per event-loop turn. Delivery reports arrive one callback at a time, and a
   * write per report (even corked: each report's callback ends its own tick) cost the worker more CPU than anything
   * but the producer, and the broker a read per 4-byte packet. The flush runs in the same loop turn, after I/O.
   */
  private writeAcks(acks: readonly ReleasedAck[]): void {
    if (acks.length > 0 && this.socket && this.stateNo === 'connected') {
      if (this.pendingAcksSocket !== this.socket) {
        // Acks released on an earlier connection are never written on a new one (their session state is gone).
        this.pendingAcks = [];
        this.pendingAcksSocket = this.socket;
      }
      for (const ack of acks) this.pendingAcks.push(ack);
      if (!this.ackFlushScheduled) {
        this.ackFlushScheduled = true;
        setImmediate(this.flushAcks);
      }
    }
    if (this.paused || this.backlog.length > 0) this.drain();
  }

  private readonly flushAcks = (): void => {
    this.ackFlushScheduled = false;
    const acks = this.pendingAcks;
    const socket = this.pendingAcksSocket;
    this.pendingAcks = [];
    if (acks.length === 0 || !socket || socket !== this.socket || socket.destroyed) return;
    if (this.stateNo !== 'connected') return;
    this.lastWriteMs = Date.now();
    socket.write(encodeAcks(acks));
    this.emit('acknowledged', acks.length);
  };

  private write(packet: Packet): void {
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    let bytes: Buffer;
    try {
      bytes = mqttPacket.generate(packet, { protocolVersion: this.opts.protocolVersion });
    } catch (err) {
      // A packet the codec cannot encode (a string over MQTT's 65,535 bytes): every reconnect would fail the same
      // way, so the session gives up and the task fails with the reason.
      this.giveUp(new Error(`cannot encode the MQTT ${packet.cmd} packet: ${(err as Error).message}`, { cause: err }));
      return;
    }
    this.lastWriteMs = Date.now();
    socket.write(bytes);
  }

  private giveUp(err: Error): void {
    if (this.stateNo === 'stopped') return;
    this.lastErr = err;
    void this.stop();
    this.emit('failed', err);
  }

  private startKeepalive(keepaliveSeconds: number): void {
    const periodMs = keepaliveSeconds * 1000;
    if (periodMs <= 0) return;
    this.lastWriteMs = Date.now();
    this.lastReadMs = Date.now();
    this.pingOutstandingSinceMs = undefined;
    const tickMs = Math.max(250, Math.floor(periodMs / 4));
    this.keepaliveTimer = setInterval(() => {
      const now = Date.now();
      const socket = this.socket;
      if (!socket) return;
      // Only while reading: a paused socket cannot deliver the PINGRESP (see the module comment).
      if (
        this.pingOutstandingSinceMs !== undefined &&
        !this.paused &&
        now - this.pingOutstandingSinceMs > periodMs &&
        now - this.lastReadMs > periodMs
      ) {
        this.onConnectionLost(socket, new Error(`no PINGRESP within ${keepaliveSeconds} s`));
        return;
      }
      if (now - this.lastWriteMs >= periodMs - tickMs) {
        if (this.pingOutstandingSinceMs === undefined) this.pingOutstandingSinceMs = now;
        this.write({ cmd: 'pingreq' });
      }
    }, tickMs);
    this.keepaliveTimer.unref();
  }

  private onConnectionLost(socket: net.Socket, reason: Error): void {
    if (socket !== this.socket) return;
    const wasConnected = this.stateNo === 'connected';
    this.teardown();
    // Pending acks belong to the dead connection: discard them now so no later done() can write them anywhere.
    this.ledger.newEpoch(true);
    if (this.stateNo === 'stopped') return;
    this.lastErr = reason;
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
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.connectTimer = undefined;
    this.keepaliveTimer = undefined;
    if (socket && this.stateNo !== 'stopped') socket.destroy();
  }

  private scheduleReconnect(): void {
    this.stateNo = 'waiting';
    this.serverIndex++;
    const base = Math.min(this.opts.reconnectMaxMs, this.opts.reconnectMinMs * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    const delayMs = Math.round(base * (1 - RECONNECT_JITTER + Math.random() * 2 * RECONNECT_JITTER));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stateNo === 'waiting') this.connect();
    }, delayMs);
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  private allocPacketId(): number {
    const id = this.nextPacketId;
    this.nextPacketId = id >= 65535 ? 1 : id + 1;
    return id;
  }
}

/**
 * PUBACK / PUBREC packets for released acks, in order, in one buffer: 4 bytes each (fixed header, remaining length
 * 2, packet id). Valid on MQTT 3.1.1 and on 5, where a success reason code with no properties may be left out
 * (MQTT 5 §3.4.2.1, §3.5.2.1). One write per batch instead of one generated packet per ack: acks are the source's
 * most frequent write.
 */
export function encodeAcks(acks: readonly ReleasedAck[]): Buffer {
  const buf = Buffer.allocUnsafe(acks.length * 4);
  let o = 0;
  for (const ack of acks) {
    buf[o] = ack.kind === 'puback' ? 0x40 : 0x50;
    buf[o + 1] = 0x02;
    buf.writeUInt16BE(ack.packetId, o + 2);
    o += 4;
  }
  return buf;
}
