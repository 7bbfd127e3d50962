/**
 * Wire-level checks of the subscriber session against an in-process fake broker, for what a real broker cannot be
 * made to do on demand (resend a PUBLISH on the same connection, refuse a CONNECT) and to see the exact order of
 * the acks on the wire.
 */
import net from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { SubscriberSession, type Complete, type InboundMessage } from '../../../connectors/mqtt-source';
import { uniqueId } from '../../helpers/ids';
import { eventually } from './harness';

jest.setTimeout(30_000);

/** A one-client fake broker: records what the client sends, lets the test send packets to it. */
class FakeBroker {
  readonly received: Packet[] = [];
  private socket: net.Socket | undefined;
  private server = net.createServer((s) => this.accept(s));
  connects = 0;
  /** CONNACK return code to answer with (0 = accepted). */
  connackCode = 0;

  constructor(private readonly version: 4 | 5) {}

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const addr = this.server.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  private accept(socket: net.Socket): void {
    this.socket = socket;
    const parser = mqttPacket.parser({ protocolVersion: this.version });
    parser.on('packet', (p: Packet) => {
      this.received.push(p);
      if (p.cmd === 'connect') {
        this.connects++;
        this.send(
          this.version === 5
            ? { cmd: 'connack', sessionPresent: false, reasonCode: this.connackCode }
            : { cmd: 'connack', sessionPresent: false, returnCode: this.connackCode },
        );
      } else if (p.cmd === 'subscribe') {
        this.send({ cmd: 'suback', messageId: p.messageId, granted: p.subscriptions.map((s) => s.qos) });
      } else if (p.cmd === 'pingreq') {
        this.send({ cmd: 'pingresp' });
      }
    });
    socket.on('data', (d: Buffer) => parser.parse(d));
    socket.on('error', () => undefined);
  }

  send(p: Packet): void {
    this.socket?.write(mqttPacket.generate(p, { protocolVersion: this.version }));
  }

  publish(messageId: number, qos: 1 | 2, payload: string, dup = false): void {
    this.send({ cmd: 'publish', topic: 't/x', payload: Buffer.from(payload), qos, dup, retain: false, messageId });
  }

  acks(): string[] {
    return this.received
      .filter((p) => p.cmd === 'puback' || p.cmd === 'pubrec' || p.cmd === 'pubcomp')
      .map((p) => `${p.cmd}:${p.messageId}`);
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe.each<4 | 5>([4, 5])('subscriber session on the wire (protocol level %s)', (version) => {
  let broker: FakeBroker;
  let session: SubscriberSession;
  const got: { m: InboundMessage; complete: Complete }[] = [];

  beforeEach(async () => {
    got.length = 0;
    broker = new FakeBroker(version);
    const port = await broker.listen();
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
    await broker.close();
  });

  const ready = async (): Promise<void> => {
    session.start();
    await eventually(() => broker.received.some((p) => p.cmd === 'subscribe'));
  };
  const complete = (payload: string): void => got.find((g) => g.m.payload.toString() === payload)?.complete();

  it('writes acks in arrival order whatever order Kafka completes in, none before done', async () => {
    await ready();
    broker.publish(1, 1, 'a');
    broker.publish(2, 2, 'b');
    broker.publish(3, 1, 'c');
    await eventually(() => got.length === 3);
    complete('c');
    complete('b');
    // Nothing may be on the wire yet: 'a' is not done. A PINGREQ round trip proves the client had its chance.
    session['write']({ cmd: 'pingreq' });
    await eventually(() => broker.received.filter((p) => p.cmd === 'pingreq').length >= 1);
    expect(broker.acks()).toEqual([]);
    complete('a');
    await eventually(() => broker.acks().length === 3);
    expect(broker.acks()).toEqual(['puback:1', 'pubrec:2', 'puback:3']);
    // QoS 2 completes with PUBCOMP on PUBREL.
    broker.send({ cmd: 'pubrel', messageId: 2 });
    await eventually(() => broker.acks().length === 4);
    expect(broker.acks()[3]).toBe('pubcomp:2');
  });

  it('does not hand over twice a resend of a pending packet id on the same connection', async () => {
    await ready();
    broker.publish(5, 1, 'x');
    await eventually(() => got.length === 1);
    broker.publish(5, 1, 'x', true);
    broker.publish(6, 1, 'y');
    await eventually(() => got.length === 2);
    expect(got.map((g) => g.m.payload.toString())).toEqual(['x', 'y']);
    complete('y');
    complete('x');
    await eventually(() => broker.acks().length === 2);
    expect(broker.acks()).toEqual(['puback:5', 'puback:6']);
  });

  it('answers a QoS 2 resend after its PUBREC with PUBREC again, without handing it over twice', async () => {
    await ready();
    broker.publish(9, 2, 'q');
    await eventually(() => got.length === 1);
    complete('q');
    await eventually(() => broker.acks().length === 1);
    broker.publish(9, 2, 'q', true); // our PUBREC "lost": the broker resends
    broker.publish(10, 1, 'r');
    await eventually(() => got.length === 2);
    expect(got.map((g) => g.m.payload.toString())).toEqual(['q', 'r']);
    await eventually(() => broker.acks().length === 2);
    expect(broker.acks()).toEqual(['pubrec:9', 'pubrec:9']);
  });

  it('reports a refused CONNECT as the last error and keeps retrying', async () => {
    broker.connackCode = version === 5 ? 0x86 : 4; // bad user name or password
    session.start();
    await eventually(() => broker.connects >= 2);
    expect(session.lastError?.message).toMatch(/refused the connection, code/);
    expect(session.state).not.toBe('connected');
  });

  it('drops held acks with the connection: a late done writes nothing on the next connection', async () => {
    await ready();
    broker.publish(1, 1, 'old');
    await eventually(() => got.length === 1);
    session.dropConnection(new Error('test: network cut'));
    await eventually(() => broker.connects >= 2 && broker.received.filter((p) => p.cmd === 'subscribe').length >= 2);
    complete('old'); // Kafka confirms after the reconnect
    broker.publish(1, 1, 'old', true); // the broker redelivers it on the new connection
    await eventually(() => got.length === 2);
    session['write']({ cmd: 'pingreq' });
    await eventually(() => broker.received.filter((p) => p.cmd === 'pingreq').length >= 1);
    expect(broker.acks()).toEqual([]);
    got[1]?.complete();
    await eventually(() => broker.acks().length === 1);
    expect(broker.acks()).toEqual(['puback:1']);
  });

  it('writes the acks released in one event-loop turn as one write, in order', async () => {
    await ready();
    const writes: number[] = [];
    session.on('acknowledged', (n) => writes.push(n));
    for (let id = 1; id <= 20; id++) broker.publish(id, 1, `m${id}`);
    await eventually(() => got.length === 20);
    // Each record completes in its own callback and releases its own ack, as delivery reports do, in one turn.
    for (let i = 0; i < 20; i++) queueMicrotask(() => got[i]?.complete());
    await eventually(() => broker.acks().length === 20);
    expect(broker.acks()).toEqual(Array.from({ length: 20 }, (_, i) => `puback:${i + 1}`));
    expect(writes).toEqual([20]);
  });

  it('writes acks released but not yet flushed before its DISCONNECT when stopped', async () => {
    await ready();
    broker.publish(7, 1, 'last');
    await eventually(() => got.length === 1);
    got[0]?.complete();
    await session.stop();
    await eventually(() => broker.received.some((p) => p.cmd === 'disconnect'));
    const cmds = broker.received.map((p) => p.cmd);
    expect(broker.acks()).toEqual(['puback:7']);
    expect(cmds.indexOf('puback')).toBeLessThan(cmds.indexOf('disconnect'));
  });
});
