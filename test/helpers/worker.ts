import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { uniqueId } from './ids';
import { freePort, stackEnv } from './stack';

const ROOT = path.join(__dirname, '..', '..');
export const FIXTURE_PLUGINS = path.join(ROOT, 'test', 'fixtures', 'plugins');

export interface WorkerHandle {
  readonly url: string;
  readonly port: number;
  readonly env: NodeJS.ProcessEnv;
  readonly proc: ChildProcess;
  /** Everything the worker printed (JSON log lines). */
  output(): string;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** SIGTERM, waits for the exit. */
  stop(): Promise<number | null>;
}

export interface ClusterNames {
  readonly groupId: string;
  readonly configTopic: string;
  readonly offsetsTopic: string;
  readonly statusTopic: string;
}

/** Internal topic names and group of a fresh cluster, so tests never see each other's connectors. */
export function freshCluster(prefix = 'ferry-test'): ClusterNames {
  const id = uniqueId(prefix);
  return { groupId: id, configTopic: `${id}-configs`, offsetsTopic: `${id}-offsets`, statusTopic: `${id}-status` };
}

/** Starts `ferry worker` (the built dist/) as a child process and waits until /health answers 200. */
export async function startWorker(
  cluster: ClusterNames,
  opts: { port?: number; env?: NodeJS.ProcessEnv; waitHealthy?: boolean } = {},
): Promise<WorkerHandle> {
  const { kafka, registry } = stackEnv();
  const port = opts.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FERRY_KAFKA_BOOTSTRAP: kafka,
    FERRY_SCHEMA_REGISTRY_URL: registry,
    FERRY_REST_PORT: String(port),
    FERRY_REST_HOST: '127.0.0.1',
    FERRY_ADVERTISED_HOST: '127.0.0.1',
    FERRY_GROUP_ID: cluster.groupId,
    FERRY_CONFIG_TOPIC: cluster.configTopic,
    FERRY_OFFSETS_TOPIC: cluster.offsetsTopic,
    FERRY_STATUS_TOPIC: cluster.statusTopic,
    FERRY_PLUGIN_PATH: FIXTURE_PLUGINS,
    FERRY_LOG_LEVEL: 'info',
    ...opts.env,
  };
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin', 'ferry.js'), 'worker'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const handle: WorkerHandle = {
    url,
    port,
    env,
    proc,
    output: () => out,
    kill: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
  if (opts.waitHealthy !== false) {
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`worker exited with ${proc.exitCode} before it was healthy:\n${out}`);
      try {
        const res = await fetch(`${url}/health`);
        if (res.status === 200) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) {
        await handle.kill();
        throw new Error(`worker not healthy within 90 s:\n${out.slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return handle;
}

/** A JSON call against the REST API: status and parsed body (undefined when empty). */
export async function rest(
  url: string,
  method: string,
  p: string,
  body?: unknown,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON bodies
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${url}${p}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Polls `fn` until it returns a truthy value or the limit passes (generous: tests never assert on time). */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false>,
  limitMs = 60_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last) ?? String(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
