/**
 * The MQTT source in a real worker: Mosquitto → Ferry → Kafka (Avro through the registry), read back from Kafka.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import mqtt from 'mqtt';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AVRO_CONVERTER,
  eventually,
  headerValue,
  headerValues,
  mqttSourceConfig,
  readTopic,
  rest,
  stackEnv,
  startFreshWorker,
  STRING_CONVERTER,
  uniqueId,
  type WorkerHandle,
} from '../../helpers';

jest.setTimeout(240_000);

describe('MQTT source in a worker, with real Kafka, registry and Mosquitto', () => {
  const { kafka, registry, mqtt: mqttUrl } = stackEnv();
  let w: WorkerHandle;

  beforeAll(async () => {
    ({ w } = await startFreshWorker('srce2e'));
  });
  afterAll(async () => {
    await w?.stop();
  });

  const running = (name: string): Promise<unknown> =>
    eventually(
      async () => (await rest(w.url, 'GET', `/connectors/${name}/status`)).body?.tasks?.[0]?.state === 'RUNNING',
      { what: `${name} RUNNING`, timeoutMs: 90_000 },
    );

  it('writes the Avro envelope to a templated topic, key = MQTT topic, MQTT 5 properties as headers', async () => {
    const root = uniqueId('srce2e');
    const prefix = root.replace(/[^a-zA-Z0-9-]/g, '-');
    const name = uniqueId('src');
    const created = await rest(w.url, 'POST', '/connectors', {
      name,
      config: mqttSourceConfig(
        { filters: `${root}/+/temp`, mqttUrl, kafkaTopic: `${prefix}.\${mqtt.topic[1]}` },
        {
          // The package-qualified alias must work as well as the class name.
          'connector.class': 'io.ferry.connect.mqtt.MqttSourceConnector',
          'value.converter': AVRO_CONVERTER,
          'value.converter.schema.registry.url': registry,
          'topic.creation.default.partitions': '2',
        },
      ),
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
          return (await readTopic(kafka, `${prefix}.warm`, { count: 1, timeoutMs: 2000 })).length > 0;
        },
        { what: 'the first record in Kafka', timeoutMs: 90_000 },
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
    const got = [
      ...(await readTopic(kafka, `${prefix}.press0`, { count: 10, timeoutMs: 90_000 })),
      ...(await readTopic(kafka, `${prefix}.press1`, { count: 10, timeoutMs: 90_000 })),
    ];
    expect(got).toHaveLength(20);
    const sr = new SchemaRegistry({ host: registry });
    for (const r of got) {
      const seq = Number(headerValue(r, 'seq'));
      const key = r.key?.toString();
      expect(r.topic).toBe(`${prefix}.press${seq % 2}`);
      expect(key).toBe(`${root}/press${seq % 2}/temp`);
      expect(headerValues(r, 'mqtt.topic')).toEqual([key]);
      expect(headerValues(r, 'mqtt.content.type')).toEqual(['application/octet-stream']);
      // Kafka has the correlation data's exact bytes: as they are when they are text, as base64 text when not.
      if (seq % 2) {
        expect(headerValues(r, 'mqtt.correlation.data')).toEqual([]);
        const b64 = headerValue(r, 'mqtt.correlation.data.base64') ?? '';
        expect(Buffer.from(b64, 'base64')).toEqual(Buffer.from([0xff, 0, seq]));
      } else {
        expect(headerValues(r, 'mqtt.correlation.data')).toEqual([`req-${seq}`]);
      }
      const v = (await sr.decode(r.value ?? Buffer.alloc(0))) as Record<string, unknown>;
      expect(Buffer.from(v['payload'] as Buffer)).toEqual(payloads[seq]);
      expect(v['topic']).toBe(key);
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
          'key.converter': STRING_CONVERTER,
          'value.converter': AVRO_CONVERTER,
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
            return (await readTopic(kafka, topic, { count: 1, timeoutMs: 2000 })).length > 0;
          },
          { what: 'the first record in Kafka', timeoutMs: 90_000 },
        );
        await pub.publishAsync(`${root}/d/x`, 'not json at all', { qos: 1 });
        await pub.publishAsync(`${root}/d/x`, JSON.stringify({ temp: 3 }), { qos: 1 });
        await pub.publishAsync(`${root}/d/x`, JSON.stringify({ deviceId: 'last', temp: 1.5 }), { qos: 1 });
      } finally {
        await pub.endAsync();
      }
      const dead = await readTopic(kafka, dlq, { count: 2, timeoutMs: 90_000 });
      expect(dead.map((d) => d.value?.toString())).toEqual(['not json at all', JSON.stringify({ temp: 3 })]);
      const reasons = dead.map((d) => d.headers.map((h) => `${h.key}=${h.value.toString()}`).join(' '));
      expect(reasons[0]).toMatch(/not JSON/);
      expect(reasons[1]).toMatch(/deviceId is required/);
      const sr = new SchemaRegistry({ host: registry });
      const good = await readTopic(kafka, topic, { count: 2, timeoutMs: 90_000 });
      const values = await Promise.all(
        good.map(async (g) => (await sr.decode(g.value ?? Buffer.alloc(0))) as Record<string, unknown>),
      );
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
