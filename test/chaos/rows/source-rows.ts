import type { Broker } from '../lib/stack';
import { rest, sleep, waitState, type Stream } from '../lib/flow';
import { poll, type Worker } from '../lib/workers';
import type { RowSpec } from './row';

/** Bounded waits of the rows: generous, because a 2-core box shared with a broker is slow at times. */
const SETTLE_MS = 120_000;

async function mustRun(s: Stream, tasks: number, on?: Worker[]): Promise<number> {
  const ms = await waitState(s.any, s.name, 'RUNNING', tasks, SETTLE_MS, on);
  if (ms === undefined) throw new Error(`${tasks} task(s) not RUNNING within ${SETTLE_MS} ms`);
  return ms;
}

function privateBroker(b: Broker): Broker {
  if (!b.isPrivate) throw new Error(`this row stops the ${b.service} broker: it needs the suite's own instance`);
  return b;
}

export const workerSigkill: RowSpec = {
  id: 'worker-sigkill',
  kind: 'source',
  what: 'One worker runs the source; it is SIGKILLed `n` times under load, and a new worker is started each time.',
  async run(s, p) {
    await s.open(1);
    for (let i = 0; i < p.n; i++) {
      await s.flowFor(p.ratePerSecond * 2);
      await s.workers.find((w) => w.alive)!.kill();
      await s.addWorker();
      await mustRun(s, 1);
    }
    await s.flowFor(p.ratePerSecond * 2);
  },
};

export const rollingSigterm: RowSpec = {
  id: 'rolling-sigterm',
  kind: 'source',
  what: 'Three workers share a source with `tasks.max` 3; each is replaced in turn: SIGTERM, then a new worker joins and the cluster settles.',
  async run(s, p) {
    await s.open(3, { 'tasks.max': '3' });
    const originals = [...s.workers];
    for (const w of originals) {
      await s.flowFor(p.ratePerSecond * 2);
      await s.terminate(w);
      await s.addWorker();
      await mustRun(
        s,
        3,
        s.workers.filter((x) => x.alive),
      );
    }
    await s.flowFor(p.ratePerSecond * 2);
  },
};

export const mosquittoRestart: RowSpec = {
  id: 'mosquitto-restart',
  kind: 'source',
  privateBrokers: ['mqtt'],
  what: 'The suite’s own Mosquitto (persistence on) is stopped gracefully (`mode=stop`) or SIGKILLed (`mode=kill`) under load, stays down for `outage` seconds, then starts again from its persistence file.',
  async run(s, p) {
    const mqtt = privateBroker(s.brokers.mqtt);
    await s.open(1);
    for (let i = 0; i < p.n; i++) {
      await s.flowFor(p.ratePerSecond * 2);
      if (p.mode === 'kill') await s.killBroker(mqtt);
      else await mqtt.down();
      await sleep(p.outageMs);
      await mqtt.up();
      if (p.mode === 'kill') s.brokerBack();
      await mustRun(s, 1);
      await s.resumed('Mosquitto returned');
    }
    await s.flowFor(p.ratePerSecond * 2, 180_000);
  },
};

export const kafkaRestart: RowSpec = {
  id: 'kafka-restart',
  kind: 'source',
  privateBrokers: ['kafka'],
  what: 'The suite’s own Kafka is stopped under load for `outage` seconds and started again; with the worker’s `session.timeout.ms` above the outage (the group survives) or below it (the group expires and tasks are reassigned).',
  async run(s, p) {
    const kafka = privateBroker(s.brokers.kafka);
    await s.open(1);
    await s.flowFor(p.ratePerSecond * 2);
    await kafka.down();
    await sleep(p.outageMs);
    await kafka.up();
    await mustRun(s, 1);
    await s.resumed('Kafka returned');
    await s.flowFor(p.ratePerSecond * 2, 240_000);
  },
};

export const pauseResume: RowSpec = {
  id: 'pause-resume',
  kind: 'source',
  what: 'The source is paused and resumed `n` times under load; the stop measured is PUT pause until the task reports PAUSED.',
  async run(s, p) {
    await s.open(1);
    for (let i = 0; i < p.n; i++) {
      await s.flowFor(p.ratePerSecond);
      await s.timedStop('pause', async () => {
        await rest(s.any.url, 'PUT', `/connectors/${s.name}/pause`);
        return (await waitState(s.any, s.name, 'PAUSED', 1, SETTLE_MS)) !== undefined;
      });
      await sleep(1000);
      await rest(s.any.url, 'PUT', `/connectors/${s.name}/resume`);
      await mustRun(s, 1);
    }
    await s.flowFor(p.ratePerSecond * 2);
  },
};

export const tasksMaxRescale: RowSpec = {
  id: 'tasks-max-rescale',
  kind: 'source',
  what: '`tasks.max` of a running source goes 1 → 3 → 1 under load (PUT config); the stop measured is each change until all tasks are RUNNING again.',
  async run(s, p) {
    await s.open(1);
    for (const tasks of [3, 1]) {
      await s.flowFor(p.ratePerSecond * 2);
      await s.timedStop(
        `tasks.max → ${tasks}`,
        async () => {
          const put = await rest(
            s.any.url,
            'PUT',
            `/connectors/${s.name}/config`,
            s.connectorConfig({ 'tasks.max': String(tasks) }),
          );
          if (put.status >= 300) throw new Error(`PUT config: ${put.status} ${JSON.stringify(put.body)}`);
          return (await waitState(s.any, s.name, 'RUNNING', tasks, SETTLE_MS)) !== undefined;
        },
        SETTLE_MS,
      );
    }
    await s.flowFor(p.ratePerSecond * 3);
  },
};

export const zombieWorker: RowSpec = {
  id: 'zombie-worker',
  kind: 'source',
  what: 'Two workers; the one running the task is SIGSTOPped until the other reports the task RUNNING, then SIGCONTed: a zombie that still believes it owns the task.',
  async run(s, p) {
    await s.open(2);
    await s.flowFor(p.ratePerSecond * 2);
    const owner = (await rest(s.any.url, 'GET', `/connectors/${s.name}/status`)).body.tasks?.[0]?.worker_id as string;
    const frozen = s.workers.find((w) => w.id === owner);
    const other = s.workers.find((w) => w.id !== owner);
    if (!frozen || !other) throw new Error(`task 0 runs on ${owner}, not on one of this row's workers`);
    frozen.freeze();
    const t0 = Date.now();
    const moved = await poll(async () => {
      const st = (await rest(other.url, 'GET', `/connectors/${s.name}/status`)).body;
      return st.tasks?.[0]?.worker_id === other.id && st.tasks[0].state === 'RUNNING';
    }, SETTLE_MS);
    s.notes.push(moved ? `task moved ${Math.round((Date.now() - t0) / 1000)} s after SIGSTOP` : 'task never moved');
    await s.flowFor(p.ratePerSecond * 3, 180_000).catch((e: Error) => s.notes.push(`while frozen: ${e.message}`));
    frozen.thaw();
    await sleep(p.outageMs);
    await s.flowFor(p.ratePerSecond * 3, 180_000);
  },
};
