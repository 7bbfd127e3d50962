'use strict';
// Where a worker's CPU time went: a summary of a V8 .cpuprofile (written by `node --cpu-prof`, BENCH_PROFILE=1) by
// area (a package in node_modules, a folder of Ferry's dist/, Node's core, GC) and by function (self time).

const fs = require('node:fs');
const path = require('node:path');

function area(url, fn) {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return 'node core';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  const dist = /\/dist\/([^/]+\/[^/]+)/.exec(url);
  if (dist) return `ferry ${dist[1].replace(/\.js$/, '')}`;
  return path.basename(url);
}

/** Self time by area and by function, in ms and % of the non-idle time. */
function summarize(file, top = 12) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const deltas = prof.timeDeltas || [];
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i];
    self.set(id, (self.get(id) || 0) + (deltas[i] || 0));
  }
  const areas = new Map();
  const fns = new Map();
  let busyUs = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    const fn = cf.functionName || '(anonymous)';
    if (fn === '(idle)') continue;
    busyUs += us;
    const a = area(cf.url, fn);
    areas.set(a, (areas.get(a) || 0) + us);
    const key =
      `${fn} ${cf.url ? `${cf.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${cf.lineNumber + 1}` : ''}`.trim();
    fns.set(key, (fns.get(key) || 0) + us);
  }
  const list = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), pct: Math.round((us / busyUs) * 1000) / 10 }));
  return { file: path.basename(file), busyMs: Math.round(busyUs / 1000), byArea: list(areas), byFunction: list(fns) };
}

module.exports = { summarize };
