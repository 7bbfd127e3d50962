'use strict';
// Ferry's failover scenario: two workers in one cluster, one of them killed, the time until its tasks run on the
// other. The connectors are the source scenarios' own (ferry.js).

const { createTopic } = require('../lib/kafka');
const { Worker, newCluster } = require('../lib/ferry');
const { sleep, poll } = require('../lib/common');
const { RUNNING_TIMEOUT_MS, sourceConfig } = require('./ferry');

/**
 * Two workers in one cluster (same group id and internal topics, different REST ports), two connectors; kill -9 the
 * worker holding the most tasks and time until every task is RUNNING on the survivor.
 */
async function failover(ctx) {
  const s = ctx.settings;
  const k = ctx.seq();
  const cluster = newCluster(ctx.runId, `fo${k}`);
  const prefix = `bench/${ctx.runId}/fo-${k}`;
  const topic = `ferry-bench-${ctx.runId}-fo-${k}`;
  await createTopic(s.kafka, topic, s.partitions);
  const workers = [
    new Worker({ settings: s, cluster, label: 'w1' }),
    new Worker({ settings: s, cluster, label: 'w2' }),
  ];
  const names = [`bench-fo-${ctx.runId}-${k}-a`, `bench-fo-${ctx.runId}-${k}-b`];
  try {
    await workers[0].start();
    ctx.track(workers[0]);
    try {
      await workers[1].start();
      ctx.track(workers[1]);
    } catch (err) {
      return { skipped: `cluster not available: a second worker in the same group did not start (${err.message})` };
    }
    for (const [i, name] of names.entries())
      await workers[0].createConnector(
        name,
        sourceConfig(ctx, { prefix, topic, format: 'json', filter: `${prefix}/g${i}/#` }),
      );
    for (const name of names) await workers[0].waitRunning(name, RUNNING_TIMEOUT_MS);
    // Let a rebalance triggered by the second worker settle before reading where tasks run.
    await sleep(2000);
    // Where each task runs, as each worker tells it: in a cluster both answer the same.
    const views = [];
    for (const [i, w] of workers.entries()) {
      const view = {};
      for (const name of names) {
        let st;
        try {
          st = await w.waitRunning(name, i === 0 ? RUNNING_TIMEOUT_MS : 15000);
        } catch (err) {
          if (i === 0) throw err;
          return { skipped: `no cluster yet: the second worker does not report ${name} RUNNING (${err.message})` };
        }
        for (const t of st.tasks) view[`${name}/${t.id}`] = t.worker_id;
      }
      views.push(view);
    }
    const placement = views[0];
    if (JSON.stringify(views[0]) !== JSON.stringify(views[1]))
      return {
        skipped: `no cluster yet: the two workers disagree on where tasks run (w1: ${JSON.stringify(views[0])}, w2: ${JSON.stringify(views[1])})`,
      };
    const onWorker = (w) => Object.values(placement).filter((id) => String(id).endsWith(`:${w.port}`)).length;
    const victim = onWorker(workers[1]) > onWorker(workers[0]) ? workers[1] : workers[0];
    const survivor = victim === workers[0] ? workers[1] : workers[0];
    if (onWorker(victim) === 0)
      return { skipped: `task placement not recognisable (worker_id values ${JSON.stringify(placement)})` };
    const t0 = performance.now();
    victim.kill9();
    const timeoutMs = s.failoverTimeoutMs;
    const lastSeen = {};
    const moved = await poll(
      async () => {
        for (const name of names) {
          const st = await survivor.status(name);
          lastSeen[name] = st.tasks.map((t) => `${t.id}:${t.state}@${t.worker_id}`).join(',');
          const ok =
            st.tasks.length > 0 &&
            st.tasks.every((t) => t.state === 'RUNNING' && String(t.worker_id).endsWith(`:${survivor.port}`));
          if (!ok) return false;
        }
        return true;
      },
      timeoutMs,
      100,
    );
    const failoverMs = Math.round(performance.now() - t0);
    if (!moved)
      return {
        complete: false,
        note: `tasks of the killed worker not RUNNING on the survivor within ${timeoutMs / 1000} s`,
        placement,
        tasksOnVictim: onWorker(victim),
        survivorLastStatus: lastSeen,
      };
    const startFailures = workers.flatMap((w) => w.startFailures);
    return {
      complete: true,
      failoverMs,
      tasksMoved: onWorker(victim),
      placement,
      ...(startFailures.length ? { startFailures } : {}),
    };
  } finally {
    const alive = workers.find((w) => w.alive());
    if (alive) for (const name of names) await alive.deleteConnector(name);
    for (const w of workers) await w.stop();
  }
}

module.exports = { failover };
