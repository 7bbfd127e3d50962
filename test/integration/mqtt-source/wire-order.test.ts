/**
 * Wire-level checks of the subscriber session against an in-process fake broker, for what a real broker cannot be
 * made to do on demand (resend a PUBLISH on the same connection, refuse a CONNECT) and to see the exact order of
 * the acks on the wire.
 */
import { SubscriberSession, type Complete, type InboundMessage } from '../../../connectors/mqtt-source';
import { eventually, FakeMqttBroker, uniqueId } from '../../helpers';

jest.setTimeout(30_000);

describe.each<4 | 5>([4, 5])('subscriber session on the wire (protocol level %s)', (version) => {
  let broker: FakeMqttBroker;
  let session: SubscriberSession;
  const got: { m: InboundMessage; complete: Complete }[] = [];

  beforeEach(async () => {
    got.length = 0;
    broker = new FakeMqttBroker(version);
    await broker.start();
    const { port } = broker;
    session = new SubscriberSession(
      {
        servers: [{ host: '127.0.0.1', port, tls: false }],
        protocolVersion: version,
        clientId: uniqueId('wire'),
        keepaliveSeconds: 30,
        connectTimeoutMs: 2000,
        reconnectMinMs: 50,
        reconnectMaxMs: 100,
        cleanStart: false,
        sessionExpirySeconds: 3600,
        maxInFlight: 100,
        subscriptions: [{ topic: 't/#', qos: 2 }],
      },
      (m, complete) => got.push({ m, complete }),
    );
  });
  afterEach(async () => {
    await session.stop();
    await broker.stop();
  });

  const ready = async (): Promise<void> => {
    session.start();
    await eventually(() => broker.packets.some((p) => p.cmd === 'subscribe'), {
      what: "broker.packets.some((p) => p.cmd === 'subscribe')",
      timeoutMs: 20_000,
    });
  };
  const complete = (payload: string): void => got.find((g) => g.m.payload.toString() === payload)?.complete();

  it('writes acks in arrival order whatever order Kafka completes in, none before done', async () => {
    await ready();
    broker.publish(1, 1, 'a');
    broker.publish(2, 2, 'b');
    broker.publish(3, 1, 'c');
    await eventually(() => got.length === 3, { what: 'got.length === 3', timeoutMs: 20_000 });
    complete('c');
    complete('b');
    // Nothing may be on the wire yet: 'a' is not done. A PINGREQ round trip proves the client had its chance.
    session['write']({ cmd: 'pingreq' });
    await eventually(() => broker.packets.filter((p) => p.cmd === 'pingreq').length >= 1, {
      what: "broker.packets.filter((p) => p.cmd === 'pingreq').length >= 1",
      timeoutMs: 20_000,
    });
    expect(broker.acks()).toEqual([]);
    complete('a');
    await eventually(() => broker.acks().length === 3, { what: 'broker.acks().length === 3', timeoutMs: 20_000 });
    expect(broker.acks()).toEqual(['puback:1', 'pubrec:2', 'puback:3']);
    // QoS 2 completes with PUBCOMP on PUBREL.
    broker.send({ cmd: 'pubrel', messageId: 2 });
    await eventually(() => broker.acks().length === 4, { what: 'broker.acks().length === 4', timeoutMs: 20_000 });
    expect(broker.acks()[3]).toBe('pubcomp:2');
  });

  it('does not hand over twice a resend of a pending packet id on the same connection', async () => {
    await ready();
    broker.publish(5, 1, 'x');
    await eventually(() => got.length === 1, { what: 'got.length === 1', timeoutMs: 20_000 });
    broker.publish(5, 1, 'x', true);
    broker.publish(6, 1, 'y');
    await eventually(() => got.length === 2, { what: 'got.length === 2', timeoutMs: 20_000 });
    expect(got.map((g) => g.m.payload.toString())).toEqual(['x', 'y']);
    complete('y');
    complete('x');
    await eventually(() => broker.acks().length === 2, { what: 'broker.acks().length === 2', timeoutMs: 20_000 });
    expect(broker.acks()).toEqual(['puback:5', 'puback:6']);
  });

  it('answers a QoS 2 resend after its PUBREC with PUBREC again, without handing it over twice', async () => {
    await ready();
    broker.publish(9, 2, 'q');
    await eventually(() => got.length === 1, { what: 'got.length === 1', timeoutMs: 20_000 });
    complete('q');
    await eventually(() => broker.acks().length === 1, { what: 'broker.acks().length === 1', timeoutMs: 20_000 });
    broker.publish(9, 2, 'q', true); // our PUBREC "lost": the broker resends
    broker.publish(10, 1, 'r');
    await eventually(() => got.length === 2, { what: 'got.length === 2', timeoutMs: 20_000 });
    expect(got.map((g) => g.m.payload.toString())).toEqual(['q', 'r']);
    await eventually(() => broker.acks().length === 2, { what: 'broker.acks().length === 2', timeoutMs: 20_000 });
    expect(broker.acks()).toEqual(['pubrec:9', 'pubrec:9']);
  });

  it('reports a refused CONNECT as the last error and keeps retrying', async () => {
    broker.connackCode = version === 5 ? 0x86 : 4; // bad user name or password
    session.start();
    await eventually(() => broker.connects >= 2, { what: 'broker.connects >= 2', timeoutMs: 20_000 });
    expect(session.lastError?.message).toMatch(/refused the connection, code/);
    expect(session.state).not.toBe('connected');
  });

  it('drops held acks with the connection: a late done writes nothing on the next connection', async () => {
    await ready();
    broker.publish(1, 1, 'old');
    await eventually(() => got.length === 1, { what: 'got.length === 1', timeoutMs: 20_000 });
    session.dropConnection(new Error('test: network cut'));
    await eventually(() => broker.connects >= 2 && broker.packets.filter((p) => p.cmd === 'subscribe').length >= 2, {
      what: "broker.connects >= 2 && broker.packets.filter((p) => p.cmd === 'subscribe').length >= 2",
      timeoutMs: 20_000,
    });
    complete('old'); // Kafka confirms after the reconnect
    broker.publish(1, 1, 'old', true); // the broker redelivers it on the new connection
    await eventually(() => got.length === 2, { what: 'got.length === 2', timeoutMs: 20_000 });
    session['write']({ cmd: 'pingreq' });
    await eventually(() => broker.packets.filter((p) => p.cmd === 'pingreq').length >= 1, {
      what: "broker.packets.filter((p) => p.cmd === 'pingreq').length >= 1",
      timeoutMs: 20_000,
    });
    expect(broker.acks()).toEqual([]);
    got[1]?.complete();
    await eventually(() => broker.acks().length === 1, { what: 'broker.acks().length === 1', timeoutMs: 20_000 });
    expect(broker.acks()).toEqual(['puback:1']);
  });

  it('writes the acks released in one event-loop turn as one write, in order', async () => {
    await ready();
    const writes: number[] = [];
    session.on('acknowledged', (n) => writes.push(n));
    for (let id = 1; id <= 20; id++) broker.publish(id, 1, `m${id}`);
    await eventually(() => got.length === 20, { what: 'got.length === 20', timeoutMs: 20_000 });
    // Each record completes in its own callback and releases its own ack, as delivery reports do, in one turn.
    for (let i = 0; i < 20; i++) queueMicrotask(() => got[i]?.complete());
    await eventually(() => broker.acks().length === 20, { what: 'broker.acks().length === 20', timeoutMs: 20_000 });
    expect(broker.acks()).toEqual(Array.from({ length: 20 }, (_, i) => `puback:${i + 1}`));
    expect(writes).toEqual([20]);
  });

  it('writes acks released but not yet flushed before its DISCONNECT when stopped', async () => {
    await ready();
    broker.publish(7, 1, 'last');
    await eventually(() => got.length === 1, { what: 'got.length === 1', timeoutMs: 20_000 });
    got[0]?.complete();
    await session.stop();
    await eventually(() => broker.packets.some((p) => p.cmd === 'disconnect'), {
      what: "broker.packets.some((p) => p.cmd === 'disconnect')",
      timeoutMs: 20_000,
    });
    const cmds = broker.packets.map((p) => p.cmd);
    expect(broker.acks()).toEqual(['puback:7']);
    expect(cmds.indexOf('puback')).toBeLessThan(cmds.indexOf('disconnect'));
  });
});
