#!/usr/bin/env node
// Ferry's command line. Runs the compiled worker from dist/; builds it first when dist/ is missing (fresh clone).
'use strict';
const { existsSync } = require('node:fs');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

// node-rdkafka's consume() waits on libuv's thread pool: the worker's internal readers and every sink task each hold a
// thread while waiting for records, and with Node's default of 4 they queue behind each other (see
// runtime/kafka/thread-pool.ts). The pool starts on first use, so this must come before anything else runs.
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '64';

const root = path.join(__dirname, '..');
const entry = path.join(root, 'dist', 'runtime', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('ferry: building (first run)…\n');
  try {
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')],
      {
        stdio: 'inherit',
        cwd: root,
      },
    );
  } catch {
    process.stderr.write('ferry: the build failed; run `npm ci && npm run build` and try again\n');
    process.exit(1);
  }
}
require(entry)
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`ferry: ${err && err.stack ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
