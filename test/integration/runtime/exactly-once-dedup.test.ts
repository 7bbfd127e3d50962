/**
 * Exactly-once source with de-duplication through a real worker killed with SIGKILL while several devices publish
 * sequence-numbered messages: a read_committed reader sees every (device, seq) exactly once and in order. The
 * kill leaves an open transaction (aborted when the next generation fences it) and messages whose records were
 * committed but whose PUBACKs never left: Mosquitto redelivers those, and the committed per-device marks skip them.
 * A task restart over REST later in the stream does the same deterministically (see the comment there).
 */
import mqtt from 'mqtt';
import {
  createTopic,
  eventually,
  KafkaReader,
  rest,
  sleep,
  stackEnv,
  startFreshWorker,
  startWorker,
  uniqueId,
  type WorkerHandle,
} from '../../helpers';

jest.setTimeout(300_000);

const STRING = 'org.apache.kafka.connect.storage.StringConverter';
const DEVICES = 5;
const PER_DEVICE = 400;

describe('exactly-once source with de-duplication, worker killed with SIGKILL and task restarted mid-stream', () => {
  const { kafka, mqtt: mqttUrl } = stackEnv();
  const workers: WorkerHandle[] = [];
  afterAll(async () => {
    await Promise.all(workers.map((x) => x.kill()));
  });

  it('every (device, seq) reaches a read_committed reader exactly once, in order', async () => {
    const env = { FERRY_EXACTLY_ONCE_SOURCE_SUPPORT: 'enabled' };
    const started = await startFreshWorker('eosdd', { env });
    workers.push(started.w);
    const root = uniqueId('eosdd');
    const topic = uniqueId('eosdd-out');
    await createTopic(kafka, topic, 1);
    const name = uniqueId('eosdd');
    const created = await rest(started.w.url, 'POST', '/connectors', {
      name,
      config: {
        'connector.class': 'io.ferry.connect.mqtt.MqttSourceConnector',
        'tasks.max': '1',
        'mqtt.server.uri': mqttUrl,
        'mqtt.topics': `${root}/+/data`,
        'mqtt.qos': '1',
        'mqtt.value.format': 'string',
        'mqtt.reconnect.backoff.ms': '100',
        'mqtt.reconnect.backoff.max.ms': '500',
        'kafka.topic': topic,
        'key.converter': STRING,
        'value.converter': STRING,
        'exactly.once.support': 'required',
        'transaction.max.records': '200',
        'mqtt.dedup.key': '${mqtt.topic[1]}',
        'mqtt.dedup.sequence': '${payload.seq}',
      },
    });
    expect(created.status).toBe(201);
    const reader = new KafkaReader(kafka, topic, { partitions: 1, isolation: 'read_committed' });
    await reader.start();
    const pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('pub'), protocolVersion: 5 });
    try {
      // The subscription exists once the task subscribed: a warm-up device until its message is committed.
      await eventually(
        async () => {
          await pub.publishAsync(`${root}/warm/data`, JSON.stringify({ seq: 0 }), { qos: 1 });
          return reader.records.length > 0;
        },
        { what: 'the first committed record', timeoutMs: 90_000, intervalMs: 1000 },
      );
      let killed = false;
      let restarted = false;
      for (let seq = 0; seq < PER_DEVICE; seq++) {
        await Promise.all(
          Array.from({ length: DEVICES }, (_, d) =>
            pub.publishAsync(`${root}/dev${d}/data`, JSON.stringify({ seq, device: d }), { qos: 1 }),
          ),
        );
        if (!killed && seq === Math.floor(PER_DEVICE / 3)) {
          killed = true;
          await started.w.kill();
          workers.push(await startWorker(started.cluster, { env }));
        }
        // A task restart mid-stream too: the stopping task closes its MQTT session before its last commit, so
        // messages of that commit are in Kafka but never acknowledged, and are redelivered to the next run.
        if (!restarted && seq === Math.floor((2 * PER_DEVICE) / 3)) {
          restarted = true;
          await eventually(
            async () =>
              (await rest(workers[1]!.url, 'GET', `/connectors/${name}/status`)).body?.tasks?.[0]?.state === 'RUNNING',
            { what: 'the task running on the new worker', timeoutMs: 90_000 },
          );
          // 409 while the cluster still rebalances after the kill: ask again.
          await eventually(
            async () => (await rest(workers[1]!.url, 'POST', `/connectors/${name}/tasks/0/restart`)).status === 204,
            { what: 'the task restart accepted', timeoutMs: 60_000, intervalMs: 500 },
          );
        }
        if (seq % 20 === 0) await sleep(5);
      }
      expect([killed, restarted]).toEqual([true, true]);
      const last = (r: readonly { value: Buffer | null }[], d: number): boolean =>
        r.some((m) => m.value?.toString() === JSON.stringify({ seq: PER_DEVICE - 1, device: d }));
      await reader.until((r) => Array.from({ length: DEVICES }, (_, d) => last(r, d)).every(Boolean), {
        what: "every device's last message committed",
        timeoutMs: 180_000,
      });
      // Anything written twice would be committed by now or soon: give redeliveries a moment to show up.
      await sleep(2000);
      const byDevice = new Map<number, number[]>();
      for (const m of reader.records) {
        const v = JSON.parse(m.value?.toString() ?? '{}') as { seq?: number; device?: number };
        if (v.device === undefined || v.seq === undefined) continue;
        byDevice.set(v.device, [...(byDevice.get(v.device) ?? []), v.seq]);
      }
      const expected = Array.from({ length: PER_DEVICE }, (_, i) => i);
      for (let d = 0; d < DEVICES; d++) expect([d, byDevice.get(d)]).toEqual([d, expected]);
      const offsets = await rest(workers[1]!.url, 'GET', `/connectors/${name}/offsets`);
      const marks = (offsets.body?.offsets ?? []) as { partition: Record<string, string>; offset: { seq: number } }[];
      for (let d = 0; d < DEVICES; d++)
        expect(marks.find((o) => o.partition['mqtt.device'] === `dev${d}`)?.offset).toEqual({ seq: PER_DEVICE - 1 });
    } finally {
      await pub.endAsync();
      await reader.stop();
      await rest(workers[workers.length - 1]!.url, 'DELETE', `/connectors/${name}`).catch(() => undefined);
    }
  });
});
