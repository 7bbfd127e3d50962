'use strict';
// MQTT → Kafka measured from outside, as a user meets it: the connector created over REST with nothing but what it
// requires (every other setting, the worker's converters included, at its default: envelope values, Avro through
// the registry), the publisher in one process and the Kafka reader in another, the harness only starting them and
// collecting figures. The in-process source scenarios (ferry.js) measure the same worker with the bench's own
// settings and a reader in the harness; the gap between the two is explained in docs/benchmarks.md.

const { startRole, awaitProbe } = require('../lib/flow');
const { publishOnce } = require('../lib/mqtt-sub');
const { createTopic } = require('../lib/kafka');
const { payloadBytes } = require('../lib/payload');
const { cpuSnapshot, cpuSplit } = require('../lib/proc');
const { round } = require('../lib/tracker');
const { publisherOptions } = require('./baselines');
const { workerWithConnector, workerFigures } = require('./ferry');

/** What a user writes to create an MQTT source: the required keys only. */
function defaultSourceConfig(ctx, { prefix, topic }) {
  return {
    'connector.class': 'MqttSourceConnector',
    'mqtt.server.uri': ctx.settings.mqtt,
    'mqtt.topics': `${prefix}/#`,
    'kafka.topic': topic,
  };
}

/** The probe tracker awaitProbe polls: the reader process reports each probe it sees. */
function probeCounter(reader) {
  const counter = { probes: 0 };
  reader.child.on('message', (m) => {
    if (m.type === 'probe') counter.probes++;
  });
  return counter;
}

/** Publisher process → Mosquitto → worker (defaults) → Kafka → reader process. `rate` 0 = max rate. */
async function outside(ctx, { rate }) {
  const s = ctx.settings;
  const n = rate ? s.latencyN : s.n;
  const k = ctx.seq();
  const prefix = `bench/${ctx.runId}/out-${k}`;
  const topic = `ferry-bench-${ctx.runId}-out-${k}`;
  const name = `bench-out-${ctx.runId}-${k}`;
  await createTopic(s.kafka, topic, s.partitions);
  const { worker, timings } = await workerWithConnector(
    ctx,
    `out${k}`,
    name,
    defaultSourceConfig(ctx, { prefix, topic }),
  );
  const timeoutMs = ctx.timeoutFor(n, rate);
  let reader;
  let pub;
  try {
    reader = await startRole('kafka-reader.js', {
      bootstrap: s.kafka,
      registry: s.registry,
      topic,
      partitions: s.partitions,
      n,
      warmup: rate ? s.warmupN : 0,
      withLatency: !!rate,
      timeoutMs: timeoutMs + 60000,
    });
    const probes = probeCounter(reader);
    await worker.guard(
      awaitProbe(probes, () =>
        publishOnce(s.mqtt, `${prefix}/g0/probe/telemetry`, payloadBytes(-1, 0), `${ctx.clientId()}-probe`),
      ),
    );
    pub = await startRole('mqtt-publisher.js', publisherOptions(ctx, prefix, n, rate));
    const before = worker.usage();
    const cpu0 = cpuSnapshot();
    reader.send({ type: 'go' });
    pub.send({ type: 'go' });
    // The reader ends the flow: complete, or its own timeout; a publisher failure or a worker crash ends it early.
    const failed = pub.waitFor('done', timeoutMs + 5000).then(() => new Promise(() => undefined));
    failed.catch(() => undefined); // a failure after the reader finished is moot
    let error = null;
    const sink = await Promise.race([reader.waitFor('done', timeoutMs + 70000), failed, worker.crashed]).catch(
      (err) => {
        error = err.message;
        return null;
      },
    );
    const cpu1 = cpuSnapshot();
    if (!sink) reader.send({ type: 'stop' });
    const {
      type: _t,
      cpuSeconds: readerCpu,
      ...summary
    } = sink || (await reader.waitFor('done', 5000).catch(() => ({ complete: false })));
    const sent = await pub.waitFor('done', 5000).catch((err) => ({ error: err.message }));
    const res = { ...summary, timedOut: !summary.complete && !error, ...(error ? { error } : {}) };
    const { type: _s, ...sender } = sent;
    res.sender = sender;
    res.worker = workerFigures(worker, before, res.received, timings);
    res.readerCpuSecondsPer100k =
      typeof readerCpu === 'number' && res.received > 0 ? round((readerCpu * 100000) / res.received, 2) : null;
    res.cpuSplit = cpuSplit(
      cpu0,
      cpu1,
      { worker: res.worker.cpuSeconds, generator: sender.cpuSeconds ?? null, harness: readerCpu ?? null },
      res.received,
    );
    return res;
  } finally {
    if (pub) await pub.stop();
    if (reader) await reader.stop();
    await worker.deleteConnector(name);
    await worker.stop();
  }
}

module.exports = { outside, defaultSourceConfig };
