/**
 * What the subscriber session does with the broker's SUBACK: a refused filter, or a filter granted QoS 0 where the
 * task asked for acknowledged delivery, must stop the session with a reason the task reports; a QoS 2 → 1
 * downgrade keeps at-least-once and only warns. Against the in-process fake broker, which answers with any codes.
 */
import { SubscriberSession, type Subscription } from '../../../../connectors/mqtt-source';
import { describeSuback } from '../../../../connectors/mqtt-source/suback';
import { eventually, FakeMqttBroker, uniqueId } from '../../../helpers';

jest.setTimeout(20_000);

describe.each<4 | 5>([4, 5])('SUBACK handling (protocol level %s)', (version) => {
  let broker: FakeMqttBroker;
  let session: SubscriberSession | undefined;

  beforeEach(async () => {
    broker = new FakeMqttBroker(version);
    await broker.start();
  });
  afterEach(async () => {
    await session?.stop();
    session = undefined;
    await broker.stop();
  });

  /** Starts a session with these subscriptions and returns what it reported once the SUBACK was read. */
  async function subscribeWith(subscriptions: Subscription[], codes: number[]) {
    broker.subackCodes = codes;
    const failures: Error[] = [];
    const downgrades: { topic: string; asked: number; granted: number }[] = [];
    let subscribed = false;
    const s = new SubscriberSession(
      {
        servers: [{ host: '127.0.0.1', port: broker.port, tls: false }],
        protocolVersion: version,
        clientId: uniqueId('suback'),
        keepaliveSeconds: 30,
        connectTimeoutMs: 2000,
        reconnectMinMs: 50,
        reconnectMaxMs: 100,
        cleanStart: false,
        sessionExpirySeconds: 3600,
        maxInFlight: 10,
        subscriptions,
      },
      (_m, complete) => complete(),
    );
    session = s;
    s.on('failed', (err) => failures.push(err));
    s.on('subscribed', () => (subscribed = true));
    s.on('subscriptionDowngraded', (d) => downgrades.push(d));
    s.start();
    await eventually(() => subscribed || failures.length > 0, { what: 'a SUBACK read', timeoutMs: 10_000 });
    return { failures, downgrades, state: s.state };
  }

  it('fails the session naming the refused filter and the reason', async () => {
    const r = await subscribeWith(
      [
        { topic: 'ok/#', qos: 1 },
        { topic: 'secret/#', qos: 1 },
      ],
      [1, version === 5 ? 0x87 : 0x80],
    );
    expect(r.state).toBe('stopped');
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]?.message).toContain('secret/#');
    expect(r.failures[0]?.message).not.toContain('ok/#');
    expect(r.failures[0]?.message).toContain(version === 5 ? '0x87 not authorized' : '0x80');
  });

  it('fails the session when a filter asked at QoS 1 is granted QoS 0 (no acks: a crash would lose data)', async () => {
    const r = await subscribeWith([{ topic: 'a/#', qos: 1 }], [0]);
    expect(r.state).toBe('stopped');
    expect(r.failures[0]?.message).toMatch(/granted QoS 0 for 'a\/#' \(asked 1\)/);
  });

  it('keeps running, reporting the downgrade, when QoS 2 is granted as QoS 1 (still at-least-once)', async () => {
    const r = await subscribeWith([{ topic: 'b/#', qos: 2 }], [1]);
    expect(r.failures).toEqual([]);
    expect(r.state).toBe('connected');
    expect(r.downgrades).toEqual([{ topic: 'b/#', asked: 2, granted: 1 }]);
  });

  it('keeps running when every filter is granted what was asked', async () => {
    const r = await subscribeWith([{ topic: 'c/#', qos: 1 }], [1]);
    expect(r.failures).toEqual([]);
    expect(r.state).toBe('connected');
    expect(r.downgrades).toEqual([]);
  });
});

describe('describeSuback', () => {
  it('accepts QoS 0 granted for a QoS 0 subscription', () => {
    expect(describeSuback([{ topic: 'x', qos: 0 }], [0], 5).failure).toBeUndefined();
  });
  it('names an unknown refusal code in hex', () => {
    expect(describeSuback([{ topic: 'x', qos: 1 }], [0x99], 5).failure?.message).toContain('0x99');
  });
});
