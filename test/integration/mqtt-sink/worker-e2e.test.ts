import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import {
  AVRO_CONVERTER,
  type ClusterNames,
  createConnector,
  createTopic,
  eventually,
  mqttSinkConfig,
  produce,
  rest,
  stackEnv,
  startFreshWorker,
  startWorker,
  STRING_CONVERTER,
  uniqueId,
  type WorkerHandle,
} from '../../helpers';

interface Got {
  topic: string;
  payload: Buffer;
  packet: IPublishPacket;
}

async function subscribe(url: string, filter: string): Promise<{ client: MqttClient; got: Got[] }> {
  const client = await mqtt.connectAsync(url, { clientId: uniqueId('e2esub'), protocolVersion: 5 });
  const got: Got[] = [];
  client.on('message', (topic, payload, packet) => got.push({ topic, payload, packet }));
  await client.subscribeAsync(filter, { qos: 1, rap: true });
  return { client, got };
}

describe('MQTT sink in a worker, with real Kafka, registry and Mosquitto', () => {
  const { kafka, registry, mqtt: mqttUrl } = stackEnv();
  let cluster: ClusterNames;
  let w: WorkerHandle;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    // The restart test below starts a worker again in the cluster that actually started.
    ({ w, cluster } = await startFreshWorker('sinke2e'));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync()));
    await w?.stop();
  });

  it('publishes Avro records as JSON on templated topics; offsets REST shows and resets the group', async () => {
    const topic = uniqueId('sink-avro');
    const base = uniqueId('e2e');
    await createTopic(kafka, topic, 2);
    const schemaRegistry = new SchemaRegistry({ host: registry });
    const { id } = await schemaRegistry.register(
      {
        type: SchemaType.AVRO,
        schema: JSON.stringify({
          type: 'record',
          name: 'Command',
          namespace: 'io.ferry.test',
          fields: [
            { name: 'kind', type: 'string' },
            { name: 'level', type: 'int' },
            { name: 'note', type: ['null', 'string'], default: null },
          ],
        }),
      },
      { subject: `${topic}-value` },
    );
    const N = 40;
    const messages = await Promise.all(
      Array.from({ length: N }, async (_, i) => ({
        topic,
        partition: i % 2,
        key: `dev${i % 4}`,
        value: await schemaRegistry.encode(id, { kind: i % 3 === 0 ? 'reboot' : 'ping', level: i, note: null }),
        headers: [{ trace: `t${i}` }],
      })),
    );
    await produce(kafka, messages);
    const sub = await subscribe(mqttUrl, `${base}/#`);
    clients.push(sub.client);

    const name = uniqueId('sink');
    const created = await rest(w.url, 'POST', '/connectors', {
      name,
      config: {
        'connector.class': 'io.ferry.connect.mqtt.MqttSinkConnector',
        'tasks.max': '1',
        topics: topic,
        'key.converter': STRING_CONVERTER,
        'value.converter': AVRO_CONVERTER,
        'value.converter.schema.registry.url': registry,
        'mqtt.server.uri': mqttUrl,
        'mqtt.topic': `${base}/\${key}/\${value.kind}`,
        'mqtt.qos': '1',
      },
    });
    expect(created.status).toBe(201);

    await eventually(() => sub.got.length >= N, { what: `${N} MQTT messages`, timeoutMs: 90_000 });
    const byLevel = new Map(sub.got.map((g) => [(JSON.parse(g.payload.toString()) as { level: number }).level, g]));
    expect(byLevel.size).toBe(N);
    for (let i = 0; i < N; i++) {
      const g = byLevel.get(i);
      expect(g?.topic).toBe(`${base}/dev${i % 4}/${i % 3 === 0 ? 'reboot' : 'ping'}`);
      expect(JSON.parse(g?.payload.toString() ?? '')).toEqual({
        kind: i % 3 === 0 ? 'reboot' : 'ping',
        level: i,
        note: null,
      });
      expect(g?.packet.qos).toBe(1);
      expect(g?.packet.properties?.userProperties).toEqual({ trace: `t${i}` });
    }

    // The consumer group's committed offsets, as Connect shows them.
    const committed = await eventually(
      async () => {
        const r = await rest(w.url, 'GET', `/connectors/${name}/offsets`);
        const offsets = (r.body?.offsets ?? []) as {
          partition: { kafka_partition: number };
          offset: { kafka_offset: number };
        }[];
        const total = offsets.reduce((sum, o) => sum + o.offset.kafka_offset, 0);
        return total === N ? offsets : undefined;
      },
      { what: 'committed offsets of every record', timeoutMs: 60_000 },
    );
    expect(committed.map((o) => o.partition.kafka_partition).sort()).toEqual([0, 1]);

    // Stop, reset the offsets, resume: everything is published again.
    expect((await rest(w.url, 'PUT', `/connectors/${name}/stop`)).status).toBe(204);
    await eventually(async () => (await rest(w.url, 'DELETE', `/connectors/${name}/offsets`)).status === 200, {
      what: 'offsets reset',
      timeoutMs: 60_000,
    });
    expect((await rest(w.url, 'PUT', `/connectors/${name}/resume`)).status).toBe(202);
    await eventually(() => sub.got.length >= 2 * N, { what: 'the records published again', timeoutMs: 90_000 });
    expect(sub.got.length).toBe(2 * N);
    await rest(w.url, 'DELETE', `/connectors/${name}`);
  });

  it('publishes every record at least once when the worker is killed mid-stream and restarted', async () => {
    const topic = uniqueId('sink-kill');
    const base = uniqueId('kill');
    const N = 3000;
    await createTopic(kafka, topic, 3);
    await produce(
      kafka,
      Array.from({ length: N }, (_, i) => ({ topic, partition: i % 3, key: `k${i}`, value: Buffer.from(String(i)) })),
    );
    const seen = new Map<number, number>();
    const sub = await subscribe(mqttUrl, `${base}/#`);
    clients.push(sub.client);
    // The sink publishes 3,000 records in well under a second: the kill is sent from the message handler the moment
    // a fifth has arrived, since polling for that point would find the stream already finished.
    let killed: Promise<void> | undefined;
    sub.client.on('message', (_t, payload) => {
      const i = Number(payload.toString());
      seen.set(i, (seen.get(i) ?? 0) + 1);
      if (!killed && seen.size >= N / 5) killed = w.kill();
    });
    const name = uniqueId('sinkkill');
    await createConnector(
      w.url,
      name,
      mqttSinkConfig(
        { topics: topic, mqttUrl, mqttTopic: `${base}/\${kafka.partition}` },
        { 'mqtt.payload.format': 'string', 'mqtt.max.in.flight': '100' },
      ),
    );
    await eventually(() => killed !== undefined, { what: 'a fifth of the records', timeoutMs: 90_000 });
    await killed;
    const before = seen.size;
    w = await startWorker(cluster);
    await eventually(() => seen.size === N, { what: `all ${N} records after the restart`, timeoutMs: 300_000 });
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    process.stdout.write(
      `worker SIGKILL: ${before} records seen before the kill, all ${N} after, ${duplicates} duplicates\n`,
    );
    expect(before).toBeLessThan(N); // the kill really interrupted the stream
    await rest(w.url, 'DELETE', `/connectors/${name}`);
    // The restarted worker waits out the killed one's group sessions (45 s each by default) before it owns the task.
  }, 400_000);

  it('round-trips MQTT → Kafka → MQTT byte for byte with the source envelope', async () => {
    const topic = uniqueId('sink-env');
    const base = uniqueId('rt');
    await createTopic(kafka, topic, 1);
    const out = await subscribe(mqttUrl, `${base}/out/#`);
    clients.push(out.client);
    const avro = {
      'value.converter': AVRO_CONVERTER,
      'value.converter.schema.registry.url': registry,
      'key.converter': STRING_CONVERTER,
    };
    const source = uniqueId('src');
    const sink = uniqueId('snk');
    expect(
      (
        await rest(w.url, 'POST', '/connectors', {
          name: source,
          config: {
            'connector.class': 'MqttSourceConnector',
            'tasks.max': '1',
            'mqtt.server.uri': mqttUrl,
            'mqtt.topics': `${base}/in/#`,
            'kafka.topic': topic,
            ...avro,
          },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await rest(w.url, 'POST', '/connectors', {
          name: sink,
          config: {
            'connector.class': 'MqttSinkConnector',
            'tasks.max': '1',
            topics: topic,
            'mqtt.server.uri': mqttUrl,
            'mqtt.topic': `${base}/out/\${value.topic}`,
            'mqtt.payload.format': 'envelope',
            ...avro,
          },
        })
      ).status,
    ).toBe(201);
    await eventually(
      async () => {
        const s = await rest(w.url, 'GET', `/connectors/${source}/status`);
        return s.body?.tasks?.[0]?.state === 'RUNNING';
      },
      { what: 'the source task running', timeoutMs: 60_000 },
    );

    const pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('e2epub'), protocolVersion: 5 });
    clients.push(pub);
    const payloads = Array.from({ length: 10 }, (_, i) => (i === 0 ? Buffer.alloc(0) : randomBytes(64 + i)));
    for (let i = 0; i < payloads.length; i++) {
      await pub.publishAsync(`${base}/in/dev${i}`, payloads[i] as Buffer, {
        qos: 1,
        properties: { userProperties: { seq: String(i) } },
      });
    }
    await eventually(() => out.got.length >= payloads.length, {
      what: 'the round-tripped messages',
      timeoutMs: 90_000,
    });
    for (let i = 0; i < payloads.length; i++) {
      const g = out.got.find((m) => m.topic === `${base}/out/${base}/in/dev${i}`);
      expect(g?.payload.equals(payloads[i] as Buffer)).toBe(true);
      expect(g?.packet.properties?.userProperties).toEqual({ seq: String(i) });
    }
    await rest(w.url, 'DELETE', `/connectors/${source}`);
    await rest(w.url, 'DELETE', `/connectors/${sink}`);
  });
});
