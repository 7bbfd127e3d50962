/**
 * Workers form a cluster: real `ferry worker` processes with the same group.id against the real broker and
 * Mosquitto. One scenario, in order, because each step builds on the cluster the previous one left:
 * spread → a 4th worker joins → kill -9 → rolling restart, with an MQTT → Kafka stream running throughout.
 * Times are printed (console.log), never asserted.
 */
import mqtt, { type MqttClient } from 'mqtt';
import {
  eventually,
  freshCluster,
  KafkaReader,
  rest,
  stackEnv,
  startWorker,
  uniqueId,
  type KafkaRecord,
  type WorkerHandle,
} from '../../helpers';

jest.setTimeout(900_000);

const COUNTER_TASKS = 6;
const MQTT_TASKS = 2;

interface TaskView {
  readonly state: string;
  readonly worker_id: string;
}

/** Every task of every connector as one worker's REST API reports it: `<connector>/<task>` → state and worker. */
async function tasksOf(w: WorkerHandle): Promise<Map<string, TaskView>> {
  const res = await rest(w.url, 'GET', '/connectors?expand=status');
  if (res.status !== 200) throw new Error(`GET /connectors on ${w.url}: ${res.status}`);
  const out = new Map<string, TaskView>();
  for (const [name, entry] of Object.entries(
    res.body as Record<string, { status: { tasks: (TaskView & { id: number })[] } }>,
  ))
    for (const t of entry.status.tasks) out.set(`${name}/${t.id}`, { state: t.state, worker_id: t.worker_id });
  return out;
}

const idOf = (w: WorkerHandle): string => `127.0.0.1:${w.port}`;

/** Tasks per worker id. */
function load(tasks: Map<string, TaskView>): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of tasks.values()) m.set(t.worker_id, (m.get(t.worker_id) ?? 0) + 1);
  return m;
}

/**
 * The cluster is settled: `expected` tasks, all RUNNING on one of `live`, balanced (per worker they differ by at
 * most one, every live worker runs some), and every live worker's REST API answers the same.
 */
async function settled(live: WorkerHandle[], expected: number): Promise<Map<string, TaskView> | undefined> {
  const views = await Promise.all(live.map(tasksOf));
  const first = views[0]!;
  const text = (m: Map<string, TaskView>): string => JSON.stringify([...m].sort());
  if (!views.every((v) => text(v) === text(first))) return undefined;
  const ids = new Set(live.map(idOf));
  if (first.size !== expected) return undefined;
  if (![...first.values()].every((t) => t.state === 'RUNNING' && ids.has(t.worker_id))) return undefined;
  const per = [...ids].map((id) => load(first).get(id) ?? 0);
  if (Math.max(...per) - Math.min(...per) > 1) return undefined;
  return first;
}

async function waitSettled(live: WorkerHandle[], what: string): Promise<{ tasks: Map<string, TaskView>; ms: number }> {
  const t0 = Date.now();
  const tasks = await eventually(() => settled(live, COUNTER_TASKS + MQTT_TASKS), { what: what, timeoutMs: 120_000 });
  return { tasks, ms: Date.now() - t0 };
}

interface LogLine {
  msg?: string;
  connector?: string;
  task?: number;
}

/** Tasks (`<connector>/<task>`) a worker started or stopped, read from its log after `from` characters. */
function taskEvents(w: WorkerHandle, from: number): { running: string[]; stopped: string[] } {
  const running: string[] = [];
  const stopped: string[] = [];
  for (const line of w.output().slice(from).split('\n')) {
    if (!line.startsWith('{')) continue;
    let l: LogLine;
    try {
      l = JSON.parse(line) as LogLine;
    } catch {
      continue;
    }
    if (l.msg === 'task running') running.push(`${l.connector}/${l.task}`);
    if (l.msg === 'task stopped') stopped.push(`${l.connector}/${l.task}`);
  }
  return { running, stopped };
}

/** Publishes sequence numbers at a steady pace (QoS 1: `sent` counts what the broker acknowledged). */
class Publisher {
  sent = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  constructor(
    private readonly client: MqttClient,
    private readonly root: string,
  ) {}
  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.client.publishAsync(`${this.root}/dev${this.sent % 8}`, String(this.sent), { qos: 1 });
        this.sent++;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
  }
  async stop(): Promise<number> {
    this.stopped = true;
    await this.loop;
    return this.sent;
  }
}

/** The sequence numbers among `records` (the warm-up messages are not numbers). */
function sequenceOf(records: readonly KafkaRecord[]): number[] {
  return records.map((r) => Number(r.value?.toString())).filter((v) => Number.isInteger(v));
}

/** Reads `topic` from its beginning until every sequence number below `n` arrived (or the limit passes). */
async function readSequence(kafka: string, topic: string, n: number, timeoutMs: number): Promise<number[]> {
  const reader = new KafkaReader(kafka, topic);
  await reader.start();
  try {
    // At the limit, the caller's list of missing numbers says more than a timeout would: read what is there.
    await reader
      .until((records) => new Set(sequenceOf(records)).size >= n, { what: `${n} sequence numbers`, timeoutMs })
      .catch(() => undefined);
  } finally {
    await reader.stop();
  }
  return sequenceOf(reader.records);
}

describe('workers form a cluster (3 worker processes, real broker and Mosquitto)', () => {
  const { kafka, mqtt: mqttUrl } = stackEnv();
  const cluster = freshCluster('workers');
  const live: WorkerHandle[] = [];
  const all: WorkerHandle[] = [];
  let pub: MqttClient | undefined;
  let publisher: Publisher | undefined;

  const start = async (port?: number): Promise<WorkerHandle> => {
    const w = await startWorker(cluster, {
      ...(port ? { port } : {}),
      env: { FERRY_OFFSET_FLUSH_INTERVAL_MS: '1000' },
    });
    all.push(w);
    live.push(w);
    return w;
  };
  const drop = (w: WorkerHandle): void => {
    live.splice(live.indexOf(w), 1);
  };

  afterAll(async () => {
    await publisher?.stop().catch(() => undefined);
    await pub?.endAsync().catch(() => undefined);
    // Ends the MQTT source's persistent sessions on the broker (releaseTasks) before the workers go.
    if (live[0]) await rest(live[0].url, 'DELETE', `/connectors/${mqName}`).catch(() => undefined);
    await Promise.all(all.map((w) => w.kill()));
  });

  const counterName = uniqueId('count');
  const mqName = uniqueId('mq');
  const root = uniqueId('cluster');
  const counterTopic = uniqueId('cluster-count');
  const streamTopic = uniqueId('cluster-stream');

  it('runs 6 tasks 2/2/2, moves only what a joiner takes, fails over a kill -9 and survives a rolling restart without losing MQTT messages', async () => {
    // ---------------------------------------------------------------- 3 workers, 6 counter tasks: 2/2/2
    await Promise.all([start(), start(), start()]);
    const created = await rest(live[0]!.url, 'POST', '/connectors', {
      name: counterName,
      config: {
        'connector.class': 'CounterSource',
        'tasks.max': String(COUNTER_TASKS),
        'counter.tasks': String(COUNTER_TASKS),
        'counter.topic': counterTopic,
        'counter.batch': '1',
        'counter.interval.ms': '100',
      },
    });
    expect(created.status).toBe(201);
    const spread = await eventually(() => settled(live, COUNTER_TASKS), {
      what: '6 counter tasks RUNNING 2/2/2',
      timeoutMs: 120_000,
    });
    console.log(`6 tasks on 3 workers: ${JSON.stringify([...load(spread)])}`);
    expect([...load(spread).values()]).toEqual([2, 2, 2]);

    // ---------------------------------------------------------------- an MQTT → Kafka stream across everything below
    // Written through another worker than the first: any worker takes writes.
    const mq = await rest(live[1]!.url, 'POST', '/connectors', {
      name: mqName,
      config: {
        'connector.class': 'MqttSourceConnector',
        'tasks.max': String(MQTT_TASKS),
        'mqtt.server.uri': mqttUrl,
        'mqtt.topics': `${root}/+`,
        'mqtt.qos': '1',
        'mqtt.value.format': 'string',
        'kafka.topic': streamTopic,
        'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
        'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
        'topic.creation.default.partitions': '2',
        'topic.creation.default.replication.factor': '1',
      },
    });
    expect(mq.status).toBe(201);
    const before = await waitSettled(live, '8 tasks RUNNING on 3 workers');
    pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('cluster-pub'), protocolVersion: 5 });
    // Both tasks' shared subscriptions exist once each has received something (RUNNING comes before SUBSCRIBE).
    await eventually(
      async () => {
        await pub!.publishAsync(`${root}/warm`, 'warm', { qos: 1 });
        const res = await rest(live[0]!.url, 'GET', `/connectors/${mqName}/offsets`);
        const withCount = (res.body?.offsets ?? []) as unknown[];
        return withCount.length > 0;
      },
      { what: 'the MQTT source to receive', timeoutMs: 90_000 },
    );
    publisher = new Publisher(pub, root);
    publisher.start();

    // ---------------------------------------------------------------- a 4th worker joins: only moved tasks restart
    const offsetsBefore = await counterOffsets(live[0]!);
    const marks = new Map(live.map((w) => [w, w.output().length]));
    const joinedAt = Date.now();
    const joiner = await start();
    const joined = await waitSettled(live, '8 tasks on 4 workers');
    const joinMs = Date.now() - joinedAt;
    const moved = [...joined.tasks].filter(([k, t]) => before.tasks.get(k)!.worker_id !== t.worker_id).map(([k]) => k);
    console.log(
      `a 4th worker joined: 8 tasks on 4 workers ${joinMs} ms after its start (process start included), moved ${JSON.stringify(moved)}`,
    );
    expect([...load(joined.tasks).values()].sort()).toEqual([2, 2, 2, 2]);
    // The joiner took 2 tasks and nothing else moved.
    expect(moved).toHaveLength(2);
    for (const k of moved) expect(joined.tasks.get(k)!.worker_id).toBe(idOf(joiner));
    for (const [w, mark] of marks) {
      const ev = taskEvents(w, mark);
      // The old owners stopped exactly the moved tasks and started none.
      expect(ev.running).toEqual([]);
      for (const k of ev.stopped) expect(moved).toContain(k);
    }
    // The status record is written before the worker logs 'task running', so REST can show RUNNING a moment before
    // the line reaches this process: wait for the log, then require exactly the moved tasks.
    const joinerStarted = await eventually(
      () => {
        const running = taskEvents(joiner, 0).running;
        return moved.every((k) => running.includes(k)) ? running : undefined;
      },
      { what: "the joiner's log to show the moved tasks running", timeoutMs: 30_000 },
    );
    expect(joinerStarted.sort()).toEqual([...moved].sort());
    // The counters kept advancing (the ones that stayed never stopped; the moved ones resumed).
    const offsetsAfter = await eventually(
      async () => {
        const now = await counterOffsets(live[0]!);
        return [...offsetsBefore].every(([k, n]) => (now.get(k) ?? -1) > n) ? now : undefined;
      },
      { what: 'every counter to advance', timeoutMs: 60_000 },
    );
    expect(offsetsAfter.size).toBe(COUNTER_TASKS);

    // ---------------------------------------------------------------- kill -9 the worker running MQTT task 0
    const victim = live.find((w) => idOf(w) === joined.tasks.get(`${mqName}/0`)!.worker_id)!;
    const victimTasks = [...joined.tasks].filter(([, t]) => t.worker_id === idOf(victim)).map(([k]) => k);
    const killedAt = Date.now();
    await victim.kill();
    drop(victim);
    const failover = await waitSettled(live, "the killed worker's tasks RUNNING on the others");
    const failoverMs = Date.now() - killedAt;
    console.log(
      `kill -9 of a worker: its tasks ${JSON.stringify(victimTasks)} RUNNING on the others after ${failoverMs} ms`,
    );
    for (const k of victimTasks) expect(failover.tasks.get(k)!.worker_id).not.toBe(idOf(victim));
    // The survivors kept their own tasks.
    for (const [k, t] of joined.tasks)
      if (t.worker_id !== idOf(victim)) expect(failover.tasks.get(k)!.worker_id).toBe(t.worker_id);

    // ---------------------------------------------------------------- rolling restart of every worker
    for (const w of [...live]) {
      const stoppedAt = Date.now();
      expect(await w.stop()).toBe(0);
      drop(w);
      const handover = await waitSettled(live, `the tasks of ${idOf(w)} RUNNING on the others`);
      const restarted = await start(w.port);
      const back = await waitSettled(live, `${idOf(w)} back with its share`);
      console.log(
        `rolling restart of ${idOf(w)}: its tasks RUNNING on the others ${handover.ms} ms after its process exited ` +
          `(${Date.now() - stoppedAt - back.ms} ms from SIGTERM to its return), balanced again ${back.ms} ms after it was healthy`,
      );
      expect(load(back.tasks).get(idOf(restarted))).toBeGreaterThan(0);
    }

    // ---------------------------------------------------------------- a task restart asked of a worker that does not run it
    const settledNow = await waitSettled(live, 'the cluster after the rolling restart');
    const [restartKey, restartTask] = [...settledNow.tasks].find(([k]) => k.startsWith(`${counterName}/`))!;
    const runner = live.find((w) => idOf(w) === restartTask.worker_id)!;
    const other = live.find((w) => w !== runner)!;
    const mark = runner.output().length;
    const restarted = await rest(
      other.url,
      'POST',
      `/connectors/${counterName}/tasks/${restartKey.split('/')[1]}/restart`,
    );
    expect(restarted.status).toBe(204);
    await eventually(() => taskEvents(runner, mark).running.includes(restartKey), {
      what: `${restartKey} restarted on ${idOf(runner)}`,
      timeoutMs: 60_000,
    });

    // ---------------------------------------------------------------- nothing lost, every REST the same
    const sent = await publisher.stop();
    const seen = await readSequence(kafka, streamTopic, sent, 120_000);
    const distinct = new Set(seen);
    const missing = Array.from({ length: sent }, (_, i) => i).filter((i) => !distinct.has(i));
    console.log(
      `MQTT → Kafka across join, kill -9 and rolling restart: ${sent} sent, ${distinct.size} distinct in Kafka, ${seen.length - distinct.size} duplicates`,
    );
    expect(missing).toEqual([]);
    const statuses = await Promise.all(live.map((w) => rest(w.url, 'GET', `/connectors/${counterName}/status`)));
    for (const s of statuses) expect(s.body).toEqual(statuses[0]!.body);
  });

  /** Each counter task's last stored offset (its number), through the REST API. */
  async function counterOffsets(w: WorkerHandle): Promise<Map<string, number>> {
    const res = await rest(w.url, 'GET', `/connectors/${counterName}/offsets`);
    const out = new Map<string, number>();
    for (const o of (res.body?.offsets ?? []) as { partition: { counter: string }; offset: { n: number } }[])
      out.set(o.partition.counter, o.offset.n);
    return out;
  }
});
