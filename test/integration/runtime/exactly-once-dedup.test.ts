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
import { dedupSourceConfig, expectEveryDeviceOnceInOrder, publishRound, warmUp } from './device-stream';

jest.setTimeout(300_000);

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
      config: dedupSourceConfig({ mqttUrl, root, topic }, { 'transaction.max.records': '200' }),
    });
    expect(created.status).toBe(201);
    const reader = new KafkaReader(kafka, topic, { partitions: 1, isolation: 'read_committed' });
    await reader.start();
    const pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('pub'), protocolVersion: 5 });
    try {
      await warmUp(pub, root, reader);
      let killed = false;
      let restarted = false;
      for (let seq = 0; seq < PER_DEVICE; seq++) {
        await publishRound(pub, root, DEVICES, seq);
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
      await expectEveryDeviceOnceInOrder(reader, DEVICES, PER_DEVICE);
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
