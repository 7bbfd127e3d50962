'use strict';
// Ferry's scenarios, driven as a user drives Ferry: a worker process, connectors created over REST, load from the
// outside, records counted where the user would read them. Each scenario starts its own worker (so its startup,
// CPU and peak RSS are its own) and stops it, deleting its connectors first.

const { startRole, drive, awaitProbe, Tracker } = require('../lib/flow');
const { Subscriber, publishOnce } = require('../lib/mqtt-sub');
const { createTopic, registerTelemetry, ValueDecoder, TopicReader } = require('../lib/kafka');
const { Worker, newCluster } = require('../lib/ferry');
const { SCHEMA_FILE, payloadBytes } = require('../lib/payload');
const { sleep } = require('../lib/common');
const { cpuSnapshot, cpuSplit } = require('../lib/proc');
const { publisherOptions } = require('./baselines');
const { round } = require('../lib/tracker');

const RUNNING_TIMEOUT_MS = 30000;

function sourceConfig(ctx, { prefix, topic, format, tasks = 1, filter }) {
  const s = ctx.settings;
  const config = {
    'connector.class': 'MqttSourceConnector',
    'tasks.max': String(tasks),
    'mqtt.server.uri': s.mqtt,
    'mqtt.topics': filter || `${prefix}/#`,
    'mqtt.qos': '1',
    'kafka.topic': topic,
    'mqtt.value.format': format,
  };
  if (format === 'json') config['mqtt.value.schema.file'] = SCHEMA_FILE;
  // For experiments: extra connector settings as JSON, e.g. BENCH_SOURCE_EXTRA='{"mqtt.max.in.flight":"5000"}'.
  return { ...config, ...JSON.parse(process.env.BENCH_SOURCE_EXTRA || '{}') };
}

/** Worker figures for the report: CPU seconds per 100k messages between two usage samples, memory now. */
function workerFigures(worker, before, received, extra) {
  const after = worker.usage();
  const cpu = after.cpuSeconds !== null && before.cpuSeconds !== null ? after.cpuSeconds - before.cpuSeconds : null;
  return {
    ...extra,
    cpuSeconds: cpu === null ? null : round(cpu, 2),
    cpuSecondsPer100k: cpu !== null && received > 0 ? round((cpu * 100000) / received, 2) : null,
    rssMb: after.rssMb,
    peakRssMb: after.peakRssMb,
  };
}

/** CPU seconds of a scenario's (first) sender role, as it reported them when done. */
function senderCpu(res) {
  const sender = Array.isArray(res.sender) ? res.sender[0] : res.sender;
  return typeof sender?.cpuSeconds === 'number' ? sender.cpuSeconds : null;
}

/** Starts a worker and one connector; returns timings. Stops the worker if the connector does not come up. */
async function workerWithConnector(ctx, label, name, config) {
  const worker = new Worker({ settings: ctx.settings, cluster: newCluster(ctx.runId, label), label: 'w1' });
  const healthMs = await worker.start();
  ctx.track(worker);
  const t0 = performance.now();
  try {
    await worker.createConnector(name, config);
    await worker.guard(worker.waitRunning(name, RUNNING_TIMEOUT_MS));
  } catch (err) {
    await worker.stop();
    throw err;
  }
  const runningMs = performance.now() - t0;
  return {
    worker,
    timings: {
      ...(worker.startFailures.length ? { startFailures: worker.startFailures } : {}),
      startupMs: Math.round(healthMs),
      connectorRunningMs: Math.round(runningMs),
      startupToRunningMs: Math.round(healthMs + runningMs),
    },
  };
}

/** MQTT → Ferry source → Kafka, `format` json (→ Avro via the registry) or envelope; `rate` 0 = max rate. */
async function source(ctx, { format, rate }) {
  const s = ctx.settings;
  const n = rate ? s.latencyN : s.n;
  const k = ctx.seq();
  const prefix = `bench/${ctx.runId}/src-${k}`;
  const topic = `ferry-bench-${ctx.runId}-src-${format}-${k}`;
  // The run id keeps MQTT client ids (derived from the name) apart from any other run's workers on the same broker.
  const name = `bench-src-${format}-${ctx.runId}-${k}`;
  await createTopic(s.kafka, topic, s.partitions);
  const { worker, timings } = await workerWithConnector(
    ctx,
    `src${k}`,
    name,
    sourceConfig(ctx, { prefix, topic, format }),
  );
  const tracker = new Tracker(n, rate ? s.warmupN : 0);
  const reader = new TopicReader({
    bootstrap: s.kafka,
    topic,
    partitions: s.partitions,
    tracker,
    decoder: new ValueDecoder(s.registry),
  });
  try {
    await reader.start();
    await worker.guard(
      awaitProbe(tracker, () =>
        publishOnce(s.mqtt, `${prefix}/g0/probe/telemetry`, payloadBytes(-1, 0), `${ctx.clientId()}-probe`),
      ),
    );
    const pub = await startRole('mqtt-publisher.js', publisherOptions(ctx, prefix, n, rate));
    const before = worker.usage();
    const cpu0 = cpuSnapshot();
    const res = await drive({
      tracker,
      senders: [pub],
      timeoutMs: ctx.timeoutFor(n, rate),
      withLatency: !!rate,
      abort: worker.crashed,
    });
    const cpu1 = cpuSnapshot();
    res.worker = workerFigures(worker, before, res.received, timings);
    res.cpuSplit = cpuSplit(cpu0, cpu1, { worker: res.worker.cpuSeconds, generator: senderCpu(res) }, res.received);
    if (reader.errors) res.receiverErrors = { count: reader.errors, last: reader.lastError };
    return res;
  } finally {
    await reader.stop();
    await worker.deleteConnector(name);
    await worker.stop();
  }
}

/**
 * Kafka (Avro, registry) → Ferry sink → MQTT as JSON. Max rate: the topic is filled first, then the connector
 * drains it (rate first to last at the subscriber). Fixed rate: the connector runs first and records are produced
 * live at `rate` for end-to-end latency.
 */
async function sink(ctx, { rate }) {
  const s = ctx.settings;
  const n = rate ? s.latencyN : s.n;
  const k = ctx.seq();
  const prefix = `bench/${ctx.runId}/sink-${k}/out`;
  const topic = `ferry-bench-${ctx.runId}-sink-${k}`;
  const name = `bench-sink-${ctx.runId}-${k}`;
  await createTopic(s.kafka, topic, s.partitions);
  const schemaId = await registerTelemetry(s.registry, topic);
  const config = {
    'connector.class': 'MqttSinkConnector',
    'tasks.max': '1',
    topics: topic,
    'mqtt.server.uri': s.mqtt,
    'mqtt.topic': `${prefix}/\${key}`,
    'mqtt.qos': '1',
    'mqtt.payload.format': 'json',
    // The bench writes plain string keys (the device name); values are Avro through the worker's default converter.
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
  };
  const tracker = new Tracker(n, rate ? s.warmupN : 0);
  const sub = new Subscriber({ url: s.mqtt, filter: `${prefix}/#`, tracker, clientId: `${ctx.clientId()}-sub` });
  await sub.start();
  const producer = await startRole('kafka-producer.js', {
    bootstrap: s.kafka,
    topic,
    n,
    devices: s.devices,
    format: 'avro',
    schemaId,
    rate,
  });
  let worker;
  try {
    let prefill = null;
    if (!rate) {
      producer.send({ type: 'go' });
      prefill = await producer.waitFor('done', ctx.timeoutFor(n, 0));
      if (prefill.failed)
        throw new Error(`pre-filling ${topic}: ${prefill.failed} records failed (${prefill.lastError})`);
    }
    const started = await workerWithConnector(ctx, `sink${k}`, name, config);
    worker = started.worker;
    let res;
    const before = worker.usage();
    const cpu0 = cpuSnapshot();
    let probeNote = null;
    if (rate) {
      // A sink that holds records until a consume batch fills never shows a lone probe: note it and measure anyway
      // (the records are not lost, only late — which is what the latency figure will show).
      await worker.guard(awaitProbe(tracker, async () => producer.send({ type: 'probe' }), 10000)).catch((err) => {
        if (!worker.alive()) throw err;
        probeNote = `${err.message}; measured anyway`;
      });
      res = await drive({
        tracker,
        senders: [producer],
        timeoutMs: ctx.timeoutFor(n, rate),
        withLatency: true,
        abort: worker.crashed,
      });
    } else {
      const complete = await worker.guard(tracker.waitComplete(ctx.timeoutFor(n, 0)));
      res = {
        ...tracker.summary(false),
        complete,
        timedOut: !complete,
        prefill: { rate: prefill.rate, seconds: prefill.seconds },
      };
    }
    const cpu1 = cpuSnapshot();
    res.worker = workerFigures(worker, before, res.received, started.timings);
    const others = rate
      ? { worker: res.worker.cpuSeconds, producer: senderCpu(res) }
      : { worker: res.worker.cpuSeconds };
    res.cpuSplit = cpuSplit(cpu0, cpu1, others, res.received);
    if (probeNote) res.note = probeNote;
    if (sub.errors) res.receiverErrors = { count: sub.errors, last: sub.lastError };
    return res;
  } finally {
    await producer.stop();
    await sub.stop();
    if (worker) {
      await worker.deleteConnector(name);
      await worker.stop();
    }
  }
}

/**
 * One worker running `rssTasks` source tasks, idle and then under load: its memory. Mode `tasks` (default): one
 * connector with tasks.max = rssTasks on a shared subscription; mode `connectors`: rssTasks connectors of one task
 * each on separate filters.
 */
async function manyTasks(ctx) {
  const s = ctx.settings;
  const k = ctx.seq();
  const count = s.rssTasks;
  const prefix = `bench/${ctx.runId}/rss-${k}`;
  const topic = `ferry-bench-${ctx.runId}-rss-${k}`;
  await createTopic(s.kafka, topic, s.partitions);
  const worker = new Worker({ settings: s, cluster: newCluster(ctx.runId, `rss${k}`), label: 'w1' });
  const startupMs = await worker.start();
  ctx.track(worker);
  const names = [];
  // Enough load to show the memory of busy tasks, short enough for the run's budget.
  const n = Math.min(s.n, 20000);
  const tracker = new Tracker(n);
  const reader = new TopicReader({
    bootstrap: s.kafka,
    topic,
    partitions: s.partitions,
    tracker,
    decoder: new ValueDecoder(s.registry),
  });
  try {
    const t0 = performance.now();
    if (s.rssMode === 'connectors') {
      for (let i = 0; i < count; i++) {
        const name = `bench-rss-${ctx.runId}-${k}-${i}`;
        await worker.createConnector(
          name,
          sourceConfig(ctx, { prefix, topic, format: 'json', filter: `${prefix}/g${i}/#` }),
        );
        names.push(name);
      }
    } else {
      const name = `bench-rss-${ctx.runId}-${k}`;
      await worker.createConnector(name, sourceConfig(ctx, { prefix, topic, format: 'json', tasks: count }));
      names.push(name);
    }
    for (const name of names) {
      const st = await worker.guard(worker.waitRunning(name, RUNNING_TIMEOUT_MS));
      if (s.rssMode !== 'connectors' && st.tasks.length !== count)
        throw new Error(`${name}: ${st.tasks.length} tasks RUNNING, ${count} asked for (tasks.max)`);
    }
    const allRunningMs = Math.round(performance.now() - t0);
    await sleep(1000);
    const idle = worker.usage();
    const idleHeap = await worker.heap();
    await reader.start();
    await worker.guard(
      awaitProbe(tracker, () =>
        publishOnce(s.mqtt, `${prefix}/g0/probe/telemetry`, payloadBytes(-1, 0), `${ctx.clientId()}-probe`),
      ),
    );
    const pub = await startRole('mqtt-publisher.js', { ...publisherOptions(ctx, prefix, n, 0), groups: count });
    const res = await drive({
      tracker,
      senders: [pub],
      timeoutMs: ctx.timeoutFor(n, 0),
      withLatency: false,
      abort: worker.crashed,
    });
    res.worker = workerFigures(worker, idle, res.received, {
      ...(worker.startFailures.length ? { startFailures: worker.startFailures } : {}),
      startupMs: Math.round(startupMs),
      tasks: count,
      mode: s.rssMode,
      allRunningMs,
      idleRssMb: idle.rssMb,
      idleHeap,
      loadedHeap: await worker.heap(),
    });
    return res;
  } finally {
    await reader.stop();
    for (const name of names) await worker.deleteConnector(name);
    await worker.stop();
  }
}

module.exports = { RUNNING_TIMEOUT_MS, sourceConfig, source, sink, manyTasks, workerWithConnector, workerFigures };
