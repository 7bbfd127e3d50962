'use strict';
// Turns a run's results into the stdout table, the target verdicts and docs/benchmarks.md.

const TARGETS = [
  {
    id: 'src-json-ratio',
    text: 'MQTT→Kafka json→Avro ≥ 80 % of the MQTT-only baseline',
    scenario: 'ferry-src-json',
    kind: 'ratio',
    min: 0.8,
  },
  {
    id: 'src-envelope-ratio',
    text: 'MQTT→Kafka envelope (Avro) ≥ 80 % of the MQTT-only baseline',
    scenario: 'ferry-src-envelope',
    kind: 'ratio',
    min: 0.8,
  },
  {
    id: 'sink-ratio',
    text: 'Kafka→MQTT Avro→JSON ≥ 80 % of the raw Kafka→MQTT baseline',
    scenario: 'ferry-sink',
    kind: 'ratio',
    min: 0.8,
  },
  {
    id: 'src-json-p99',
    text: 'p99 ≤ 25 ms at 5k msg/s, MQTT→Kafka json→Avro',
    scenario: 'ferry-src-json-5k',
    kind: 'p99',
    max: 25,
  },
  {
    id: 'src-envelope-p99',
    text: 'p99 ≤ 25 ms at 5k msg/s, MQTT→Kafka envelope',
    scenario: 'ferry-src-envelope-5k',
    kind: 'p99',
    max: 25,
  },
  {
    id: 'outside-ratio',
    text: 'MQTT→Kafka from outside (defaults) ≥ 85 % of the in-process envelope source',
    scenario: 'ferry-outside',
    kind: 'ratio',
    min: 0.85,
  },
  {
    id: 'outside-p99',
    text: 'p99 ≤ 25 ms at 5k msg/s, MQTT→Kafka from outside (defaults)',
    scenario: 'ferry-outside-5k',
    kind: 'p99',
    max: 25,
  },
  { id: 'sink-p99', text: 'p99 ≤ 25 ms at 5k msg/s, Kafka→MQTT', scenario: 'ferry-sink-5k', kind: 'p99', max: 25 },
  { id: 'rss-20', text: 'worker peak RSS ≤ 150 MB with 20 tasks', scenario: 'ferry-20-tasks', kind: 'rss', max: 150 },
  {
    id: 'startup',
    text: 'worker startup ≤ 3 s (process start → /health 200 → first connector RUNNING)',
    scenario: 'ferry-src-json',
    kind: 'startup',
    max: 3000,
  },
];

/** Adds `ratio` (rate ÷ baseline rate) to every scenario that names a baseline. */
function addRatios(scenarios) {
  const byId = new Map(scenarios.map((s) => [s.id, s]));
  for (const s of scenarios) {
    if (!s.baseline || s.status !== 'ok') continue;
    const base = byId.get(s.baseline);
    const rate = s.result?.rate;
    const baseRate = base?.status === 'ok' ? base.result?.rate : null;
    if (rate && baseRate) s.ratio = Math.round((rate / baseRate) * 1000) / 1000;
  }
}

function judge(scenarios) {
  const byId = new Map(scenarios.map((s) => [s.id, s]));
  return TARGETS.map((t) => {
    const s = byId.get(t.scenario);
    const base = { id: t.id, target: t.text };
    if (!s || s.status !== 'ok')
      return { ...base, verdict: 'skipped', value: null, why: s?.reason || s?.error || 'not run' };
    const r = s.result || {};
    let value = null;
    let shown = null;
    if (t.kind === 'ratio') {
      value = s.ratio ?? null;
      shown = value === null ? null : `${Math.round(value * 100)} %`;
    } else if (t.kind === 'p99') {
      value = r.latencyMs?.p99 ?? null;
      shown = value === null ? null : `${value} ms`;
    } else if (t.kind === 'rss') {
      value = r.worker?.peakRssMb ?? null;
      shown = value === null ? null : `${value} MB`;
    } else if (t.kind === 'startup') {
      value = r.worker?.startupToRunningMs ?? null;
      shown = value === null ? null : `${(value / 1000).toFixed(2)} s`;
    }
    if (value === null) return { ...base, verdict: 'skipped', value: null, why: 'no figure' };
    // A run that did not deliver everything still reports its figure, but cannot meet a target.
    const incomplete = r.complete === false;
    const ok = t.min !== undefined ? value >= t.min : value <= t.max;
    return {
      ...base,
      verdict: ok && !incomplete ? 'met' : 'missed',
      value,
      shown,
      ...(incomplete ? { why: 'run incomplete' } : {}),
    };
  });
}

const fmtInt = (x) => (x === null || x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
const fmtNum = (x) => (x === null || x === undefined ? '—' : String(x));

/** One table row per scenario: [scenario, messages, rate, vs baseline, p50, p95, p99, missing/dup, CPU, RSS, note]. */
function rows(scenarios) {
  return scenarios.map((s) => {
    if (s.status !== 'ok')
      return [s.label, '—', '—', '—', '—', '—', '—', '—', '—', '—', `${s.status}: ${s.reason || s.error}`];
    const r = s.result;
    if (s.kind === 'failover') {
      const last = r.survivorLastStatus
        ? `; the survivor still reported ${Object.values(r.survivorLastStatus).join(', ')}`
        : '';
      const note = r.complete
        ? `failover ${fmtInt(r.failoverMs)} ms (${r.tasksMoved} task(s) moved)`
        : `${r.note || r.skipped}${last}`;
      return [s.label, '—', '—', '—', '—', '—', '—', '—', '—', '—', note];
    }
    const lat = r.latencyMs || {};
    const w = r.worker;
    const cpu = w ? w.cpuSecondsPer100k : r.cpuSecondsPer100k;
    const notes = [];
    if (r.complete === false) notes.push(r.timedOut ? 'timed out' : 'incomplete');
    if (r.error) notes.push(r.error);
    if (w && w.startupMs !== undefined)
      notes.push(`startup ${fmtInt(w.startupMs)} ms, RUNNING +${fmtInt(w.connectorRunningMs ?? w.allRunningMs)} ms`);
    if (w && w.startFailures) notes.push(`worker start retried: first attempt failed`);
    if (r.warmup && r.warmup.latencyMs.p50 !== null)
      notes.push(
        `warm-up (${fmtInt(r.warmup.messages)} msgs): p50 ${r.warmup.latencyMs.p50} / max ${r.warmup.latencyMs.max} ms`,
      );
    if (r.harnessLagMs !== undefined) notes.push(`harness loop late ≤ ${r.harnessLagMs} ms`);
    if (w && w.idleRssMb !== undefined) notes.push(`${w.tasks} tasks, idle RSS ${w.idleRssMb} MB`);
    for (const [when, h] of [
      ['idle', w && w.idleHeap],
      ['after load', w && w.loadedHeap],
    ]) {
      if (h && h.heapTotalMb !== null)
        notes.push(`${when}: V8 heap ${h.heapUsedMb}/${h.heapTotalMb} MB used/total, external ${h.externalMb} MB`);
    }
    // A paced generator that fell behind (its window full) sent a burst afterwards: worth knowing next to a latency.
    const behind = [r.sender].flat().reduce((m, x) => Math.max(m, x?.behindMaxMs || 0), 0);
    if (behind) notes.push(`generator behind schedule up to ${behind} ms`);
    return [
      s.label,
      r.expected !== undefined ? `${fmtInt(r.unique ?? r.received)}/${fmtInt(r.expected)}` : '—',
      fmtInt(r.rate),
      s.ratio !== undefined ? `${Math.round(s.ratio * 100)} %` : '—',
      fmtNum(lat.p50),
      fmtNum(lat.p95),
      fmtNum(lat.p99),
      r.missing !== undefined ? `${fmtInt(r.missing)}/${fmtInt(r.duplicates ?? 0)}` : '—',
      fmtNum(cpu),
      fmtNum(w ? w.peakRssMb : undefined),
      notes.join('; '),
    ];
  });
}

const HEAD = [
  'Scenario',
  'Msgs (unique/expected)',
  'Rate msg/s',
  'vs baseline',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'Missing/dup',
  'CPU s/100k',
  'Peak RSS MB',
  'Notes',
];

function textTable(scenarios) {
  const all = [HEAD, ...rows(scenarios)];
  const widths = HEAD.map((_, i) => Math.min(60, Math.max(...all.map((r) => String(r[i]).length))));
  return all
    .map((r, j) => {
      const line = r
        .map((c, i) =>
          String(c)
            .slice(0, 200)
            .padEnd(i === r.length - 1 ? 0 : widths[i]),
        )
        .join('  ');
      return j === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

function mdTable(head, body) {
  const esc = (c) => String(c).replace(/\|/g, '\\|');
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

function targetsText(targets) {
  return targets
    .map((t) => `${t.verdict.toUpperCase().padEnd(8)} ${t.target}: ${t.shown ?? '—'}${t.why ? ` (${t.why})` : ''}`)
    .join('\n');
}

const SPLIT_COLUMNS = [
  ['worker', 'Ferry worker'],
  ['bridge', 'raw bridge'],
  ['generator', 'generator'],
  ['producer', 'producer'],
  ['mosquitto', 'Mosquitto'],
  ['kafka', 'Kafka'],
  ['harness', 'reader / subscriber'],
  ['registry', 'registry'],
  ['rest', 'rest of the machine'],
];

/**
 * Where the machine's CPU went in each max-rate scenario, by process, and — for Ferry's — the rate the machine could
 * reach if the worker cost nothing: the cores over what every other process spent per message.
 */
function cpuSection(results) {
  const cores = results.machine.cpus;
  const withSplit = results.scenarios.filter(
    (s) => s.status === 'ok' && s.kind !== 'latency' && s.result && s.result.cpuSplit,
  );
  if (withSplit.length === 0) return '';
  const head = ['Scenario', 'Rate msg/s', 'Machine', ...SPLIT_COLUMNS.map(([, t]) => t), 'Ceiling without the worker'];
  const body = withSplit.map((s) => {
    const c = s.result.cpuSplit;
    const others = c.machine !== null && c.worker !== undefined && c.worker !== null ? c.machine - c.worker : null;
    const ceiling = others && others > 0 ? `${fmtInt(Math.round((cores * 100000) / others))} msg/s` : '—';
    return [
      s.label,
      fmtInt(s.result.rate),
      fmtNum(c.machine),
      ...SPLIT_COLUMNS.map(([k]) => (c[k] === undefined || c[k] === null ? '—' : fmtNum(c[k]))),
      c.worker === undefined ? '—' : ceiling,
    ];
  });
  return `## Where the CPU went (max-rate runs)

CPU seconds per 100,000 messages, by process, over the measured phase (the worker and generator from
/proc/<pid>/stat, the stack's services from their pid files, the machine from /proc/stat). "Reader / subscriber" is
the harness process counting what arrived; "rest" is busy time no listed process accounts for (other services, the
kernel's loopback work). "Ceiling without the worker" is ${cores} cores over what every process but the worker spent
per message: the rate this machine could reach through Kafka if the worker cost nothing.

${mdTable(head, body)}`;
}

function markdown(results) {
  const m = results.machine;
  const s = results.settings;
  const targetRows = results.targets.map((t) => [t.target, t.shown ?? '—', t.verdict + (t.why ? ` (${t.why})` : '')]);
  const notes = results.scenarios.filter(
    (x) => x.status !== 'ok' || x.result?.error || x.result?.receiverErrors || x.result?.worker?.startFailures,
  );
  return `# Benchmarks

Generated by \`make bench\` (test/bench/run.js) from its latest run; do not edit by hand — run it again.
Full figures of every run: \`test/bench/results/<timestamp>.json\` (not committed) and \`test/bench/results/latest.json\`.

## Latest run

${results.startedAt} — ${s.quick ? 'quick run (BENCH_QUICK=1)' : 'default run'}, ${results.durationSeconds} s, run id \`${results.runId}\`${
    results.git
      ? `, commit ${results.git.commit}${results.git.dirty ? ' with uncommitted changes in the tree' : ''}`
      : ''
  }.

Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGb} GB RAM, ${m.os}; Node ${m.node}; Kafka ${m.kafka ?? 'unknown'}
(one broker, same host); Mosquitto ${m.mosquitto ?? 'unknown'}; librdkafka ${m.librdkafka}; mqtt.js ${m.mqttJs}. Load
average (1, 5, 15 min) at start: ${m.loadAverage.join(', ')}${m.loadAverageEnd ? `; at the end: ${m.loadAverageEnd.join(', ')}` : ''}. Publisher, broker, Kafka, registry, worker and readers all share these cores,
so absolute figures move from run to run: compare each Ferry figure with its baseline from the same run.

Settings: N = ${fmtInt(s.n)} messages per throughput scenario, ${fmtInt(s.latencyN)} per latency scenario at
${fmtInt(s.rate)} msg/s; ${s.devices} device topics; ${s.connections} publisher connections with ${s.inflight} QoS 1
publishes in flight in total; raw Kafka→MQTT window ${s.sinkWindow}; ${s.partitions} partitions per topic.

${mdTable(HEAD, rows(results.scenarios))}

Rates are messages per second from the first to the last message seen by the receiver (producer side for Kafka-only
produce). Latency is end to end, from the send timestamp in the payload (a monotonic clock shared by all processes
on the host) to the moment the receiver decoded the message. Each latency run starts with a warm-up at the same fixed
rate (the first ${fmtInt(s.warmupN ?? 0)} messages): checked for loss and duplicates like the rest, but left out of the
percentiles, since a freshly started process is still compiling its hot path; the notes give the warm-up's own p50/max.
"Harness loop late" is the longest the harness's own event loop ran late during the measured phase: the receiver
that times each message runs there, so a p99 close to it is the harness's tail, not the measured system's. CPU s/100k is CPU time (user + system) per 100,000 messages of the
process doing the work: the Ferry worker (from /proc/<pid>/stat); for baselines the producer or raw-bridge process,
or — for MQTT-only and Kafka-only consume — the harness process that hosts the subscriber or consumer. Peak RSS is the
worker's VmHWM. Missing/dup: sequence numbers never seen / seen more than once at the receiver.

${cpuSection(results)}

## Targets (issue 9)

${mdTable(['Target', 'Measured', 'Verdict'], targetRows)}
${
  notes.length
    ? `\n## Notes from this run\n\n${notes
        .map(
          (x) =>
            `- ${x.label}: ${[
              x.reason || x.error || x.result?.error,
              x.result?.receiverErrors &&
                `receiver errors ${x.result.receiverErrors.count} (last: ${x.result.receiverErrors.last})`,
              x.result?.worker?.startFailures &&
                `worker start retried; first attempt: ${x.result.worker.startFailures[0]}`,
            ]
              .filter(Boolean)
              .join('; ')}`,
        )
        .join('\n')}\n`
    : ''
}
## What each scenario does

- **MQTT-only**: the generator (its own process, mqtt.js, QoS 1) → our Mosquitto → a plain mqtt.js subscriber (QoS 1,
  acknowledged at once) that parses and counts. The limit any MQTT→Kafka bridge on this machine works against.
- **Kafka-only produce / consume**: a node-rdkafka HighLevelProducer alone (idempotent, acks=all, linger.ms 5, key =
  device), then a node-rdkafka consumer alone reading those records back.
- **Kafka→MQTT raw**: node-rdkafka consumer → mqtt.js QoS 1 publish of the unchanged value, at most ${s.sinkWindow}
  publishes awaiting PUBACK, no conversion, no commits; counted at a subscriber.
- **Ferry MQTT→Kafka**: a worker (\`node bin/ferry.js worker\`, fresh group id and internal topics), one
  \`MqttSourceConnector\` created over REST (QoS 1, \`mqtt.value.format\` json with test/bench/telemetry.avsc → Avro via
  the registry, or envelope); records read back from Kafka and decoded through the registry.
- **Ferry MQTT→Kafka from outside (defaults)**: the same path as a user meets it: the connector created over REST
  with only its required keys (\`mqtt.server.uri\`, \`mqtt.topics\`, \`kafka.topic\`), so everything else is the
  default — QoS 1, envelope values, Avro through the registry with the worker's default converters; the publisher
  in its own process and the Kafka reader (decoding through the registry, counting, timing) in another, the harness
  only starting them. Its "vs baseline" is its rate over the in-process envelope scenario's.
- **Ferry Kafka→MQTT**: Avro records (registry, subject \`<topic>-value\`) → \`MqttSinkConnector\`
  (\`mqtt.payload.format\` json, QoS 1) → subscriber. Max rate drains a pre-filled topic; 5k msg/s produces live.
- **20 tasks**: one worker running ${s.rssTasks} source tasks — ${
    s.rssMode === 'connectors'
      ? `${s.rssTasks} connectors of one task each on separate filters`
      : `one connector with tasks.max = ${s.rssTasks} on a shared subscription`
  } — idle, then under load; its RSS.
- **Failover**: two workers with the same group id; the one holding the most tasks is killed with SIGKILL; time until
  every task shows RUNNING on the survivor (\`GET /connectors/<n>/status\`).

### From outside vs in process

The envelope scenario's connector settings (QoS 1, envelope) are the defaults, so the worker does the same work per
record in both; what differs is where the reader runs. In process it shares the harness's event loop; from outside
it has its own process, and the harness idles. On this machine the rate is bounded by what every process together
spends per message ("Machine" above), not by the worker alone: a reader, publisher or anything else that costs
more CPU per message leaves less of the two cores to the worker, and the rate falls with it. Expect the two rates
within run-to-run noise of each other here. A wider gap measured another way (another publisher, another consumer,
its own converters) comes from the processes around the worker or from settings that are not the defaults: the CPU
table shows which process took the cores.

Run it: \`make bench\` (default N = 200,000), \`BENCH_QUICK=1 make bench\` (N = 20,000). Other knobs: \`BENCH_N\`,
\`BENCH_RATE\`, \`BENCH_LATENCY_SECONDS\`, \`BENCH_WARMUP_SECONDS\`, \`BENCH_DEVICES\`, \`BENCH_CONNECTIONS\`, \`BENCH_INFLIGHT\`,
\`BENCH_SINK_WINDOW\`, \`BENCH_PARTITIONS\`, \`BENCH_RSS_TASKS\`, \`BENCH_SCENARIO_TIMEOUT_S\`, \`BENCH_BUDGET_S\`,
\`BENCH_ONLY\` (comma-separated scenario ids). A benchmark reports figures: it exits non-zero only when the harness
itself fails (stack down, a baseline that cannot run), never because a target is missed.
`;
}

module.exports = { TARGETS, addRatios, judge, textTable, targetsText, markdown, cpuSection };
