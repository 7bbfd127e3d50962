/**
 * Fencing in exactly-once source mode: a worker is SIGSTOPped while its task has a transaction open; the cluster
 * moves the task to the other worker, whose new generation calls initTransactions with the same transactional id
 * and so fences the paused one. After SIGCONT the paused worker's commit is refused (fenced): it acknowledges
 * nothing and its task stops. A read_committed reader sees every (device, seq) exactly once and in order.
 */
import mqtt from 'mqtt';
import {
  createTopic,
  eventually,
  freshCluster,
  KafkaReader,
  rest,
  sleep,
  stackEnv,
  startWorker,
  uniqueId,
  type WorkerHandle,
} from '../../helpers';
import { dedupSourceConfig, expectEveryDeviceOnceInOrder, publishRound, warmUp } from './device-stream';

jest.setTimeout(300_000);

const DEVICES = 4;
const PER_DEVICE = 600;
const idOf = (w: WorkerHandle): string => `127.0.0.1:${w.port}`;

describe('exactly-once source: a paused worker whose task moved is fenced', () => {
  const { kafka, mqtt: mqttUrl } = stackEnv();
  const workers: WorkerHandle[] = [];
  afterAll(async () => {
    for (const w of workers) w.proc.kill('SIGCONT');
    await Promise.all(workers.map((x) => x.kill()));
  });

  it('cannot commit after SIGCONT; every (device, seq) is committed once, in order', async () => {
    const env = { FERRY_EXACTLY_ONCE_SOURCE_SUPPORT: 'enabled' };
    const cluster = freshCluster('eosfence');
    workers.push(await startWorker(cluster, { env }));
    const root = uniqueId('eosfence');
    const topic = uniqueId('eosfence-out');
    await createTopic(kafka, topic, 1);
    const name = uniqueId('eosfence');
    const created = await rest(workers[0]!.url, 'POST', '/connectors', {
      name,
      config: dedupSourceConfig({ mqttUrl, root, topic }),
    });
    expect(created.status).toBe(201);
    workers.push(await startWorker(cluster, { env }));
    // A paused worker never answers: ask only the ones that run.
    const holder = async (ask: readonly WorkerHandle[] = workers): Promise<string | undefined> => {
      for (const w of ask) {
        const res = await rest(w.url, 'GET', `/connectors/${name}/status`).catch(() => undefined);
        const t = res?.body?.tasks?.[0];
        if (t?.state === 'RUNNING') return t.worker_id as string;
      }
      return undefined;
    };
    const reader = new KafkaReader(kafka, topic, { partitions: 1, isolation: 'read_committed' });
    await reader.start();
    const pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('pub'), protocolVersion: 5 });
    try {
      await warmUp(pub, root, reader);
      const first = await eventually(holder, { what: 'the task running', timeoutMs: 60_000 });
      const zombie = workers.find((w) => idOf(w) === first)!;
      const other = workers.find((w) => w !== zombie)!;
      let stopped = false;
      let resumed = false;
      for (let seq = 0; seq < PER_DEVICE; seq++) {
        await publishRound(pub, root, DEVICES, seq);
        if (!stopped && seq === PER_DEVICE / 4) {
          stopped = true;
          zombie.proc.kill('SIGSTOP');
        }
        if (stopped && !resumed && seq === PER_DEVICE / 2) {
          // The session timeout passes, the other worker takes the task and its new generation commits.
          await eventually(async () => (await holder([other])) === idOf(other), {
            what: 'the task moved to the other worker',
            timeoutMs: 120_000,
          });
          const before = reader.records.length;
          await reader.until((r) => r.length > before, { what: 'a commit by the new generation' });
          resumed = true;
          zombie.proc.kill('SIGCONT');
        }
        if (seq % 20 === 0) await sleep(5);
      }
      expect([stopped, resumed]).toEqual([true, true]);
      await expectEveryDeviceOnceInOrder(reader, DEVICES, PER_DEVICE);
      // The zombie tried to commit and was refused.
      await eventually(() => zombie.output().includes('was fenced by a newer generation of this task'), {
        what: 'the paused worker reporting its producer fenced',
        timeoutMs: 60_000,
      });
    } finally {
      await pub.endAsync();
      await reader.stop();
      await rest(workers[0]!.url, 'DELETE', `/connectors/${name}`).catch(() => undefined);
    }
  });
});
