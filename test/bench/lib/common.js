'use strict';
// Plumbing shared by the harness: settings from the environment, child processes it owns, /proc figures, the machine.

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

// ------------------------------------------------------------------------------------------ /proc

let clockTicks;
function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (user + system) a live process has used so far, or null once it is gone. */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state: utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** The local stack's run folder (deploy/local/stack.sh keeps its pid files there). */
function stackRunDir() {
  const cache =
    process.env.FERRY_CACHE_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ferry');
  return path.join(process.env.FERRY_STACK_DIR || path.join(cache, 'stack'), 'run');
}

function stackPid(service) {
  try {
    return Number(fs.readFileSync(path.join(stackRunDir(), `${service}.pid`), 'utf8').trim()) || null;
  } catch {
    return null;
  }
}

/** CPU seconds the whole machine has been busy (all cores: /proc/stat less idle and iowait). */
function machineBusySeconds() {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - cpu[3] - cpu[4]) / ticksPerSecond();
  } catch {
    return null;
  }
}

/**
 * CPU counters of everything a scenario shares the machine with: the harness process itself (readers, subscribers,
 * the tracker), the stack's Mosquitto, Kafka and registry, and the machine's total. Two snapshots around a measured
 * phase, with the worker's and the generator's own CPU, give {@link cpuSplit}.
 */
function cpuSnapshot() {
  const own = process.cpuUsage();
  return {
    machine: machineBusySeconds(),
    harness: (own.user + own.system) / 1e6,
    mosquitto: cpuSeconds(stackPid('mqtt')),
    kafka: cpuSeconds(stackPid('kafka')),
    registry: cpuSeconds(stackPid('registry')),
  };
}

/**
 * Where the machine's CPU went during a measured phase, in CPU seconds per 100k messages by process: `others`
 * holds processes measured by the caller (`{ worker: 4.1, generator: 3.9 }` as CPU seconds), `rest` is the machine's
 * busy time no listed process accounts for (other services, the kernel's softirq work for loopback traffic).
 */
function cpuSplit(before, after, others, messages) {
  if (!before || !after || !(messages > 0)) return null;
  const per100k = (x) => (typeof x === 'number' ? Math.round(((x * 100000) / messages) * 100) / 100 : null);
  const delta = (k) => (after[k] !== null && before[k] !== null ? after[k] - before[k] : null);
  const split = {};
  let listed = 0;
  for (const [name, secs] of Object.entries(others)) {
    split[name] = per100k(secs);
    if (typeof secs === 'number') listed += secs;
  }
  for (const k of ['harness', 'mosquitto', 'kafka', 'registry']) {
    const d = delta(k);
    split[k] = per100k(d);
    if (d !== null) listed += d;
  }
  const machine = delta('machine');
  split.rest = machine === null ? null : per100k(Math.max(0, machine - listed));
  split.machine = per100k(machine);
  return split;
}

/** Resident set now and its peak (VmRSS, VmHWM) in MB, or nulls once the process is gone. */
function memoryMb(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
    };
    return { rssMb: kb('VmRSS'), peakRssMb: kb('VmHWM') };
  } catch {
    return { rssMb: null, peakRssMb: null };
  }
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
  cpuSeconds,
  cpuSnapshot,
  cpuSplit,
  memoryMb,
  freePort,
  machine,
  gitState,
};
