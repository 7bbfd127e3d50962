/**
 * The MQTT source in a real worker: Mosquitto → Ferry → Kafka (Avro through the registry), read back from Kafka.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import mqtt from 'mqtt';
import Kafka from 'node-rdkafka';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { uniqueId } from '../../helpers/ids';
import { stackEnv } from '../../helpers/stack';
import { eventually, freshCluster, rest, startWorker, type WorkerHandle } from '../../helpers/worker';

jest.setTimeout(240_000);

const AVRO = 'io.confluent.connect.avro.AvroConverter';
const STRING = 'org.apache.kafka.connect.storage.StringConverter';

interface Consumed {
  topic: string;
  key: string;
  value: Buffer;
  headers: Map<string, string[]>;
}

/** Reads `topic` from the beginning until `n` records arrived (or the limit passes). */
async function consume(kafka: string, topic: string, n: number, limitMs = 90_000): Promise<Consumed[]> {
  const consumer = new Kafka.KafkaConsumer(
    {
      'group.id': uniqueId('e2e-read'),
      'bootstrap.servers': kafka,
      'enable.auto.commit': false,
      // The topic may be created (by the connector) after this consumer subscribed: see it soon.
      'topic.metadata.refresh.interval.ms': 500,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) =>
    consumer.connect({}, (err) => (err ? reject(new Error(err.message)) : resolve())),
  );
  const out: Consumed[] = [];
  try {
    consumer.subscribe([topic]);
    const deadline = Date.now() + limitMs;
    while (out.length < n && Date.now() < deadline) {
      // Until the connector's first record creates the topic, the broker answers "unknown topic": keep reading.
      const batch = await new Promise<Kafka.Message[]>((resolve) =>
        consumer.consume(100, (err, msgs) => resolve(err ? [] : msgs)),
      );
      for (const m of batch) {
        const headers = new Map<string, string[]>();
        for (const h of m.headers ?? []) {
          for (const [k, v] of Object.entries(h))
            headers.set(k, [...(headers.get(k) ?? []), Buffer.from(v).toString()]);
        }
        out.push({ topic: m.topic, key: m.key?.toString() ?? '', value: m.value ?? Buffer.alloc(0), headers });
      }
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
  return out;
}

describe('MQTT source in a worker, with real Kafka, registry and Mosquitto', () => {
  const { kafka, registry, mqtt: mqttUrl } = stackEnv();
  let w: WorkerHandle;

  beforeAll(async () => {
    // A fresh cluster's worker has been seen to die at start while its internal topics are brand new (reported to
    // the runtime's owner); this file tests the connector, so it tries up to three times.
    for (let attempt = 1; ; attempt++) {
      try {
        w = await startWorker(freshCluster('srce2e'));
        return;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  });
  afterAll(async () => {
    await w?.stop();
  });

  const running = (name: string): Promise<unknown> =>
    eventually(
      async () => (await rest(w.url, 'GET', `/connectors/${name}/status`)).body?.tasks?.[0]?.state === 'RUNNING',
      90_000,
      `${name} RUNNING`,
    );

  it('writes the Avro envelope to a templated topic, key = MQTT topic, MQTT 5 properties as headers', async () => {
    const root = uniqueId('srce2e');
    const prefix = root.replace(/[^a-zA-Z0-9-]/g, '-');
    const name = uniqueId('src');
    const created = await rest(w.url, 'POST', '/connectors', {
      name,
      config: {
        'connector.class': 'io.ferry.connect.mqtt.MqttSourceConnector',
        'tasks.max': '1',
        'mqtt.server.uri': mqttUrl,
        'mqtt.topics': `${root}/+/temp`,
        'kafka.topic': `${prefix}.\${mqtt.topic[1]}`,
        'key.converter': STRING,
        'value.converter': AVRO,
        'value.converter.schema.registry.url': registry,
        'topic.creation.default.partitions': '2',
        'topic.creation.default.replication.factor': '1',
      },
    });
    expect(created.status).toBe(201);
    await running(name);
    const pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('pub'), protocolVersion: 5 });
    const payloads = Array.from({ length: 20 }, (_, i) => Buffer.from([0, 255, i]));
    try {
      // The subscription exists only once the task has subscribed (RUNNING comes first): publish a warm-up message
      // until one reaches Kafka.
      await eventually(
        async () => {
          await pub.publishAsync(`${root}/warm/temp`, 'warm', { qos: 1 });
          return (await consume(kafka, `${prefix}.warm`, 1, 2000)).length > 0;
        },
        90_000,
        'the first record in Kafka',
      );
      for (let i = 0; i < payloads.length; i++) {
        await pub.publishAsync(`${root}/press${i % 2}/temp`, payloads[i] ?? Buffer.alloc(0), {
          qos: 1,
          properties: {
            userProperties: { seq: String(i) },
            contentType: 'application/octet-stream',
            // Binary correlation data (not UTF-8, with a zero byte) on odd messages, text on even ones.
            correlationData: i % 2 ? Buffer.from([0xff, 0, i]) : Buffer.from(`req-${i}`),
          },
        });
      }
    } finally {
      await pub.endAsync();
    }
    const got = [...(await consume(kafka, `${prefix}.press0`, 10)), ...(await consume(kafka, `${prefix}.press1`, 10))];
    expect(got).toHaveLength(20);
    const sr = new SchemaRegistry({ host: registry });
    for (const r of got) {
      const seq = Number(r.headers.get('seq')?.[0]);
      expect(r.topic).toBe(`${prefix}.press${seq % 2}`);
      expect(r.key).toBe(`${root}/press${seq % 2}/temp`);
      expect(r.headers.get('mqtt.topic')).toEqual([r.key]);
      expect(r.headers.get('mqtt.content.type')).toEqual(['application/octet-stream']);
      // Kafka has the correlation data's exact bytes: as they are when they are text, as base64 text when not.
      if (seq % 2) {
        expect(r.headers.get('mqtt.correlation.data')).toBeUndefined();
        const b64 = r.headers.get('mqtt.correlation.data.base64')?.[0] ?? '';
        expect(Buffer.from(b64, 'base64')).toEqual(Buffer.from([0xff, 0, seq]));
      } else {
        expect(r.headers.get('mqtt.correlation.data')).toEqual([`req-${seq}`]);
      }
      const v = (await sr.decode(r.value)) as Record<string, unknown>;
      expect(Buffer.from(v['payload'] as Buffer)).toEqual(payloads[seq]);
      expect(v['topic']).toBe(r.key);
      expect(v['qos']).toBe(1);
      expect(v['user_properties']).toEqual({ seq: String(seq) });
    }
    // What the converter registered is exactly the shipped .avsc.
    const id = await sr.getLatestSchemaId(`${prefix}.press0-value`);
    const res = await fetch(`${registry}/schemas/ids/${id}`);
    const registered = JSON.parse(((await res.json()) as { schema: string }).schema);
    const shipped = JSON.parse(
      readFileSync(path.join(__dirname, '..', '..', '..', 'schemas', 'avro', 'mqtt-envelope.avsc'), 'utf8'),
    );
    expect(registered).toEqual(shipped);
    await rest(w.url, 'DELETE', `/connectors/${name}`);
  });

  it('json mode: payloads that are not JSON or miss a required field go to the dead-letter queue with the reason', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-src-schema-'));
    const schemaFile = path.join(dir, 'reading.avsc');
    writeFileSync(
      schemaFile,
      JSON.stringify({
        type: 'record',
        name: 'Reading',
        namespace: 'io.ferry.test',
        fields: [
          { name: 'deviceId', type: 'string' },
          { name: 'temp', type: 'double' },
        ],
      }),
    );
    const root = uniqueId('srcdlq');
    const topic = uniqueId('srcdlq-out');
    const dlq = uniqueId('srcdlq-dlq');
    const name = uniqueId('src');
    try {
      const created = await rest(w.url, 'POST', '/connectors', {
        name,
        config: {
          'connector.class': 'MqttSourceConnector',
          'tasks.max': '1',
          'mqtt.server.uri': mqttUrl,
          'mqtt.topics': `${root}/#`,
          'kafka.topic': topic,
          'mqtt.value.format': 'json',
          'mqtt.value.schema.file': schemaFile,
          'key.converter': STRING,
          'value.converter': AVRO,
          'value.converter.schema.registry.url': registry,
          'errors.tolerance': 'all',
          'errors.deadletterqueue.topic.name': dlq,
          'errors.deadletterqueue.topic.replication.factor': '1',
          'errors.deadletterqueue.context.headers.enable': 'true',
          'topic.creation.default.partitions': '1',
          'topic.creation.default.replication.factor': '1',
        },
      });
      expect(created.status).toBe(201);
      await running(name);
      const pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('pub'), protocolVersion: 5 });
      try {
        await eventually(
          async () => {
            await pub.publishAsync(`${root}/d/x`, JSON.stringify({ deviceId: 'warm', temp: 0 }), { qos: 1 });
            return (await consume(kafka, topic, 1, 2000)).length > 0;
          },
          90_000,
          'the first record in Kafka',
        );
        await pub.publishAsync(`${root}/d/x`, 'not json at all', { qos: 1 });
        await pub.publishAsync(`${root}/d/x`, JSON.stringify({ temp: 3 }), { qos: 1 });
        await pub.publishAsync(`${root}/d/x`, JSON.stringify({ deviceId: 'last', temp: 1.5 }), { qos: 1 });
      } finally {
        await pub.endAsync();
      }
      const dead = await consume(kafka, dlq, 2);
      expect(dead.map((d) => d.value.toString())).toEqual(['not json at all', JSON.stringify({ temp: 3 })]);
      const reasons = dead.map((d) => [...d.headers.entries()].map(([k, v]) => `${k}=${v.join()}`).join(' '));
      expect(reasons[0]).toMatch(/not JSON/);
      expect(reasons[1]).toMatch(/deviceId is required/);
      const sr = new SchemaRegistry({ host: registry });
      const good = await consume(kafka, topic, 2);
      const values = await Promise.all(good.map(async (g) => (await sr.decode(g.value)) as Record<string, unknown>));
      expect(values.map((v) => v['deviceId'])).toContain('last');
      expect(values.every((v) => typeof v['temp'] === 'number')).toBe(true);
      // The task kept running.
      const st = await rest(w.url, 'GET', `/connectors/${name}/status`);
      expect(st.body?.tasks?.[0]?.state).toBe('RUNNING');
    } finally {
      await rest(w.url, 'DELETE', `/connectors/${name}`);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
