'use strict';
// Drives Ferry as a user would: a worker process (`node bin/ferry.js worker`) configured through FERRY_* variables,
// and connectors managed through its Kafka Connect–compatible REST API.

const fs = require('node:fs');
const path = require('node:path');
const { ROOT, RESULTS_DIR, spawnOwned, sleep, poll, freePort } = require('./common');
const { cpuSeconds, memoryMb } = require('./proc');

const MAIN = path.join(ROOT, 'dist', 'runtime', 'main.js');
// BENCH_FERRY_BIN replaces the worker only to check the harness itself (test/bench/stub-worker.js).
const STUB = process.env.BENCH_FERRY_BIN ? path.resolve(ROOT, process.env.BENCH_FERRY_BIN) : null;
const BIN = STUB || path.join(ROOT, 'bin', 'ferry.js');

/** Why Ferry scenarios cannot run, or null when the worker is built. */
function notBuiltReason() {
  const missing = (STUB ? [STUB] : [MAIN, BIN]).filter((f) => !fs.existsSync(f)).map((f) => path.relative(ROOT, f));
  return missing.length ? `worker not built (${missing.join(', ')} missing)` : null;
}

async function http(method, url, body, timeoutMs = 10000) {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** One worker process; `cluster` (group id and internal topic names) is shared by workers of one cluster. */
class Worker {
  constructor({ settings, cluster, label }) {
    this.settings = settings;
    this.cluster = cluster;
    this.label = label;
    this.proc = null;
    this.port = 0;
    this.url = '';
    this.logFile = path.join(RESULTS_DIR, 'logs', `${cluster.groupId}-${label}.log`);
  }

  get pid() {
    return this.proc ? this.proc.pid : undefined;
  }

  alive() {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Starts the process and waits for `GET /health` 200; returns the milliseconds that took. */
  async start(timeoutMs = 30000) {
    // One retry: a worker that fails on a cluster's very first start (internal topics just created) gets a second
    // chance, and the failure is kept in `startFailures` for the report rather than hiding it.
    this.startFailures = [];
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce(timeoutMs);
      } catch (err) {
        if (attempt >= 2) throw err;
        this.startFailures.push(err.message.slice(0, 400));
      }
    }
  }

  async startOnce(timeoutMs) {
    this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
    const log = fs.openSync(this.logFile, 'a');
    const { settings: s, cluster: c } = this;
    const t0 = performance.now();
    // BENCH_PROFILE=1: a V8 CPU profile per worker process, written when it exits gracefully.
    this.profileFile = s.profile
      ? path.join(RESULTS_DIR, 'profiles', `${c.groupId}-${this.label}-${this.port}.cpuprofile`)
      : null;
    const nodeArgs = this.profileFile
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${path.dirname(this.profileFile)}`,
          `--cpu-prof-name=${path.basename(this.profileFile)}`,
        ]
      : [];
    // BENCH_WORKER_NODE_ARGS: extra node/V8 flags for the worker processes (e.g. --trace-gc), to study one run.
    if (process.env.BENCH_WORKER_NODE_ARGS)
      nodeArgs.push(...process.env.BENCH_WORKER_NODE_ARGS.split(/\s+/).filter(Boolean));
    this.proc = spawnOwned(process.execPath, [...nodeArgs, BIN, 'worker'], {
      cwd: ROOT,
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        FERRY_KAFKA_BOOTSTRAP: s.kafka,
        FERRY_SCHEMA_REGISTRY_URL: s.registry,
        FERRY_REST_HOST: '127.0.0.1',
        FERRY_REST_PORT: String(this.port),
        FERRY_GROUP_ID: c.groupId,
        FERRY_CONFIG_TOPIC: c.configTopic,
        FERRY_OFFSETS_TOPIC: c.offsetsTopic,
        FERRY_STATUS_TOPIC: c.statusTopic,
      },
    });
    fs.closeSync(log);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    this.stopping = false;
    const proc = this.proc;
    // Rejects when this process ends without the harness asking (a crash): scenarios race their waits against it.
    this.crashed = this.exited.then(({ code, signal }) => {
      if (this.stopping || this.proc !== proc) return new Promise(() => undefined);
      throw new Error(
        `the worker exited (${signal || `code ${code}`}) during the scenario (log: ${path.relative(ROOT, this.logFile)}${tail(this.logFile, 6)})`,
      );
    });
    this.crashed.catch(() => undefined);
    const healthy = await poll(
      async () => {
        if (!this.alive()) throw Object.assign(new Error('exited'), { fatal: true });
        return (await http('GET', `${this.url}/health`, undefined, 2000)).status === 200;
      },
      timeoutMs,
      50,
    ).catch(() => false);
    if (!healthy) {
      const why = this.alive() ? `no /health 200 within ${timeoutMs / 1000} s` : 'the process exited';
      await this.stop();
      throw new Error(
        `worker failed to start: ${why} (log: ${path.relative(ROOT, this.logFile)}${tail(this.logFile)})`,
      );
    }
    return performance.now() - t0;
  }

  async createConnector(name, config) {
    const res = await http('POST', `${this.url}/connectors`, { name, config });
    if (res.status !== 201 && res.status !== 200)
      throw new Error(`POST /connectors ${name}: ${res.status} ${res.json?.message || res.text.slice(0, 300)}`);
    return res.json;
  }

  async status(name) {
    const res = await http('GET', `${this.url}/connectors/${encodeURIComponent(name)}/status`, undefined, 5000);
    if (res.status !== 200) throw new Error(`status ${name}: ${res.status}`);
    return res.json;
  }

  /** Waits until the connector and at least one task (every task) are RUNNING; throws with the trace on FAILED. */
  async waitRunning(name, timeoutMs) {
    let last;
    const ok = await poll(
      async () => {
        last = await this.status(name);
        const failed = [last.connector, ...(last.tasks || [])].find((s) => s.state === 'FAILED');
        if (failed)
          throw Object.assign(new Error(`connector ${name} FAILED: ${(failed.trace || '').slice(0, 500)}`), {
            fatal: true,
          });
        return (
          last.connector.state === 'RUNNING' && last.tasks.length > 0 && last.tasks.every((t) => t.state === 'RUNNING')
        );
      },
      timeoutMs,
      50,
    );
    if (!ok) {
      const failed = last && [last.connector, ...(last.tasks || [])].find((s) => s.state === 'FAILED');
      if (failed) throw new Error(`connector ${name} FAILED: ${(failed.trace || '').slice(0, 500)}`);
      throw new Error(
        `connector ${name} not RUNNING within ${timeoutMs / 1000} s (last status: ${JSON.stringify(last)})`,
      );
    }
    return last;
  }

  async deleteConnector(name) {
    if (!this.alive()) return;
    await http('DELETE', `${this.url}/connectors/${encodeURIComponent(name)}`, undefined, 10000).catch(() => undefined);
  }

  /** V8 heap and off-heap memory in MB from the worker's /metrics (null where it does not report them). */
  async heap() {
    const res = await http('GET', `${this.url}/metrics`, undefined, 5000).catch(() => null);
    if (!res || res.status !== 200) return null;
    const gauge = (name) => {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(res.text);
      return m ? Math.round((Number(m[1]) / 1048576) * 10) / 10 : null;
    };
    return {
      heapUsedMb: gauge('ferry_process_nodejs_heap_size_used_bytes'),
      heapTotalMb: gauge('ferry_process_nodejs_heap_size_total_bytes'),
      externalMb: gauge('ferry_process_nodejs_external_memory_bytes'),
    };
  }

  usage() {
    return this.pid ? { cpuSeconds: cpuSeconds(this.pid), ...memoryMb(this.pid) } : { cpuSeconds: null };
  }

  /** `promise`, or the worker's crash if that comes first. */
  guard(promise) {
    return this.crashed ? Promise.race([promise, this.crashed]) : promise;
  }

  kill9() {
    this.stopping = true;
    if (this.alive()) this.proc.kill('SIGKILL');
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Idempotent. */
  async stop(graceMs = 10000) {
    this.stopping = true;
    if (!this.alive()) return;
    this.proc.kill('SIGTERM');
    const gone = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!gone) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** The log's error lines (pino level ≥ 50, or a stack trace), else its last lines, for an error message. */
function tail(file, count = 3) {
  try {
    const all = fs.readFileSync(file, 'utf8').trim().split('\n');
    const errors = all.filter((l) => /"level":("error"|"fatal"|[56]0)|Error|^\s+at /.test(l));
    const lines = (errors.length ? errors : all).slice(-count).join(' | ');
    return lines ? `; last lines: ${lines.slice(0, 200 * count)}` : '';
  } catch {
    return '';
  }
}

/** Fresh group id and internal topic names, so a run never meets an earlier run's state. */
function newCluster(runId, label) {
  const groupId = `ferry-bench-${runId}-${label}`;
  return {
    groupId,
    configTopic: `${groupId}-configs`,
    offsetsTopic: `${groupId}-offsets`,
    statusTopic: `${groupId}-status`,
  };
}

module.exports = { Worker, newCluster, notBuiltReason, http, STUB };
