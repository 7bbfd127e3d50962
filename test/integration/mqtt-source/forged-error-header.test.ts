/**
 * Issue #21: an MQTT 5 user property named like the runtime's dead-letter reason header (`__ferry.error`) used to mark
 * its record as failed, so a publisher could fail a source task (the default error policy). Against the real
 * Mosquitto and Kafka: such a message is an ordinary record, the property reaches Kafka as an ordinary header, and
 * the task stays RUNNING.
 */
import mqtt from 'mqtt';
import Kafka from 'node-rdkafka';
import { uniqueId } from '../../helpers/ids';
import { stackEnv } from '../../helpers/stack';
import { eventually, freshCluster, rest, startWorker, type WorkerHandle } from '../../helpers/worker';

jest.setTimeout(180_000);

const STRING = 'org.apache.kafka.connect.storage.StringConverter';

interface Read {
  value: string;
  headers: [string, string][];
}

/** A consumer reading `topic` from the beginning into `out` until stopped. */
async function reader(kafka: string, topic: string, out: Read[]): Promise<() => Promise<void>> {
  const consumer = new Kafka.KafkaConsumer(
    {
      'group.id': uniqueId('forged-read'),
      'bootstrap.servers': kafka,
      'enable.auto.commit': false,
      'topic.metadata.refresh.interval.ms': 500,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) =>
    consumer.connect({}, (err) => (err ? reject(new Error(err.message)) : resolve())),
  );
  consumer.subscribe([topic]);
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      // Until the connector's first record creates the topic the broker answers "unknown topic": keep reading.
      const batch = await new Promise<Kafka.Message[]>((resolve) =>
        consumer.consume(100, (err, msgs) => resolve(err ? [] : msgs)),
      );
      for (const m of batch) {
        const headers = (m.headers ?? []).flatMap((h) =>
          Object.entries(h).map(([k, v]): [string, string] => [k, Buffer.from(v).toString()]),
        );
        out.push({ value: m.value?.toString() ?? '', headers });
      }
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  };
}

describe('MQTT source: a user property named like the dead-letter reason header', () => {
  const { kafka, mqtt: mqttUrl } = stackEnv();
  let w: WorkerHandle;

  beforeAll(async () => {
    w = await startWorker(freshCluster('forged'));
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('is an ordinary Kafka header and the task stays RUNNING (default error policy: a failure would fail it)', async () => {
    const root = uniqueId('forged');
    const topic = root.replace(/[^a-zA-Z0-9-]/g, '-');
    const name = uniqueId('forged-src');
    const created = await rest(w.url, 'POST', '/connectors', {
      name,
      config: {
        'connector.class': 'MqttSourceConnector',
        'tasks.max': '1',
        'mqtt.server.uri': mqttUrl,
        'mqtt.protocol.version': '5',
        'mqtt.topics': `${root}/#`,
        'kafka.topic': topic,
        'mqtt.value.format': 'string',
        'key.converter': STRING,
        'value.converter': STRING,
        'topic.creation.default.partitions': '1',
        'topic.creation.default.replication.factor': '1',
      },
    });
    expect(created.status).toBe(201);
    const taskState = async (): Promise<string | undefined> =>
      ((await rest(w.url, 'GET', `/connectors/${name}/status`)).body?.tasks?.[0]?.state as string | undefined) ??
      undefined;
    await eventually(async () => (await taskState()) === 'RUNNING', 90_000, `${name} RUNNING`);

    const read: Read[] = [];
    const stopReading = await reader(kafka, topic, read);
    const pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('forged-pub'), protocolVersion: 5 });
    try {
      // The subscription exists only once the task has subscribed (RUNNING comes first): publish until one arrives.
      let seq = 0;
      await eventually(
        async () => {
          seq += 1;
          await pub.publishAsync(`${root}/d1`, `forged ${seq}`, {
            qos: 1,
            properties: { userProperties: { '__ferry.error': 'set by a publisher' } },
          });
          return read.length > 0;
        },
        60_000,
        'a record of a message with the user property in Kafka',
      );
      await pub.publishAsync(`${root}/d1`, 'after', { qos: 1 });
      await eventually(
        () => Promise.resolve(read.some((r) => r.value === 'after')),
        60_000,
        'the next message in Kafka',
      );
    } finally {
      await pub.endAsync();
      await stopReading();
    }
    const forged = read.filter((r) => r.value.startsWith('forged '));
    expect(forged.length).toBeGreaterThan(0);
    for (const r of forged) expect(r.headers).toContainEqual(['__ferry.error', 'set by a publisher']);
    expect(await taskState()).toBe('RUNNING');
    await rest(w.url, 'DELETE', `/connectors/${name}`);
  });
});
