/**
 * Exactly-once source mode wired into a real worker (worker setting from the environment, connector settings over
 * REST): records reach a read_committed reader through the task's transactions, the task's offsets are in the
 * offsets topic, and the worker logs the transactional id it fenced with.
 */
import mqtt from 'mqtt';
import {
  createTopic,
  eventually,
  KafkaReader,
  rest,
  stackEnv,
  startFreshWorker,
  uniqueId,
  type ClusterNames,
  type WorkerHandle,
} from '../../helpers';

jest.setTimeout(180_000);

const STRING = 'org.apache.kafka.connect.storage.StringConverter';

describe('exactly-once source in a worker', () => {
  const { kafka, mqtt: mqttUrl } = stackEnv();
  let w: WorkerHandle;
  let cluster: ClusterNames;

  beforeAll(async () => {
    ({ w, cluster } = await startFreshWorker('eosw', { env: { FERRY_EXACTLY_ONCE_SOURCE_SUPPORT: 'enabled' } }));
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('commits records and offsets in transactions; required is accepted on this worker', async () => {
    const root = uniqueId('eosw');
    const topic = uniqueId('eosw-out');
    await createTopic(kafka, topic, 1);
    const name = uniqueId('eos');
    const config = {
      'connector.class': 'io.ferry.connect.mqtt.MqttSourceConnector',
      'tasks.max': '1',
      'mqtt.server.uri': mqttUrl,
      'mqtt.topics': `${root}/#`,
      'mqtt.qos': '1',
      'mqtt.value.format': 'string',
      'kafka.topic': topic,
      'key.converter': STRING,
      'value.converter': STRING,
      'exactly.once.support': 'required',
      'transaction.boundary': 'poll',
    };
    const validated = await rest(w.url, 'PUT', '/connector-plugins/MqttSourceConnector/config/validate', {
      ...config,
      name,
    });
    expect(validated.body?.error_count).toBe(0);
    expect((await rest(w.url, 'POST', '/connectors', { name, config })).status).toBe(201);
    const reader = new KafkaReader(kafka, topic, { partitions: 1, isolation: 'read_committed' });
    await reader.start();
    const pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('pub'), protocolVersion: 5 });
    try {
      // The subscription exists only once the task has subscribed: publish a warm-up message until one arrives.
      await eventually(
        async () => {
          await pub.publishAsync(`${root}/warm`, 'warm', { qos: 1 });
          return reader.records.length > 0;
        },
        { what: 'the first committed record', timeoutMs: 90_000, intervalMs: 1000 },
      );
      for (let i = 0; i < 20; i++) await pub.publishAsync(`${root}/dev`, `m${i}`, { qos: 1 });
      const got = await reader.until((r) => r.some((m) => m.value?.toString() === 'm19'), { what: 'm19 committed' });
      const values = got.map((m) => m.value?.toString()).filter((v) => v !== 'warm');
      expect(values).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
      await eventually(
        async () => {
          const res = await rest(w.url, 'GET', `/connectors/${name}/offsets`);
          const offsets = (res.body?.offsets ?? []) as {
            partition: Record<string, unknown>;
            offset: { count?: number };
          }[];
          const mine = offsets.find((o) => o.partition['mqtt.filter'] === `${root}/#`);
          return (mine?.offset.count ?? 0) >= got.length;
        },
        { what: 'the offsets of every committed record in the offsets topic' },
      );
      expect(w.output()).toContain(`${cluster.groupId}-${name}-0`);
    } finally {
      await pub.endAsync();
      await reader.stop();
      await rest(w.url, 'DELETE', `/connectors/${name}`);
    }
  });
});
