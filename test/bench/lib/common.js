'use strict';
// Plumbing shared by the harness: settings from the environment, child processes it owns, the machine. The /proc
// figures are in proc.js.

const { fork, spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BENCH_DIR = path.resolve(__dirname, '..');
const RESULTS_DIR = path.join(BENCH_DIR, 'results');

function intEnv(name, dflt) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
}

/** Every knob of a run, resolved once. */
function settings() {
  const quick = process.env.BENCH_QUICK === '1';
  const kafka = process.env.FERRY_KAFKA_BOOTSTRAP;
  const registry = process.env.FERRY_SCHEMA_REGISTRY_URL;
  const mqtt = process.env.FERRY_MQTT_URL;
  const missing = [
    ['FERRY_KAFKA_BOOTSTRAP', kafka],
    ['FERRY_SCHEMA_REGISTRY_URL', registry],
    ['FERRY_MQTT_URL', mqtt],
  ]
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length)
    throw new Error(
      `${missing.join(', ')} not set: run through 'make bench' or eval "$(bash deploy/local/stack.sh env)"`,
    );
  const n = intEnv('BENCH_N', quick ? 20000 : 200000);
  const rate = intEnv('BENCH_RATE', 5000);
  const latencySeconds = intEnv('BENCH_LATENCY_SECONDS', quick ? 4 : 10);
  const warmupSeconds = intEnv('BENCH_WARMUP_SECONDS', quick ? 1 : 2);
  return {
    quick,
    kafka,
    registry,
    mqtt,
    n,
    rate,
    // Latency runs send a fixed time's worth at the fixed rate, never more than N: first a warm-up (counted for loss,
    // left out of the percentiles: JIT compilation and heap growth of a freshly started process), then the measure.
    latencyN: Math.min(n, rate * (latencySeconds + warmupSeconds)),
    warmupN: Math.min(Math.floor(n / 2), rate * warmupSeconds),
    devices: intEnv('BENCH_DEVICES', 1000),
    connections: intEnv('BENCH_CONNECTIONS', 2),
    inflight: intEnv('BENCH_INFLIGHT', 500),
    sinkWindow: intEnv('BENCH_SINK_WINDOW', 1000),
    partitions: intEnv('BENCH_PARTITIONS', 3),
    rssTasks: intEnv('BENCH_RSS_TASKS', 20),
    rssMode: process.env.BENCH_RSS_MODE === 'connectors' ? 'connectors' : 'tasks',
    profile: process.env.BENCH_PROFILE === '1',
    failoverTimeoutMs: intEnv('BENCH_FAILOVER_TIMEOUT_S', 30) * 1000,
    // A throughput scenario that has not finished by then reports what arrived so far.
    scenarioTimeoutMs: intEnv('BENCH_SCENARIO_TIMEOUT_S', quick ? 40 : 75) * 1000,
    // The whole run must leave `make bench` inside 10 minutes: the build before it took up to 2 minutes on a busy box.
    budgetMs: intEnv('BENCH_BUDGET_S', quick ? 300 : 420) * 1000,
    only: (process.env.BENCH_ONLY || '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

function shortId() {
  return `${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with `promise`, or rejects after `ms` naming `what`. */
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result within ${Math.round(ms / 1000)} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Polls `fn` until it returns a truthy value (returned) or `timeoutMs` passes (returns undefined). A rejection counts
 * as "not yet" unless the error has `fatal` set.
 */
async function poll(fn, timeoutMs, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch((err) => {
      if (err && err.fatal) throw err;
      return undefined;
    });
    if (v) return v;
    if (Date.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}

// ------------------------------------------------------------------------------------------ child processes

const owned = new Set();

/** Kills every child this harness started and that is still alive (by pid, nothing else). */
function killOwned() {
  for (const child of owned) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  owned.clear();
}

function own(child) {
  owned.add(child);
  child.once('exit', () => owned.delete(child));
  return child;
}

/**
 * A role script in its own process (roles/*.js), driven over IPC: it answers `ready` once set up, starts on `go`,
 * and ends with `done` (its figures) or `error`.
 */
class Role {
  constructor(script, options) {
    this.name = path.basename(script, '.js');
    this.child = own(
      fork(path.join(BENCH_DIR, 'roles', script), [JSON.stringify(options)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.messages = [];
    this.waiters = [];
    this.child.on('message', (m) => {
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => !w(m));
    });
  }

  /** The next message of `type`, rejecting on an `error` message, an early exit or a timeout. */
  waitFor(type, timeoutMs) {
    const earlier = this.messages.find((m) => m.type === type || m.type === 'error');
    if (earlier)
      return earlier.type === 'error'
        ? Promise.reject(new Error(`${this.name}: ${earlier.message}`))
        : Promise.resolve(earlier);
    const got = new Promise((resolve, reject) => {
      this.waiters.push((m) => {
        if (m.type === 'error') {
          reject(new Error(`${this.name}: ${m.message}`));
          return true;
        }
        if (m.type !== type) return false;
        resolve(m);
        return true;
      });
      void this.exited.then(({ code, signal }) =>
        reject(new Error(`${this.name} exited (${signal || code}) before '${type}'`)),
      );
    });
    return withTimeout(got, timeoutMs, `${this.name} waiting for '${type}'`);
  }

  send(message) {
    // A role that has just finished may close its channel between the check and the write: with a callback the
    // failure comes here (and is moot: the role is gone) instead of as an 'error' event that ends the harness, and
    // with it the worker the scenario was about to stop.
    if (this.child.connected) this.child.send(message, () => undefined);
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.send({ type: 'stop' });
    const gone = await Promise.race([this.exited.then(() => true), sleep(3000).then(() => false)]);
    if (!gone) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** Spawns a non-IPC child (the Ferry worker) that the harness owns. */
function spawnOwned(cmd, args, options) {
  return own(spawn(cmd, args, options));
}

// ------------------------------------------------------------------------------------------ misc

/** A TCP port that was free a moment ago on loopback. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function firstLine(cmd, args) {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 })
      .toString()
      .split('\n')[0]
      .trim();
  } catch (err) {
    // `mosquitto -h` prints its banner and exits non-zero.
    const out = `${err.stdout || ''}${err.stderr || ''}`.split('\n')[0].trim();
    return out || null;
  }
}

/** The running Kafka broker's version, read from its command line (kafka_2.13-<version>.jar on the class path). */
function kafkaVersion() {
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmd;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes('kafka.Kafka')) continue;
    // The class path names either the jar (kafka_2.13-<v>.jar) or the folder the project caches it in (kafka-<v>/lib).
    const m = /kafka_2\.1[0-9]-([0-9][^/:\0]*?)\.jar/.exec(cmd) || /\/kafka-([0-9][^/:\0]*)\/lib/.exec(cmd);
    if (m) return m[1];
  }
  return process.env.FERRY_KAFKA_VERSION || null;
}

/** The commit the run measured, and whether the working tree had uncommitted changes. */
function gitState() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, timeout: 5000 })
      .toString()
      .trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, timeout: 5000 })
        .toString()
        .trim().length > 0;
    return { commit, dirty };
  } catch {
    return null;
  }
}

function machine() {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo);
  let librdkafka = null;
  try {
    librdkafka = require('node-rdkafka').librdkafkaVersion;
  } catch {
    /* reported as null */
  }
  return {
    cpus: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    cpuModel: model ? model[1].trim() : os.cpus()[0]?.model || null,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    kafka: kafkaVersion(),
    mosquitto: (firstLine('mosquitto', ['-h']) || '').replace(/^mosquitto version\s*/i, '') || null,
    librdkafka,
    mqttJs: require('mqtt/package.json').version,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

module.exports = {
  ROOT,
  BENCH_DIR,
  RESULTS_DIR,
  settings,
  shortId,
  sleep,
  withTimeout,
  poll,
  Role,
  spawnOwned,
  killOwned,
  freePort,
  machine,
  gitState,
};
