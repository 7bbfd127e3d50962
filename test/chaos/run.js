#!/usr/bin/env node
'use strict';
// `make chaos`: runs the long profile of the fault matrix (test/chaos/matrix.ts) against real worker processes and
// the suite's own Kafka and Mosquitto, prints one line per row, writes test/chaos/results/<profile>.json, and with
// --docs rewrites the table in docs/reliability.md from it.
//
//   node test/chaos/run.js [--profile long|short] [--only <row id>] [--out <file>] [--docs]
//   node test/chaos/run.js --docs-from test/chaos/results/long.json    (only regenerate the table)
//
// The harness is TypeScript; it is compiled on the fly with the project's own TypeScript (no extra tool).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(out.outputText, filename);
};

const ROOT = path.join(__dirname, '..', '..');
const DOC = path.join(ROOT, 'docs', 'reliability.md');

function arg(name) {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : (process.argv[i + 1] ?? '');
}

function machine() {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0] ? cpus[0].model.trim() : 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

async function main() {
  const { LONG, SHORT, runEntry, brokersFor, writeResults, readResults } = require('./matrix.ts');
  const { updateDoc } = require('./lib/report.ts');
  const heading = (run) =>
    `Run of ${run.started.slice(0, 10)} (${run.profile} profile, ${run.results.length} rows) on ${run.machine}; all services on one box.`;
  const from = arg('--docs-from');
  if (from) {
    const run = readResults(from);
    await updateDoc(DOC, run.results, heading(run));
    return 0;
  }
  const profile = arg('--profile') || 'long';
  let entries = profile === 'short' ? Object.values(SHORT) : LONG;
  const only = arg('--only');
  if (only) entries = entries.filter((x) => x.row === only);
  if (entries.length === 0) throw new Error(`no rows to run (profile ${profile}, only ${only})`);
  const kafka = process.env.FERRY_KAFKA_BOOTSTRAP;
  const mqtt = process.env.FERRY_MQTT_URL;
  if (!kafka || !mqtt) throw new Error('the local stack is not up: eval "$(bash deploy/local/stack.sh env)" first');
  // The long profile never faults the shared stack: every row gets the suite's own Kafka and Mosquitto.
  const brokers = await brokersFor(
    profile === 'short'
      ? entries
      : [...entries, { row: 'kafka-restart', params: {} }, { row: 'mosquitto-restart', params: {} }],
    kafka,
    mqtt,
    process.env.FERRY_SCHEMA_REGISTRY_URL,
  );
  const run = { profile, machine: machine(), started: new Date().toISOString(), results: [] };
  const file = arg('--out') || path.join(__dirname, 'results', `${profile}${only ? `-${only}` : ''}.json`);
  const stop = () => {
    brokers.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for (const entry of entries) {
      run.results.push(await runEntry(entry, brokers));
      writeResults(file, run); // after every row: a long run cut short still leaves what it measured
    }
  } finally {
    await brokers.close();
  }
  console.log(`[chaos] results: ${path.relative(ROOT, file)}`);
  if (process.argv.includes('--docs')) await updateDoc(DOC, run.results, heading(run));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`[chaos] ${err.stack || err.message}`);
    process.exit(1);
  },
);
