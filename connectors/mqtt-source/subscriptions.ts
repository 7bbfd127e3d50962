/**
 * What the broker session holds, and what to send after a CONNACK so that it holds exactly the task's current
 * filters. A persistent session keeps its subscriptions across connections, and MQTT has no way to list them: a task
 * whose assignment changed (`tasks.max`, `mqtt.share.group`, `mqtt.topics`) must be told what the session held
 * before, or it keeps receiving through filters it no longer owns (every message twice after a rescale).
 */
import type { ISubackPacket, IUnsubackPacket, Packet } from 'mqtt-packet';
import type { SessionOptions, Subscription } from './session-types';

interface Sent {
  readonly kind: 'subscribe' | 'unsubscribe';
  readonly topics: readonly string[];
  readonly asked: readonly Subscription[];
}

export interface AckOutcome {
  /** What the SUBACK answers, in the SUBSCRIBE's order (empty for an UNSUBACK or an unknown packet id). */
  readonly asked: readonly Subscription[];
  /** What the session holds once every packet sent on this connection was answered; undefined until then. */
  readonly settled: readonly string[] | undefined;
}

export class SessionSubscriptions {
  /** Filters the broker session holds, when known (stored by an earlier run, or answered on this one). */
  private held: Set<string> | undefined;
  private readonly sent = new Map<number, Sent>();
  /** The task is leaving for good: the session is to hold nothing, now and after any reconnect. */
  private retired = false;

  constructor(private readonly opts: SessionOptions) {
    this.held = opts.previousSubscriptions ? new Set(opts.previousSubscriptions) : undefined;
  }

  /**
   * The packets to write after a CONNACK: SUBSCRIBE before UNSUBSCRIBE, so a filter that moves (plain → shared) is
   * never missing for a moment; the overlap costs at most the few messages the broker matches between the two.
   */
  onConnack(sessionPresent: boolean, allocPacketId: () => number): Packet[] {
    this.sent.clear();
    if (!sessionPresent) this.held = new Set();
    const held = this.held;
    const wanted = this.retired ? [] : this.opts.subscriptions;
    const wantedTopics = new Set(wanted.map((s) => s.topic));
    // MQTT 5 subscribes a resumed session again (Retain Handling 1: no retained resend), which also repairs a session
    // the broker lost a filter of. On 3.1.1 that would resend every retained message, so only what is not held.
    const subscribe =
      this.opts.protocolVersion === 5 || held === undefined ? wanted : wanted.filter((s) => !held.has(s.topic));
    // Unknown (a session from before this was stored): drop the filters an earlier assignment may have given it.
    const stale = [...(held ?? this.opts.staleCandidates ?? [])].filter((t) => !wantedTopics.has(t));
    const packets: Packet[] = [];
    if (subscribe.length > 0) {
      const messageId = allocPacketId();
      this.sent.set(messageId, { kind: 'subscribe', topics: subscribe.map((s) => s.topic), asked: subscribe });
      packets.push({
        cmd: 'subscribe',
        messageId,
        subscriptions: subscribe.map((s) =>
          this.opts.protocolVersion === 5 ? { topic: s.topic, qos: s.qos, rh: 1 } : { topic: s.topic, qos: s.qos },
        ),
      });
    }
    if (stale.length > 0) {
      const messageId = allocPacketId();
      this.sent.set(messageId, { kind: 'unsubscribe', topics: stale, asked: [] });
      packets.push({ cmd: 'unsubscribe', messageId, unsubscriptions: stale });
    }
    return packets;
  }

  /**
   * The task leaves for good (a shrink): the UNSUBSCRIBE to write now, so the broker routes nothing more to this
   * session; what it already queued stays queued for the drain. Reconnects after this subscribe to nothing.
   */
  retire(allocPacketId: () => number): Packet[] {
    this.retired = true;
    const topics = new Set([
      ...(this.held ?? this.opts.staleCandidates ?? []),
      ...this.opts.subscriptions.map((s) => s.topic),
    ]);
    for (const pending of this.sent.values())
      if (pending.kind === 'subscribe') for (const t of pending.topics) topics.add(t);
    if (topics.size === 0) return [];
    const messageId = allocPacketId();
    this.sent.set(messageId, { kind: 'unsubscribe', topics: [...topics], asked: [] });
    return [{ cmd: 'unsubscribe', messageId, unsubscriptions: [...topics] }];
  }

  /** True once a retired session's UNSUBSCRIBE was answered: the broker session holds no filter. */
  get released(): boolean {
    return this.retired && this.sent.size === 0 && this.held !== undefined && this.held.size === 0;
  }

  /** A SUBACK or UNSUBACK: updates what the session holds (a refused filter is not held). */
  onAck(packet: ISubackPacket | IUnsubackPacket): AckOutcome {
    const sent = packet.messageId === undefined ? undefined : this.sent.get(packet.messageId);
    if (!sent) return { asked: [], settled: undefined };
    this.sent.delete(packet.messageId!);
    const held = (this.held ??= new Set());
    if (sent.kind === 'unsubscribe') {
      // Success and "no subscription existed" alike: the session no longer holds it.
      for (const t of sent.topics) held.delete(t);
    } else {
      const codes = (packet as ISubackPacket).granted;
      sent.topics.forEach((topic, i) => {
        const g = codes[i];
        if (typeof g === 'number' && g < 0x80) held.add(topic);
      });
    }
    return { asked: sent.asked, settled: this.sent.size === 0 ? [...held].sort() : undefined };
  }
}
