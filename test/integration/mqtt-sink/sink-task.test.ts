import { randomBytes } from 'node:crypto';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { RecordError, TaskFailedError, SchemaBuilder, Schemas, type SinkRecord } from '../../../runtime/api';
import { MqttSinkTask, validateSinkConfig } from '../../../connectors/mqtt-sink';
import { eventually, stackEnv, uniqueId } from '../../helpers';
import { SinkHarness, SinkOnFakeBroker, recordId, sinkRecord } from './harness';

interface Received {
  topic: string;
  payload: Buffer;
  packet: IPublishPacket;
}

/** A subscriber on the real broker that keeps every message it gets. */
async function subscriber(
  url: string,
  filter: string,
  qos: 0 | 1 | 2 = 2,
): Promise<{ client: MqttClient; got: Received[] }> {
  const client = await mqtt.connectAsync(url, { clientId: uniqueId('sub'), protocolVersion: 5 });
  const got: Received[] = [];
  client.on('message', (topic, payload, packet) => got.push({ topic, payload, packet }));
  // Retain As Published, so the retain flag the sink set is visible on live delivery.
  await client.subscribeAsync(filter, { qos, rap: true });
  return { client, got };
}

const deviceSchema = SchemaBuilder.struct()
  .name('io.ferry.test.Command')
  .field('kind', Schemas.STRING)
  .field('level', Schemas.INT32)
  .field('tags', SchemaBuilder.array(Schemas.STRING).build())
  .build();

describe('MQTT sink task against the real Mosquitto', () => {
  const { mqtt: url } = stackEnv();
  const tasks: MqttSinkTask[] = [];
  const clients: MqttClient[] = [];

  afterEach(async () => {
    await Promise.all(tasks.splice(0).map((t) => t.stop()));
    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
  });

  async function startTask(config: Record<string, unknown>): Promise<{ task: MqttSinkTask; h: SinkHarness }> {
    const values = { 'mqtt.server.uri': url, topics: 'orders', ...config };
    expect(validateSinkConfig(values)).toEqual([]);
    const h = new SinkHarness(uniqueId('sink'), values);
    const task = new MqttSinkTask();
    tasks.push(task);
    await task.start(h);
    return { task, h };
  }

  it('publishes JSON on templated topics with QoS 1, retain from a header and headers as user properties', async () => {
    const base = uniqueId('sinkjson');
    const sub = await subscriber(url, `${base}/#`);
    clients.push(sub.client);
    const { task, h } = await startTask({
      'mqtt.topic': `${base}/devices/\${key}/\${value.kind}/p\${kafka.partition}`,
      'mqtt.qos': 1,
      'mqtt.retain': '${header.retain}',
      'mqtt.content.type': 'application/json',
      'mqtt.message.expiry.seconds': 600,
    });
    const records = [
      sinkRecord({
        offset: 10,
        key: 'd1',
        value: { kind: 'reboot', level: 3, tags: ['a', 'b'] },
        valueSchema: deviceSchema,
        headers: [
          { key: 'retain', value: 'true' },
          { key: 'trace', value: Buffer.from('t-1') },
        ],
      }),
      sinkRecord({
        offset: 11,
        partition: 2,
        key: 'd2',
        value: { kind: 'ping', level: 0, tags: [] },
        valueSchema: deviceSchema,
        headers: [{ key: 'retain', value: false }],
      }),
    ];
    await task.put(records);
    await task.flush(AbortSignal.timeout(30_000));
    expect(h.acks).toEqual(new Map([...records.map((r) => [recordId(r), 1] as const)]));
    expect(h.rejects.size).toBe(0);
    await eventually(() => sub.got.length === 2, { what: 'both messages at the subscriber' });

    const first = sub.got.find((m) => m.topic === `${base}/devices/d1/reboot/p0`);
    const second = sub.got.find((m) => m.topic === `${base}/devices/d2/ping/p2`);
    expect(first && JSON.parse(first.payload.toString())).toEqual({ kind: 'reboot', level: 3, tags: ['a', 'b'] });
    expect(second && JSON.parse(second.payload.toString())).toEqual({ kind: 'ping', level: 0, tags: [] });
    expect(first?.packet.qos).toBe(1);
    expect(first?.packet.retain).toBe(true);
    expect(second?.packet.retain).toBe(false);
    expect(first?.packet.properties?.userProperties).toEqual({ retain: 'true', trace: 't-1' });
    expect(first?.packet.properties?.contentType).toBe('application/json');
    expect(first?.packet.properties?.messageExpiryInterval).toBeGreaterThan(0);
    expect(h.counters.get('published')).toBe(2);
    // The runner counts what it consumed (metric-counts.test.ts); the task itself no longer counts it a second time.
    expect(h.counters.get('consumed')).toBeUndefined();

    // Clear the retained message this test left on the broker.
    await sub.client.publishAsync(`${base}/devices/d1/reboot/p0`, '', { qos: 1, retain: true });
  });

  it('publishes the payload of an MQTT envelope byte for byte, with its user properties', async () => {
    const base = uniqueId('sinkenv');
    const sub = await subscriber(url, `${base}/#`);
    clients.push(sub.client);
    const { task, h } = await startTask({ 'mqtt.topic': `${base}/\${value.topic}`, 'mqtt.payload.format': 'envelope' });
    const envelopeSchema = SchemaBuilder.struct()
      .name('io.ferry.mqtt.Envelope')
      .field('topic', Schemas.STRING)
      .field('payload', Schemas.BYTES)
      .field('qos', Schemas.INT32)
      .field('user_properties', SchemaBuilder.map(Schemas.STRING, Schemas.STRING).optional().build())
      .build();
    const payloads = [randomBytes(300), Buffer.from([0xff, 0x00, 0xfe, 0x80]), Buffer.alloc(0)];
    const records = payloads.map((payload, i) =>
      sinkRecord({
        offset: i,
        value: { topic: `sensors/s${i}`, payload, qos: 1, user_properties: i === 0 ? { origin: 'plant-7' } : null },
        valueSchema: envelopeSchema,
      }),
    );
    await task.put(records);
    await task.flush(AbortSignal.timeout(30_000));
    expect(h.acks.size).toBe(3);
    await eventually(() => sub.got.length === 3, { what: 'three envelope payloads' });
    for (let i = 0; i < payloads.length; i++) {
      const m = sub.got.find((g) => g.topic === `${base}/sensors/s${i}`);
      expect(m?.payload.equals(payloads[i] as Buffer)).toBe(true);
    }
    expect(sub.got.find((g) => g.topic === `${base}/sensors/s0`)?.packet.properties?.userProperties).toEqual({
      origin: 'plant-7',
    });
  });

  it('rejects records it cannot render and publishes the rest', async () => {
    const base = uniqueId('sinkbad');
    const sub = await subscriber(url, `${base}/#`);
    clients.push(sub.client);
    const { task, h } = await startTask({ 'mqtt.topic': `${base}/\${value.room}` });
    const records: SinkRecord[] = [
      sinkRecord({ offset: 0, value: { room: 'kitchen' } }),
      sinkRecord({ offset: 1, value: { other: 1 } }), // no room field
      sinkRecord({ offset: 2, value: { room: 'a/+/b' } }), // renders a wildcard topic
      sinkRecord({ offset: 3, value: { room: 'hall', n: 10n ** 30n } }), // bigint beyond 2^53: written as text
      sinkRecord({ offset: 4, value: { room: 'x', self: undefined } }),
    ];
    const cyclic: Record<string, unknown> = { room: 'loop' };
    cyclic.me = cyclic;
    records.push(sinkRecord({ offset: 5, value: cyclic })); // cannot be JSON
    await expect(task.put(records)).resolves.toBeUndefined();
    await task.flush(AbortSignal.timeout(30_000));
    expect([...h.acks.keys()].sort()).toEqual(['orders/0/0', 'orders/0/3', 'orders/0/4']);
    expect([...h.rejects.keys()].sort()).toEqual(['orders/0/1', 'orders/0/2', 'orders/0/5']);
    for (const errs of h.rejects.values()) expect(errs[0]).toBeInstanceOf(RecordError);
    expect(h.rejects.get('orders/0/1')?.[0]?.message).toContain('${value.room}');
    expect(h.rejects.get('orders/0/2')?.[0]?.message).toContain('mqtt.topic');
    expect(h.counters.get('failed')).toBe(3);
    await eventually(() => sub.got.length === 3, { what: 'the three good records' });
    expect(JSON.parse(sub.got.find((g) => g.topic === `${base}/hall`)?.payload.toString() ?? '{}')).toEqual({
      room: 'hall',
      n: '1000000000000000000000000000000',
    });
  });

  it.each([0, 2] as const)('publishes at QoS %i and acks every record once', async (qos) => {
    const base = uniqueId(`sinkqos${qos}`);
    const sub = await subscriber(url, `${base}/#`);
    clients.push(sub.client);
    const { task, h } = await startTask({ 'mqtt.topic': `${base}/\${key}`, 'mqtt.qos': qos, 'mqtt.max.in.flight': 50 });
    const records = Array.from({ length: 300 }, (_, i) => sinkRecord({ offset: i, key: `k${i % 7}`, value: { i } }));
    await task.put(records);
    await task.flush(AbortSignal.timeout(30_000));
    expect(h.acks.size).toBe(300);
    expect(h.duplicateAcks()).toEqual([]);
    await eventually(() => sub.got.length === 300, { what: 'all 300 messages' });
    expect(new Set(sub.got.map((g) => g.packet.qos))).toEqual(new Set([qos]));
    // Order per topic is kept: a topic's messages arrive in offset order.
    const byTopic = new Map<string, number[]>();
    for (const g of sub.got)
      byTopic.set(g.topic, [...(byTopic.get(g.topic) ?? []), JSON.parse(g.payload.toString()).i]);
    for (const seq of byTopic.values()) expect(seq).toEqual([...seq].sort((a, b) => a - b));
  });
});

describe('MQTT sink task acknowledgement and window (broker holding PUBACKs)', () => {
  const env = new SinkOnFakeBroker();

  it('acks a record only after its PUBACK and never has more than the window outstanding', async () => {
    const { broker } = env;
    const { task, h } = await env.start('sinkwin', { 'mqtt.topic': 'out/${key}', 'mqtt.max.in.flight': 5 });
    const records = Array.from({ length: 20 }, (_, i) => sinkRecord({ offset: i, key: `k${i}`, value: { i } }));
    let putDone = false;
    const put = task.put(records).then(() => (putDone = true));

    await eventually(() => broker.publishes.length === 5, { what: 'the first window of publishes' });
    expect(h.acks.size).toBe(0); // the broker has acknowledged nothing yet
    expect(putDone).toBe(false);
    expect(h.gauges.get('in_flight')).toBe(5);

    broker.release(3);
    await eventually(() => h.acks.size === 3, { what: 'three acks after three PUBACKs' });
    expect(h.ackOrder).toEqual(['orders/0/0', 'orders/0/1', 'orders/0/2']);

    while (broker.publishes.length < 20 || broker.unacked.length > 0) {
      await eventually(() => broker.unacked.length > 0 || broker.publishes.length === 20, { what: 'more publishes' });
      broker.release(broker.unacked.length);
      await new Promise((r) => setImmediate(r));
    }
    await put;
    await task.flush(AbortSignal.timeout(10_000));
    expect(h.acks.size).toBe(20);
    expect(h.duplicateAcks()).toEqual([]);
    expect(broker.maxUnacked).toBeLessThanOrEqual(5);
    expect(broker.publishes.map((p) => p.topic)).toEqual(records.map((r) => `out/${String(r.key)}`));
  });

  it('rejects a record the broker refuses with a reason code and acks the others', async () => {
    const { broker } = env;
    const { task, h } = await env.start('sinkrefuse');
    await task.put([0, 1, 2].map((offset) => sinkRecord({ offset, value: offset })));
    await eventually(() => broker.publishes.length === 3, { what: 'three publishes' });
    broker.release(1);
    broker.release(1, 0x87); // Not authorized
    broker.release(1, 0x10); // No matching subscribers: still accepted
    await task.flush(AbortSignal.timeout(10_000));
    expect([...h.acks.keys()]).toEqual(['orders/0/0', 'orders/0/2']);
    const err = h.rejects.get('orders/0/1')?.[0];
    expect(err).toBeInstanceOf(RecordError);
    expect(err?.message).toContain('0x87');
    expect((err as RecordError).retriable).toBe(false);
  });

  it.each([1, 2])(
    'counts a QoS %i PUBACK/PUBREC with reason 0x10 (no matching subscribers) and still acks the record',
    async (qos) => {
      const { broker } = env;
      const { task, h } = await env.start('sinknosub', { 'mqtt.qos': qos });
      await task.put([0, 1].map((offset) => sinkRecord({ offset, value: offset })));
      await eventually(() => broker.publishes.length === 2, { what: 'two publishes' });
      for (const [i, reasonCode] of [0x10, 0].entries()) {
        const messageId = broker.publishes[i]?.messageId ?? 0;
        if (qos === 1) {
          broker.send({ cmd: 'puback', messageId, reasonCode });
          continue;
        }
        broker.send({ cmd: 'pubrec', messageId, reasonCode });
        await eventually(() => broker.packets.some((p) => p.cmd === 'pubrel' && p.messageId === messageId), {
          what: `the PUBREL of ${messageId}`,
        });
        broker.send({ cmd: 'pubcomp', messageId, reasonCode: 0 });
      }
      await task.flush(AbortSignal.timeout(10_000));
      expect([...h.acks.keys()]).toEqual(['orders/0/0', 'orders/0/1']);
      expect(h.rejects.size).toBe(0);
      expect(h.counters.get('no_subscribers')).toBe(1);
      expect(h.counters.get('published')).toBe(2);
    },
  );

  it('resends what was in flight when the connection drops and acks each record once', async () => {
    const { broker } = env;
    const { task, h } = await env.start('sinkdrop', { 'mqtt.reconnect.backoff.ms': 50 });
    await task.put([0, 1, 2, 3].map((offset) => sinkRecord({ offset, value: offset })));
    await eventually(() => broker.publishes.length === 4, { what: 'four publishes' });
    broker.release(1);
    await eventually(() => h.acks.size === 1, { what: 'the first ack' });
    broker.unacked.length = 0; // the new connection starts with nothing pending at the broker
    broker.dropClient();
    await eventually(() => h.pauses === 1, { what: 'the task to pause' });
    // mqtt.js resends stored publishes one at a time, each after the previous one's ack.
    await eventually(() => broker.publishes.length === 5, { what: 'the first unacknowledged publish resent' });
    expect(h.acks.size).toBe(1); // nothing acked by the reconnect itself
    while (h.acks.size < 4) {
      await eventually(() => broker.unacked.length > 0 || h.acks.size === 4, { what: 'a resent publish' });
      broker.release(broker.unacked.length);
      await new Promise((r) => setImmediate(r));
    }
    // The same packets again (mqtt.js 5.16 resends them without the DUP flag).
    expect(broker.publishes.slice(4).map((p) => [p.payload.toString(), p.messageId])).toEqual(
      broker.publishes.slice(1, 4).map((p) => [p.payload.toString(), p.messageId]),
    );
    await task.flush(AbortSignal.timeout(10_000));
    expect(h.duplicateAcks()).toEqual([]);
    expect(h.resumes).toBe(1);
  });

  it('fails start for good when the broker refuses the client', async () => {
    env.broker.connackCode = 0x86; // Bad User Name or Password
    const err = await env.start('sinkauth').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    expect((err as Error).message).toContain('Bad User Name or Password');
  });

  it('flush waits for outstanding acks and gives up when its signal aborts', async () => {
    const { broker } = env;
    const { task, h } = await env.start('sinkflush');
    await task.put([sinkRecord({ offset: 0, value: 1 })]);
    await eventually(() => broker.publishes.length === 1, { what: 'the publish' });
    const ctl = new AbortController();
    const flushed = task.flush(ctl.signal);
    ctl.abort();
    await expect(flushed).rejects.toThrow(/not yet accepted/);
    broker.release(1);
    await task.flush(AbortSignal.timeout(10_000));
    expect(h.acks.get('orders/0/0')).toBe(1);
  });
});
