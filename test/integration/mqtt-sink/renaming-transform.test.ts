import mqtt, { type MqttClient } from 'mqtt';
import {
  createConnector,
  createTopic,
  eventually,
  mqttSinkConfig,
  produce,
  rest,
  stackEnv,
  startFreshWorker,
  uniqueId,
  type WorkerHandle,
} from '../../helpers';

/**
 * A transform that renames the topic (RegexRouter here; TimestampRouter works the same way) must not stop the sink
 * from committing: the offsets belong to the topic the records were consumed from, not to the renamed one.
 */
describe('MQTT sink with a topic-renaming transform, in a worker with real Kafka and Mosquitto', () => {
  const { kafka, mqtt: mqttUrl } = stackEnv();
  let w: WorkerHandle;
  let sub: MqttClient | undefined;

  beforeAll(async () => {
    ({ w } = await startFreshWorker('sinkrename'));
  });
  afterAll(async () => {
    await sub?.endAsync();
    await w?.stop();
  });

  it('publishes every record under the renamed topic and commits the consumed topic offsets', async () => {
    const topic = uniqueId('sink-rename');
    const base = uniqueId('renamed');
    const N = 30;
    await createTopic(kafka, topic, 2);
    await produce(
      kafka,
      Array.from({ length: N }, (_, i) => ({ topic, partition: i % 2, key: `k${i}`, value: Buffer.from(String(i)) })),
    );
    sub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('renamesub'), protocolVersion: 5 });
    const got: { topic: string; payload: string }[] = [];
    sub.on('message', (t, payload) => got.push({ topic: t, payload: payload.toString() }));
    await sub.subscribeAsync(`${base}/#`, { qos: 1 });

    const name = uniqueId('sinkrename');
    await createConnector(
      w.url,
      name,
      mqttSinkConfig(
        { topics: topic, mqttUrl, mqttTopic: `${base}/\${kafka.topic}/\${kafka.partition}` },
        {
          transforms: 'route',
          'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter',
          'transforms.route.regex': '(.*)',
          'transforms.route.replacement': 'renamed-$1',
          'mqtt.payload.format': 'string',
          'mqtt.qos': '1',
        },
      ),
    );

    await eventually(() => got.length >= N, { what: `${N} MQTT messages`, timeoutMs: 90_000 });
    expect(new Set(got.map((g) => g.payload)).size).toBe(N);
    // The transform really renamed the topic the sink saw.
    for (const g of got) expect(g.topic).toMatch(new RegExp(`^${base}/renamed-${topic}/[01]$`));

    // Every record's offset is committed in the connector's group, under the consumed topic and partition.
    const committed = await eventually(
      async () => {
        const r = await rest(w.url, 'GET', `/connectors/${name}/offsets`);
        const offsets = (r.body?.offsets ?? []) as {
          partition: { kafka_topic: string; kafka_partition: number };
          offset: { kafka_offset: number };
        }[];
        const total = offsets.reduce((sum, o) => sum + o.offset.kafka_offset, 0);
        return total === N ? offsets : undefined;
      },
      { what: 'committed offsets of every record', timeoutMs: 45_000 },
    );
    expect(committed.map((o) => o.partition.kafka_topic)).toEqual([topic, topic]);
    expect(committed.map((o) => o.partition.kafka_partition).sort()).toEqual([0, 1]);
    expect(committed.map((o) => o.offset.kafka_offset)).toEqual([N / 2, N / 2]);
    await rest(w.url, 'DELETE', `/connectors/${name}`);
  }, 200_000);
});
