/**
 * Shrinking a source under a QoS 1 stream (`tasks.max` 3 → 1): the departed tasks' persistent sessions hold messages
 * the broker acknowledged to the publisher — the ones in flight and those the share group assigned to them. Ending
 * those sessions with Clean Start discarded them (issue #16); each departed task must first unsubscribe and drain its
 * queue into Kafka. Every message the broker acknowledged must be in Kafka. Real worker, Kafka and Mosquitto.
 */
import mqtt from 'mqtt';
import { KafkaReader, eventually, rest, stackEnv, startFreshWorker, uniqueId, type WorkerHandle } from '../../helpers';
import { probeUntilSeen, recordValues, rescaleConfig, tasksRunning } from './rescale-helpers';

jest.setTimeout(240_000);

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
    // A small window: the broker queues what each member of the share group cannot take yet.
    const config = (tasks: number): Record<string, string> =>
      rescaleConfig({ mqttUrl, version, root, topic }, tasks, { 'mqtt.qos': '1', 'mqtt.max.in.flight': '10' });
    const running = (tasks: number): Promise<unknown> => tasksRunning(w.url, name, tasks);
    const values = recordValues;
    const pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('pub'), protocolVersion: 5 });
    const reader = new KafkaReader(kafka, topic);
    await reader.start();
    try {
      expect((await rest(w.url, 'POST', '/connectors', { name, config: config(3) })).status).toBe(201);
      await running(3);
      await probeUntilSeen(pub, reader, root, 'three-tasks');

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
