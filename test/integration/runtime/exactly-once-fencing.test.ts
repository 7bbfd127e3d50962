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

jest.setTimeout(300_000);

const STRING = 'org.apache.kafka.connect.storage.StringConverter';
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
        'mqtt.dedup.key': '${mqtt.topic[1]}',
        'mqtt.dedup.sequence': '${payload.seq}',
      },
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
      await eventually(
        async () => {
          await pub.publishAsync(`${root}/warm/data`, JSON.stringify({ seq: 0 }), { qos: 1 });
          return reader.records.length > 0;
        },
        { what: 'the first committed record', timeoutMs: 90_000, intervalMs: 1000 },
      );
      const first = await eventually(holder, { what: 'the task running', timeoutMs: 60_000 });
      const zombie = workers.find((w) => idOf(w) === first)!;
      const other = workers.find((w) => w !== zombie)!;
      let stopped = false;
      let resumed = false;
      for (let seq = 0; seq < PER_DEVICE; seq++) {
        await Promise.all(
          Array.from({ length: DEVICES }, (_, d) =>
            pub.publishAsync(`${root}/dev${d}/data`, JSON.stringify({ seq, device: d }), { qos: 1 }),
          ),
        );
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
      const last = (r: readonly { value: Buffer | null }[], d: number): boolean =>
        r.some((m) => m.value?.toString() === JSON.stringify({ seq: PER_DEVICE - 1, device: d }));
      await reader.until((r) => Array.from({ length: DEVICES }, (_, d) => last(r, d)).every(Boolean), {
        what: "every device's last message committed",
        timeoutMs: 180_000,
      });
      await sleep(2000);
      const byDevice = new Map<number, number[]>();
      for (const m of reader.records) {
        const v = JSON.parse(m.value?.toString() ?? '{}') as { seq?: number; device?: number };
        if (v.device === undefined || v.seq === undefined) continue;
        byDevice.set(v.device, [...(byDevice.get(v.device) ?? []), v.seq]);
      }
      const expected = Array.from({ length: PER_DEVICE }, (_, i) => i);
      for (let d = 0; d < DEVICES; d++) expect([d, byDevice.get(d)]).toEqual([d, expected]);
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
