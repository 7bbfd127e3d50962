#!/usr/bin/env node
'use strict';
// `make bench`: the raw baselines and Ferry's scenarios in one run, on the local stack, within a time budget.
// Writes test/bench/results/<timestamp>.json and latest.json, prints a table and regenerates docs/benchmarks.md.
// Exit code: 0 whatever the figures are; 1 when the harness itself fails (stack down, a baseline that cannot run).

const fs = require('node:fs');
const path = require('node:path');
const common = require('./lib/common');
const { checkKafka, deleteTopics } = require('./lib/kafka');
const { publishOnce } = require('./lib/mqtt-sub');
const { notBuiltReason, STUB } = require('./lib/ferry');
const baselines = require('./scenarios/baselines');
const ferry = require('./scenarios/ferry');
const { failover } = require('./scenarios/failover');
const { outside } = require('./scenarios/outside');
const report = require('./lib/report');
const { summarize } = require('./lib/profile');

const DOC = path.join(common.ROOT, 'docs', 'benchmarks.md');

/** Every scenario in run order. `estimateMs` (given the settings) guards the run's time budget. */
function plan(s) {
  const tp = s.scenarioTimeoutMs + 15000;
  const lat = Math.ceil((s.latencyN / s.rate) * 1000) + 30000;
  return [
    {
      id: 'mqtt-only',
      label: 'Baseline MQTT-only, max rate',
      group: 'baseline',
      kind: 'throughput',
      estimateMs: tp,
      run: (c) => baselines.mqttOnly(c, { rate: 0 }),
    },
    {
      id: 'mqtt-only-5k',
      label: `Baseline MQTT-only, ${s.rate / 1000}k msg/s`,
      group: 'baseline',
      kind: 'latency',
      estimateMs: lat,
      run: (c) => baselines.mqttOnly(c, { rate: s.rate }),
    },
    {
      id: 'kafka-produce',
      label: 'Baseline Kafka-only produce',
      group: 'baseline',
      kind: 'throughput',
      estimateMs: tp,
      run: (c) => baselines.kafkaProduce(c),
    },
    {
      id: 'kafka-consume',
      label: 'Baseline Kafka-only consume',
      group: 'baseline',
      kind: 'throughput',
      estimateMs: tp,
      run: (c) => baselines.kafkaConsume(c),
    },
    {
      id: 'kafka-mqtt-raw',
      label: 'Baseline Kafka→MQTT raw',
      group: 'baseline',
      kind: 'throughput',
      estimateMs: tp,
      run: (c) => baselines.kafkaToMqttRaw(c),
    },
    {
      id: 'kafka-5k',
      label: `Baseline Kafka produce→consume, ${s.rate / 1000}k msg/s`,
      group: 'baseline',
      kind: 'latency',
      estimateMs: lat,
      run: (c) => baselines.kafkaLatency(c, { rate: s.rate }),
    },
    {
      id: 'kafka-mqtt-raw-5k',
      label: `Baseline Kafka→MQTT raw, ${s.rate / 1000}k msg/s`,
      group: 'baseline',
      kind: 'latency',
      estimateMs: lat,
      run: (c) => baselines.kafkaToMqttRaw(c, { rate: s.rate }),
    },
    {
      id: 'ferry-src-json',
      label: 'Ferry MQTT→Kafka json→Avro, max',
      group: 'ferry',
      kind: 'throughput',
      baseline: 'mqtt-only',
      estimateMs: tp + 30000,
      run: (c) => ferry.source(c, { format: 'json', rate: 0 }),
    },
    {
      id: 'ferry-src-json-5k',
      label: `Ferry MQTT→Kafka json→Avro, ${s.rate / 1000}k/s`,
      group: 'ferry',
      kind: 'latency',
      estimateMs: lat + 30000,
      run: (c) => ferry.source(c, { format: 'json', rate: s.rate }),
    },
    {
      id: 'ferry-src-envelope',
      label: 'Ferry MQTT→Kafka envelope, max',
      group: 'ferry',
      kind: 'throughput',
      baseline: 'mqtt-only',
      estimateMs: tp + 30000,
      run: (c) => ferry.source(c, { format: 'envelope', rate: 0 }),
    },
    {
      id: 'ferry-src-envelope-5k',
      label: `Ferry MQTT→Kafka envelope, ${s.rate / 1000}k/s`,
      group: 'ferry',
      kind: 'latency',
      estimateMs: lat + 30000,
      run: (c) => ferry.source(c, { format: 'envelope', rate: s.rate }),
    },
    {
      id: 'ferry-outside',
      label: 'Ferry MQTT→Kafka from outside (defaults), max',
      group: 'ferry',
      kind: 'throughput',
      baseline: 'ferry-src-envelope',
      estimateMs: tp + 30000,
      run: (c) => outside(c, { rate: 0 }),
    },
    {
      id: 'ferry-outside-5k',
      label: `Ferry MQTT→Kafka from outside (defaults), ${s.rate / 1000}k/s`,
      group: 'ferry',
      kind: 'latency',
      estimateMs: lat + 30000,
      run: (c) => outside(c, { rate: s.rate }),
    },
    {
      id: 'ferry-sink',
      label: 'Ferry Kafka→MQTT Avro→JSON, max',
      group: 'ferry',
      kind: 'throughput',
      baseline: 'kafka-mqtt-raw',
      estimateMs: tp + 45000,
      run: (c) => ferry.sink(c, { rate: 0 }),
    },
    {
      id: 'ferry-sink-5k',
      label: `Ferry Kafka→MQTT Avro→JSON, ${s.rate / 1000}k/s`,
      group: 'ferry',
      kind: 'latency',
      estimateMs: lat + 30000,
      run: (c) => ferry.sink(c, { rate: s.rate }),
    },
    {
      id: 'ferry-20-tasks',
      label: `Ferry ${s.rssTasks} tasks on one worker`,
      group: 'ferry',
      kind: 'resource',
      estimateMs: 90000,
      run: (c) => ferry.manyTasks(c),
    },
    {
      id: 'ferry-failover',
      label: 'Ferry failover after kill -9 (2 workers)',
      group: 'ferry',
      kind: 'failover',
      estimateMs: s.failoverTimeoutMs + 60000,
      run: (c) => failover(c),
    },
  ];
}

/** Fails fast, with the fix, when the stack is not up. */
async function checkStack(s) {
  const problems = [];
  await common.withTimeout(checkKafka(s.kafka), 15000, `Kafka at ${s.kafka}`).catch((e) => problems.push(e.message));
  await fetch(`${s.registry}/subjects`, { signal: AbortSignal.timeout(5000) })
    .then((r) => (r.ok ? undefined : problems.push(`schema registry at ${s.registry}: HTTP ${r.status}`)))
    .catch((e) => problems.push(`schema registry at ${s.registry}: ${e.message}`));
  await publishOnce(s.mqtt, 'bench/check', 'x', `ferry-bench-check-${common.shortId()}`).catch((e) =>
    problems.push(e.message),
  );
  if (problems.length)
    throw new Error(`the local stack is not answering (${problems.join('; ')}); start it with 'make up'`);
}

function context(s, runId) {
  let k = 0;
  const workers = [];
  return {
    settings: s,
    runId,
    rawTopic: null,
    seq: () => ++k,
    clientId: () => `ferry-bench-${runId}-${++k}`,
    /** How long a flow of `n` messages may take: paced runs get their schedule plus slack. */
    timeoutFor: (n, rate) => (rate ? Math.ceil((n / rate) * 1000) + 20000 : s.scenarioTimeoutMs),
    track: (w) => workers.push(w),
    workers,
  };
}

/** Summaries of the CPU profiles the scenario's workers wrote (BENCH_PROFILE=1). */
function profiles(workers) {
  const out = [];
  for (const w of workers) {
    if (!w.profileFile || !fs.existsSync(w.profileFile)) continue;
    try {
      const p = summarize(w.profileFile);
      out.push(p);
      console.log(
        `[bench]   profile ${p.file} (${p.busyMs} ms busy): ${p.byArea
          .slice(0, 8)
          .map((a) => `${a.name} ${a.pct} %`)
          .join(', ')}`,
      );
    } catch (err) {
      out.push({ file: path.basename(w.profileFile), error: err.message });
    }
  }
  return out;
}

function printResult(sc) {
  if (sc.status !== 'ok') return console.log(`[bench] ${sc.id}: ${sc.status}: ${sc.reason || sc.error}`);
  const r = sc.result;
  const parts = [];
  if (r.rate) parts.push(`${r.rate.toLocaleString('en-US')} msg/s`);
  if (sc.ratio !== undefined) parts.push(`${Math.round(sc.ratio * 100)} % of ${sc.baseline}`);
  if (r.latencyMs) parts.push(`p50 ${r.latencyMs.p50} / p95 ${r.latencyMs.p95} / p99 ${r.latencyMs.p99} ms`);
  if (r.missing) parts.push(`${r.missing} missing`);
  if (r.duplicates) parts.push(`${r.duplicates} duplicates`);
  if (r.failoverMs !== undefined) parts.push(`failover ${r.failoverMs} ms`);
  if (r.worker?.peakRssMb) parts.push(`worker peak RSS ${r.worker.peakRssMb} MB`);
  if (r.complete === false) parts.push(r.timedOut ? 'TIMED OUT' : 'INCOMPLETE');
  if (r.error) parts.push(r.error);
  if (r.note) parts.push(r.note);
  console.log(`[bench] ${sc.id}: ${parts.join(', ') || 'done'} (${sc.seconds} s)`);
}

/** Deletes the bench's topics starting with `prefix`; a failure is reported, never fatal. */
async function removeTopics(s, prefix, what) {
  try {
    const n = await deleteTopics(s.kafka, prefix);
    if (n > 0) console.log(`[bench] deleted ${n} topics ${what}`);
  } catch (err) {
    console.log(`[bench] could not delete the topics ${what}: ${err.message}`);
  }
}

async function main() {
  const s = common.settings();
  const runId = common.shortId();
  const startedAt = new Date();
  const t0 = Date.now();
  console.log(
    `[bench] run ${runId}: N=${s.n}${s.quick ? ' (quick)' : ''}, latency runs ${s.latencyN} at ${s.rate} msg/s, budget ${s.budgetMs / 1000} s`,
  );
  if (STUB)
    console.log(`[bench] BENCH_FERRY_BIN=${STUB}: Ferry scenarios run a stand-in, their figures are not Ferry's`);
  await checkStack(s);
  // Topics of earlier runs (a run that was stopped never removed its own) would weigh on this one's broker.
  await removeTopics(s, 'ferry-bench-', 'left by earlier runs');
  const machine = common.machine();
  const ctx = context(s, runId);
  const notBuilt = notBuiltReason();
  let ferryDown = notBuilt;
  const scenarios = [];
  let harnessError = false;

  for (const p of plan(s)) {
    const sc = {
      id: p.id,
      label: p.label,
      group: p.group,
      kind: p.kind,
      ...(p.baseline ? { baseline: p.baseline } : {}),
    };
    scenarios.push(sc);
    const elapsed = Date.now() - t0;
    if (s.only.length && !s.only.includes(p.id)) Object.assign(sc, { status: 'skipped', reason: 'not in BENCH_ONLY' });
    else if (p.group === 'ferry' && ferryDown) Object.assign(sc, { status: 'skipped', reason: ferryDown });
    else if (elapsed + p.estimateMs > s.budgetMs)
      Object.assign(sc, {
        status: 'skipped',
        reason: `time budget (${Math.round(elapsed / 1000)} s used of ${s.budgetMs / 1000} s)`,
      });
    else {
      console.log(`[bench] ${p.id}: running…`);
      const st = Date.now();
      try {
        // The scenario's own timeouts end it; this outer one only catches a harness hang.
        const result = await common.withTimeout(p.run(ctx), p.estimateMs + 60000, p.id);
        if (result && result.skipped) Object.assign(sc, { status: 'skipped', reason: result.skipped });
        else Object.assign(sc, { status: 'ok', result });
      } catch (err) {
        const message = String(err && err.message ? err.message : err);
        if (p.group === 'ferry' && message.startsWith('worker failed to start')) {
          ferryDown = message;
          Object.assign(sc, { status: 'skipped', reason: message });
        } else {
          Object.assign(sc, { status: 'error', error: message });
          if (p.group === 'baseline') harnessError = true;
        }
      } finally {
        // Whatever a scenario left running (it stops its own on every path; this is the safety net).
        const workers = ctx.workers.splice(0);
        for (const w of workers) await w.stop().catch(() => undefined);
        if (s.profile) sc.profiles = profiles(workers);
      }
      sc.seconds = Math.round((Date.now() - st) / 100) / 10;
    }
    printResult(sc);
  }

  await removeTopics(s, `ferry-bench-${runId}`, 'of this run');
  machine.loadAverageEnd = require('node:os')
    .loadavg()
    .map((x) => Math.round(x * 100) / 100);
  report.addRatios(scenarios);
  const targets = report.judge(scenarios);
  const results = {
    version: 1,
    runId,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - t0) / 1000),
    settings: s,
    git: common.gitState(),
    machine,
    scenarios,
    targets,
    ...(STUB ? { stubWorker: path.relative(common.ROOT, STUB) } : {}),
  };

  fs.mkdirSync(common.RESULTS_DIR, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const partial = STUB ? 'stub-' : s.only.length ? 'partial-' : '';
  const file = path.join(common.RESULTS_DIR, `${partial}${stamp}.json`);
  fs.writeFileSync(file, json);
  // A stand-in's figures are not Ferry's, and a BENCH_ONLY run is not the whole picture: neither becomes the latest
  // results or the docs.
  if (!partial) {
    fs.writeFileSync(path.join(common.RESULTS_DIR, 'latest.json'), json);
    fs.writeFileSync(DOC, report.markdown(results));
  }

  console.log(`\n${report.textTable(scenarios)}\n\nTargets:\n${report.targetsText(targets)}\n`);
  const split = report.cpuSection(results);
  if (split) console.log(`${split}\n`);
  const written = [
    path.relative(common.ROOT, file),
    ...(partial ? [] : ['test/bench/results/latest.json', 'docs/benchmarks.md']),
  ];
  console.log(`[bench] wrote ${written.join(', ')} (${results.durationSeconds} s)`);
  return harnessError ? 1 : 0;
}

function shutdown(code) {
  common.killOwned();
  process.exit(code);
}

process.on('SIGINT', () => shutdown(130));
process.on('SIGTERM', () => shutdown(143));

/** `run.js --render FILE`: regenerates docs/benchmarks.md and the table from a results file, running nothing. */
function render(file) {
  const results = JSON.parse(fs.readFileSync(file, 'utf8'));
  report.addRatios(results.scenarios);
  results.targets = report.judge(results.scenarios);
  fs.writeFileSync(DOC, report.markdown(results));
  console.log(`${report.textTable(results.scenarios)}\n\nTargets:\n${report.targetsText(results.targets)}\n`);
  console.log(`[bench] docs/benchmarks.md rendered from ${file}`);
  return Promise.resolve(0);
}

const renderAt = process.argv.indexOf('--render');
(renderAt >= 0 ? render(process.argv[renderAt + 1]) : main()).then(shutdown, (err) => {
  console.error(`[bench] harness error: ${err && err.message ? err.message : err}`);
  shutdown(1);
});
