import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { eventually } from './eventually';
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
    let outcome: 'healthy' | 'exited';
    try {
      outcome = await eventually(
        async () => {
          if (proc.exitCode !== null) return 'exited' as const;
          return (await fetch(`${url}/health`)).status === 200 && ('healthy' as const);
        },
        { what: 'the worker healthy', timeoutMs: 90_000, intervalMs: 200 },
      );
    } catch (err) {
      await handle.kill();
      throw new Error(`${(err as Error).message}\n${out.slice(-4000)}`);
    }
    if (outcome === 'exited') throw new Error(`worker exited with ${proc.exitCode} before it was healthy:\n${out}`);
  }
  return handle;
}

/**
 * Starts the first worker of a fresh cluster, with up to three tries (each with fresh internal topics): such a worker
 * has been seen to die at start while its internal topics are brand new ("Not leader for partition" reading the
 * offsets topic). Tests of something else should not fail on that.
 */
export async function startFreshWorker(
  prefix: string,
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<{ w: WorkerHandle; cluster: ClusterNames }> {
  for (let attempt = 1; ; attempt++) {
    const cluster = freshCluster(prefix);
    try {
      return { w: await startWorker(cluster, opts), cluster };
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
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
