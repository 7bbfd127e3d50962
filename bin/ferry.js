#!/usr/bin/env node
// Ferry's command line. Runs the compiled worker from dist/; builds it first when dist/ is missing (fresh clone).
'use strict';
const { existsSync } = require('node:fs');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

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
