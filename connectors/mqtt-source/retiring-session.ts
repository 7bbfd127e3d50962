/**
 * A subscriber session that can leave for good without leaving messages behind. When `tasks.max` shrinks, the broker
 * still holds messages for a departed task's persistent session: the in-flight ones it never acknowledged and, with
 * a shared subscription, whatever the broker assigned to that member. Ending the session with Clean Start would
 * discard them. So before its task stops, {@link RetiringSession.retire} drains it on its own connection:
 *
 * 1. UNSUBSCRIBE every filter: the broker routes nothing more to this session (the survivors get it);
 * 2. what is queued keeps arriving and goes through the normal path: a record to Kafka, its ack released only after;
 * 3. drained when nothing is in flight and a probe (PINGREQ after the last acks) is answered with no PUBLISH before
 *    its PINGRESP: the broker handles acks in order and sends the queued messages they make room for at once.
 *
 * Only then may the runtime end the session (mqtt-common's session release). A drain cut off by its deadline
 * reports false, and the session is left to expire instead of being ended: what it still holds is not thrown away.
 */
import type { Packet } from 'mqtt-packet';
import { SubscriberSession } from './session';

export class RetiringSession extends SubscriberSession {
  private publishesRead = 0;
  /** PINGREQs written and PINGRESPs read on the current connection: the keepalive pings too, answered in order. */
  private pingsWritten = 0;
  private pongsRead = 0;

  /**
   * Unsubscribes everything and waits until what the broker queued for this session was written to Kafka and
   * acknowledged. True when drained; false when `signal` aborted first (or the session stopped).
   */
  async retire(signal: AbortSignal): Promise<boolean> {
    this.retireSubscriptions();
    for (;;) {
      if (signal.aborted || this.state === 'stopped') return false;
      if (this.state === 'connected' && this.subs.released && this.inFlight === 0 && (await this.probe(signal)))
        return true;
      await this.nextChange(signal);
    }
  }

  protected override onPacket(packet: Packet, label: string): void {
    if (packet.cmd === 'publish') this.publishesRead++;
    if (packet.cmd === 'connack') this.pingsWritten = this.pongsRead = 0;
    super.onPacket(packet, label);
    if (packet.cmd === 'pingresp') {
      this.pongsRead++;
      this.emit('pong');
    }
  }

  protected override write(packet: Packet): void {
    if (packet.cmd === 'pingreq') this.pingsWritten++;
    super.write(packet);
  }

  private retireSubscriptions(): void {
    const packets = this.subs.retire(() => this.allocPacketId());
    // Not connected: the next CONNACK unsubscribes what the session holds (subscriptions.ts).
    if (this.stateNo === 'connected') for (const p of packets) this.write(p);
  }

  /**
   * Writes the released acks, then a PINGREQ: true when its PINGRESP (not an earlier keepalive ping's) came on the
   * same connection with no PUBLISH read before it and nothing in flight.
   */
  private probe(signal: AbortSignal): Promise<boolean> {
    const socket = this.socket;
    const before = this.publishesRead;
    this.acks.flush();
    this.write({ cmd: 'pingreq' });
    const answer = this.pingsWritten;
    return new Promise((resolve) => {
      const done = (quiet: boolean): void => {
        this.off('pong', onPong);
        this.off('disconnected', onLost);
        signal.removeEventListener('abort', onLost);
        resolve(quiet);
      };
      const onPong = (): void => {
        if (socket !== this.socket) return done(false);
        if (this.pongsRead < answer) return; // an earlier ping's answer
        done(this.publishesRead === before && this.inFlight === 0);
      };
      const onLost = (): void => done(false);
      this.on('pong', onPong);
      this.on('disconnected', onLost);
      signal.addEventListener('abort', onLost, { once: true });
    });
  }

  /** Resolves on the next event that may change the answer: acks written, (re)connected, subscriptions settled. */
  private nextChange(signal: AbortSignal): Promise<void> {
    const events = ['acknowledged', 'connected', 'subscriptionsSettled', 'disconnected', 'failed'] as const;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        for (const e of events) this.off(e, done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      // QoS 0 slots free without an ack event: look again after a while in any case.
      const timer = setTimeout(done, 200);
      for (const e of events) this.on(e, done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
