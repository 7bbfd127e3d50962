#!/usr/bin/env node
/*
 * One cluster member in its own process, for the cluster integration tests. Runs KafkaGroupMembership from the
 * TypeScript sources (transpiled on load, no build needed) and prints one JSON line per ownership change plus one
 * every 250 ms: {"type":"state", t, workerId, generation, isLeader, leader, members, owned, stateOffset}.
 * With stopDelayMs, units it loses are "stopped" that long after the change ({"type":"released", units}).
 * SIGTERM: graceful stop (prints {"type":"stopped"}); SIGKILL is the crash the tests use.
 *
 * argv[2]: JSON {bootstrap, groupId, workerId, units, sessionTimeoutMs, heartbeatIntervalMs, stopDelayMs?}
 */
'use strict';
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      resolveJsonModule: true,
    },
  });
  module._compile(out.outputText, filename);
};

const { KafkaGroupMembership } = require('../../../runtime/cluster/index.ts');

const args = JSON.parse(process.argv[2]);
const print = (o) => process.stdout.write(`${JSON.stringify({ t: Date.now(), ...o })}\n`);
const logger = {
  trace() {},
  debug() {},
  info(obj, msg) {
    process.stderr.write(`${JSON.stringify({ t: Date.now(), level: 'info', msg, obj })}\n`);
  },
  warn(obj, msg) {
    process.stderr.write(`${JSON.stringify({ t: Date.now(), level: 'warn', msg, obj })}\n`);
  },
  error(obj, msg) {
    process.stderr.write(`${JSON.stringify({ t: Date.now(), level: 'error', msg, obj })}\n`);
  },
  child() {
    return logger;
  },
};

const m = new KafkaGroupMembership({
  bootstrapServers: args.bootstrap,
  groupId: args.groupId,
  workerId: args.workerId,
  units: () => args.units,
  sessionTimeoutMs: args.sessionTimeoutMs,
  heartbeatIntervalMs: args.heartbeatIntervalMs,
  logger,
});
const report = () => print({ type: 'state', ...m.status() });
// Like a worker stopping the tasks it lost: the listener's promise settles only after `stopDelayMs`, and the
// membership acknowledges the generation (letting the units start elsewhere) only then.
let owned = [];
m.onChange(() => {
  report();
  const now = m.status().owned;
  const released = owned.filter((k) => !now.includes(k));
  owned = now;
  if (released.length === 0 || !args.stopDelayMs) return undefined;
  return new Promise((resolve) =>
    setTimeout(() => {
      print({ type: 'released', workerId: args.workerId, units: released });
      resolve();
    }, args.stopDelayMs),
  );
});

let timer;
process.on('SIGTERM', () => {
  clearInterval(timer);
  m.stop().then(
    () => {
      print({ type: 'stopped', workerId: args.workerId });
      process.exit(0);
    },
    (err) => {
      process.stderr.write(`stop failed: ${err && err.stack}\n`);
      process.exit(1);
    },
  );
});

m.start().then(
  () => {
    print({ type: 'started', workerId: args.workerId });
    timer = setInterval(report, 250);
  },
  (err) => {
    process.stderr.write(`start failed: ${err && err.stack}\n`);
    process.exit(1);
  },
);
