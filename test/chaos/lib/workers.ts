import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { exitOf, track } from './procs';
import { freePort } from './stack';

const ROOT = path.join(__dirname, '..', '..', '..');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Polls `fn` until it returns something truthy; undefined when `limitMs` passed first (the caller decides). */
export async function poll<T>(
  fn: () => Promise<T | undefined | false>,
  limitMs: number,
  everyMs = 250,
): Promise<T | undefined> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) return undefined;
    await sleep(everyMs);
  }
}

export async function mustPoll<T>(fn: () => Promise<T | undefined | false>, limitMs: number, what: string): Promise<T> {
  const v = await poll(fn, limitMs);
  if (v === undefined) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
  return v;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- REST bodies are read as arbitrary JSON
type Json = any;

export async function rest(
  url: string,
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${url}${p}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    /* keep the text */
  }
  return { status: res.status, body: parsed };
}

/** The settings every worker of a row shares: its cluster's group and internal topics, and the brokers. */
export interface ClusterSpec {
  readonly kafka: string;
  readonly registry?: string;
  readonly groupId: string;
  readonly gracefulMs: number;
  readonly sessionTimeoutMs: number;
}

export function newCluster(
  kafka: string,
  registry: string | undefined,
  gracefulMs = 5000,
  sessionTimeoutMs = 8000,
): ClusterSpec {
  return { kafka, registry, groupId: uniqueId('chaos'), gracefulMs, sessionTimeoutMs };
}

/** One `ferry worker` process (the built dist/), as an operator runs it. */
export class Worker {
  private out = '';
  private constructor(
    readonly port: number,
    readonly proc: ChildProcess,
  ) {
    proc.stdout?.on('data', (d: Buffer) => (this.out = (this.out + d.toString()).slice(-200_000)));
    proc.stderr?.on('data', (d: Buffer) => (this.out = (this.out + d.toString()).slice(-200_000)));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The id the REST status shows for tasks this worker runs. */
  get id(): string {
    return `127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  output(): string {
    return this.out;
  }

  static async start(c: ClusterSpec): Promise<Worker> {
    const port = await freePort();
    // The harness's own FERRY_* variables (the shared stack's) must not leak into a worker of a private stack.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FERRY_')));
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      FERRY_KAFKA_BOOTSTRAP: c.kafka,
      ...(c.registry ? { FERRY_SCHEMA_REGISTRY_URL: c.registry } : {}),
      FERRY_REST_PORT: String(port),
      FERRY_REST_HOST: '127.0.0.1',
      FERRY_ADVERTISED_HOST: '127.0.0.1',
      FERRY_GROUP_ID: c.groupId,
      FERRY_CONFIG_TOPIC: `${c.groupId}-configs`,
      FERRY_OFFSETS_TOPIC: `${c.groupId}-offsets`,
      FERRY_STATUS_TOPIC: `${c.groupId}-status`,
      FERRY_TASK_SHUTDOWN_GRACEFUL_TIMEOUT_MS: String(c.gracefulMs),
      FERRY_SESSION_TIMEOUT_MS: String(c.sessionTimeoutMs),
      FERRY_LOG_LEVEL: 'info',
    };
    const proc = track(
      spawn(process.execPath, [path.join(ROOT, 'bin', 'ferry.js'), 'worker'], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const w = new Worker(port, proc);
    const healthy = await poll(async () => {
      if (!w.alive) throw new Error('exited');
      return (await fetch(`${w.url}/health`, { signal: AbortSignal.timeout(5000) })).status === 200;
    }, 120_000);
    if (!healthy) {
      await w.kill();
      throw new Error(`worker not healthy within 120 s:\n${w.out.slice(-3000)}`);
    }
    return w;
  }

  async kill(): Promise<void> {
    if (this.alive) {
      this.proc.kill('SIGCONT');
      this.proc.kill('SIGKILL');
    }
    await exitOf(this.proc, 10_000);
  }

  /** SIGTERM; how long the exit took and its code (undefined code: not gone within `limitMs`, then killed). */
  async terminate(limitMs: number): Promise<{ ms: number; code: number | null | undefined }> {
    const t0 = Date.now();
    if (this.alive) this.proc.kill('SIGTERM');
    const exit = await exitOf(this.proc, limitMs);
    const ms = Date.now() - t0;
    if (!exit) await this.kill();
    return { ms, code: exit?.code };
  }

  freeze(): void {
    this.proc.kill('SIGSTOP');
  }

  thaw(): void {
    this.proc.kill('SIGCONT');
  }
}

export interface TaskView {
  id: number;
  state: string;
  worker_id: string;
  trace?: string;
}

export async function status(w: Worker, name: string): Promise<{ connector: string; tasks: TaskView[] } | undefined> {
  const res = await rest(w.url, 'GET', `/connectors/${name}/status`);
  if (res.status !== 200) return undefined;
  return { connector: res.body.connector?.state as string, tasks: (res.body.tasks ?? []) as TaskView[] };
}

/** Waits until the connector and exactly `tasks` tasks are in `state` (on live workers when given); ms taken. */
export async function waitState(
  w: Worker,
  name: string,
  state: string,
  tasks: number,
  limitMs: number,
  on?: Worker[],
): Promise<number | undefined> {
  const t0 = Date.now();
  const ok = await poll(async () => {
    const s = await status(w, name);
    if (!s || s.connector !== state || s.tasks.length !== tasks) return false;
    const ids = on ? new Set(on.map((x) => x.id)) : undefined;
    return s.tasks.every((t) => t.state === state && (!ids || ids.has(t.worker_id)));
  }, limitMs);
  return ok ? Date.now() - t0 : undefined;
}
