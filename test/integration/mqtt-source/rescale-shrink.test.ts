/**
 * Shrinking a source under a QoS 1 stream (`tasks.max` 3 → 1): the departed tasks' persistent sessions hold messages
 * the broker acknowledged to the publisher — the ones in flight and those the share group assigned to them. Ending
 * those sessions with Clean Start discarded them (issue #16); each departed task must first unsubscribe and drain its
 * queue into Kafka. Every message the broker acknowledged must be in Kafka. Real worker, Kafka and Mosquitto.
 */
import mqtt from 'mqtt';
import { KafkaReader, eventually, rest, stackEnv, startFreshWorker, uniqueId, type WorkerHandle } from '../../helpers';

jest.setTimeout(240_000);

const STRING = 'org.apache.kafka.connect.storage.StringConverter';

describe.each(['5', '3.1.1'])('MQTT %s source shrunk 3 → 1 under a QoS 1 stream', (version) => {
  const { kafka, mqtt: mqttUrl } = stackEnv();
  let w: WorkerHandle;

  beforeAll(async () => {
    ({ w } = await startFreshWorker('shrink'));
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('loses nothing the broker acknowledged', async () => {
    const root = uniqueId('shrink');
    const topic = root.replace(/[^a-zA-Z0-9-]/g, '-');
    const name = uniqueId('shrk');
    const config = (tasks: number): Record<string, string> => ({
      'connector.class': 'MqttSourceConnector',
      'tasks.max': String(tasks),
      'mqtt.server.uri': mqttUrl,
      'mqtt.protocol.version': version,
      'mqtt.topics': `${root}/#`,
      'mqtt.qos': '1',
      // A small window: the broker queues what each member of the share group cannot take yet.
      'mqtt.max.in.flight': '10',
      'mqtt.value.format': 'string',
      'kafka.topic': topic,
      'key.converter': STRING,
      'value.converter': STRING,
      'topic.creation.default.partitions': '1',
      'topic.creation.default.replication.factor': '1',
    });
    const running = (tasks: number): Promise<unknown> =>
      eventually(
        async () => {
          const st = (await rest(w.url, 'GET', `/connectors/${name}/status`)).body;
          const states = (st?.tasks ?? []) as { state: string }[];
          return states.length === tasks && states.every((t) => t.state === 'RUNNING');
        },
        { what: `${tasks} task(s) RUNNING`, timeoutMs: 90_000 },
      );
    const values = (records: readonly { value: Buffer | null }[]): string[] =>
      records.map((r) => r.value?.toString() ?? '');
    const pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('pub'), protocolVersion: 5 });
    const reader = new KafkaReader(kafka, topic);
    await reader.start();
    try {
      expect((await rest(w.url, 'POST', '/connectors', { name, config: config(3) })).status).toBe(201);
      await running(3);
      let probe = 0;
      await eventually(
        async () => {
          const mine = `probe-${probe++}`;
          await pub.publishAsync(`${root}/probe`, mine, { qos: 1 });
          return eventually(() => values(reader.records).includes(mine), { what: 'a probe', timeoutMs: 3000 }).then(
            () => true,
            () => false,
          );
        },
        { what: 'three tasks subscribed', timeoutMs: 90_000 },
      );

      // QoS 1, ten publishes at a time: a message counts once the broker's PUBACK resolved its publish.
      const acked: string[] = [];
      let streaming = true;
      let seq = 0;
      const stream = (async () => {
        while (streaming) {
          const batch = Array.from({ length: 10 }, () => `s-${seq++}`);
          await Promise.all(
            batch.map((v) => pub.publishAsync(`${root}/d${seq % 4}`, v, { qos: 1 }).then(() => acked.push(v))),
          );
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      await eventually(() => acked.length >= 1000, { what: '1,000 messages acknowledged before the shrink' });
      expect((await rest(w.url, 'PUT', `/connectors/${name}/config`, config(1))).status).toBe(200);
      await running(1);
      const after = acked.length;
      await eventually(() => acked.length >= after + 1000, { what: '1,000 more acknowledged after the shrink' });
      streaming = false;
      await stream;

      const readAll = (r: readonly { value: Buffer | null }[]): boolean => {
        const read = new Set(values(r));
        return acked.every((v) => read.has(v));
      };
      // On a timeout the assertion below names what is missing.
      await reader.until(readAll, { what: 'every acknowledged message in Kafka', timeoutMs: 60_000 }).catch(() => []);
      const read = new Set(values(reader.records));
      expect(acked.filter((v) => !read.has(v))).toEqual([]);
    } finally {
      await reader.stop();
      await pub.endAsync();
      await rest(w.url, 'DELETE', `/connectors/${name}`);
    }
  });
});
