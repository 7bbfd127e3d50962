/**
 * What a session subscribes and unsubscribes after a CONNACK, so that a resumed persistent session holds exactly the
 * task's current filters (a rescale or a changed share group must not leave the old filters in place).
 */
import type { ISubackPacket, IUnsubackPacket, Packet } from 'mqtt-packet';
import type { SessionOptions } from '../../../../connectors/mqtt-source';
import { SessionSubscriptions } from '../../../../connectors/mqtt-source/subscriptions';

function options(protocolVersion: 4 | 5, topics: string[], extra: Partial<SessionOptions> = {}): SessionOptions {
  return {
    servers: [{ host: '127.0.0.1', port: 1, tls: false }],
    protocolVersion,
    clientId: 'c',
    keepaliveSeconds: 30,
    connectTimeoutMs: 1000,
    reconnectMinMs: 10,
    reconnectMaxMs: 100,
    cleanStart: false,
    sessionExpirySeconds: 60,
    maxInFlight: 10,
    subscriptions: topics.map((topic) => ({ topic, qos: 1 })),
    ...extra,
  };
}

const ids = (): (() => number) => {
  let n = 1;
  return () => n++;
};
const subscribed = (ps: Packet[]): string[] =>
  ps.flatMap((p) => (p.cmd === 'subscribe' ? p.subscriptions.map((s) => s.topic) : []));
const unsubscribed = (ps: Packet[]): string[] => ps.flatMap((p) => (p.cmd === 'unsubscribe' ? p.unsubscriptions : []));

describe('SessionSubscriptions', () => {
  it.each([4, 5] as const)('MQTT %s: a resumed session drops the filters of its previous assignment', (v) => {
    const subs = new SessionSubscriptions(options(v, ['$share/g/a/#'], { previousSubscriptions: ['a/#'] }));
    const ps = subs.onConnack(true, ids());
    expect(subscribed(ps)).toEqual(['$share/g/a/#']);
    expect(unsubscribed(ps)).toEqual(['a/#']);
    // SUBSCRIBE goes first: a filter that moves is never missing.
    expect(ps.map((p) => p.cmd)).toEqual(['subscribe', 'unsubscribe']);
  });

  it('settles on what the broker answered, once both packets are answered', () => {
    const subs = new SessionSubscriptions(options(5, ['b', 'c'], { previousSubscriptions: ['a', 'b'] }));
    const [sub, unsub] = subs.onConnack(true, ids()) as [Packet, Packet];
    const suback = { cmd: 'suback', messageId: sub.messageId, granted: [1, 0x87] } as ISubackPacket;
    const first = subs.onAck(suback);
    expect(first.asked.map((a) => a.topic)).toEqual(['b', 'c']);
    expect(first.settled).toBeUndefined();
    const second = subs.onAck({ cmd: 'unsuback', messageId: unsub.messageId } as IUnsubackPacket);
    expect(second.settled).toEqual(['b']);
  });

  it('MQTT 3.1.1: a resumed session subscribes only what it does not hold (no retained resend)', () => {
    const subs = new SessionSubscriptions(options(4, ['a', 'b'], { previousSubscriptions: ['a'] }));
    const ps = subs.onConnack(true, ids());
    expect(subscribed(ps)).toEqual(['b']);
    expect(unsubscribed(ps)).toEqual([]);
  });

  it('a new session subscribes everything and unsubscribes nothing', () => {
    const subs = new SessionSubscriptions(options(4, ['a'], { previousSubscriptions: ['x'] }));
    const ps = subs.onConnack(false, ids());
    expect(subscribed(ps)).toEqual(['a']);
    expect(unsubscribed(ps)).toEqual([]);
  });

  it('without a stored set, drops the candidates of earlier assignments and subscribes everything', () => {
    const subs = new SessionSubscriptions(options(4, ['a'], { staleCandidates: ['a', '$share/n/a'] }));
    const ps = subs.onConnack(true, ids());
    expect(subscribed(ps)).toEqual(['a']);
    expect(unsubscribed(ps)).toEqual(['$share/n/a']);
  });
  it('a retired session unsubscribes everything it holds, and subscribes nothing after a reconnect', () => {
    const subs = new SessionSubscriptions(options(5, ['$share/g/a/#'], { previousSubscriptions: ['$share/g/a/#'] }));
    const first = subs.onConnack(true, ids());
    subs.onAck({
      cmd: 'suback',
      messageId: (first[0] as { messageId: number }).messageId,
      granted: [1],
    });
    const ps = subs.retire(ids());
    expect(unsubscribed(ps)).toEqual(['$share/g/a/#']);
    expect(subs.released).toBe(false);
    const unsub = ps[0] as { messageId: number };
    subs.onAck({ cmd: 'unsuback', messageId: unsub.messageId } as IUnsubackPacket);
    expect(subs.released).toBe(true);
    // The UNSUBACK was lost with the connection: the next CONNACK unsubscribes again, and subscribes nothing.
    const again = new SessionSubscriptions(options(5, ['$share/g/a/#'], { previousSubscriptions: ['$share/g/a/#'] }));
    again.retire(ids());
    const resumed = again.onConnack(true, ids());
    expect(subscribed(resumed)).toEqual([]);
    expect(unsubscribed(resumed)).toEqual(['$share/g/a/#']);
  });
});
