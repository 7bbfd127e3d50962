/**
 * Rescaling a source under a stream: after `tasks.max` 1 → 2, task 0's resumed persistent session must drop the plain
 * subscription it held as the only task. If it keeps it, it gets every message once through it and about half of them
 * again through the share group: a duplicate of every second message for as long as the session lives.
 * Real worker, real Kafka, real Mosquitto.
 */
import mqtt from 'mqtt';
import { KafkaReader, rest, stackEnv, startFreshWorker, uniqueId, type WorkerHandle } from '../../helpers';
import { probeUntilSeen as probeUntil, recordValues, rescaleConfig, tasksRunning } from './rescale-helpers';

jest.setTimeout(240_000);

describe.each(['5', '3.1.1'])('MQTT %s source rescaled 1 → 2 under a stream', (version) => {
  const { kafka, mqtt: mqttUrl } = stackEnv();
  let w: WorkerHandle;

  beforeAll(async () => {
    ({ w } = await startFreshWorker('rescale'));
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('delivers each message published after the rescale once', async () => {
    const root = uniqueId('rescale');
    const topic = root.replace(/[^a-zA-Z0-9-]/g, '-');
    const name = uniqueId('rsrc');
    const config = (tasks: number): Record<string, string> => rescaleConfig({ mqttUrl, version, root, topic }, tasks);
    const running = (tasks: number): Promise<unknown> => tasksRunning(w.url, name, tasks);
    const values = recordValues;
    const pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('pub'), protocolVersion: 5 });
    // One reader for the whole test: the connector creates the topic, the reader finds it within a second.
    const reader = new KafkaReader(kafka, topic);
    await reader.start();
    try {
      expect((await rest(w.url, 'POST', '/connectors', { name, config: config(1) })).status).toBe(201);
      await running(1);
      const probeUntilSeen = (what: string): Promise<unknown> => probeUntil(pub, reader, root, what);
      await probeUntilSeen('one-task');

      // A stream runs through the rescale (its copies may repeat within the one window of redelivery).
      let streaming = true;
      let seq = 0;
      const stream = (async () => {
        while (streaming) {
          await pub.publishAsync(`${root}/stream`, `s-${seq++}`, { qos: 1 });
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      expect((await rest(w.url, 'PUT', `/connectors/${name}/config`, config(2))).status).toBe(200);
      await running(2);
      // Both tasks' subscriptions are in place once a probe passes after the rescale; then stop the stream.
      await probeUntilSeen('two-tasks');
      streaming = false;
      await stream;

      const after = Array.from({ length: 300 }, (_, i) => `a-${i}`);
      for (const v of after) await pub.publishAsync(`${root}/after`, v, { qos: 1 });
      await pub.publishAsync(`${root}/after`, 'end', { qos: 1 });
      // 'end' comes after every copy of the messages before it on each path into the one-partition topic.
      const all = values(
        await reader.until((r) => values(r).includes('end') && after.every((v) => values(r).includes(v)), {
          what: 'every message published after the rescale',
          timeoutMs: 90_000,
        }),
      );
      const streamed = Array.from({ length: seq }, (_, i) => `s-${i}`);
      expect(streamed.filter((v) => !all.includes(v))).toEqual([]);
      const copies = new Map<string, number>();
      for (const v of all) copies.set(v, (copies.get(v) ?? 0) + 1);
      expect(after.filter((v) => (copies.get(v) ?? 0) !== 1)).toEqual([]);
    } finally {
      await reader.stop();
      await pub.endAsync();
      await rest(w.url, 'DELETE', `/connectors/${name}`);
    }
  });
});
