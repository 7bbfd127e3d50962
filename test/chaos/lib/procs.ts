import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Every process the suite starts is registered here, so one call (and, as a last resort, the harness process's own
 * exit) ends all of them, however a row failed. A SIGSTOPped process is continued before it is killed.
 */
const live = new Set<ChildProcess>();

export function track(proc: ChildProcess): ChildProcess {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  return proc;
}

export function killAll(): void {
  for (const p of live) {
    try {
      p.kill('SIGCONT');
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
}

process.once('exit', killAll);

/** Waits for an exit, at most `limitMs`: the exit code / signal, or undefined when it did not exit in time. */
export function exitOf(
  proc: ChildProcess,
  limitMs: number,
): Promise<{ code: number | null; signal: string | null } | undefined> {
  if (proc.exitCode !== null || proc.signalCode !== null)
    return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), limitMs);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** A role process (roles/*.js) driven by request/answer over IPC. */
export class Role {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stderr = '';

  private constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    proc.on('message', (msg: { id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (msg.id === undefined) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(`${this.name}: ${msg.error}`));
    });
    proc.once('exit', (code, signal) => {
      for (const p of this.pending.values())
        p.reject(new Error(`${this.name} exited (${code ?? signal}) ${this.stderr.slice(-500)}`));
      this.pending.clear();
    });
  }

  /** Forks `roles/<file>` with its options and waits for it to say it is ready (bounded). */
  static async start(file: string, options: object, readyLimitMs = 60_000): Promise<Role> {
    const proc = track(
      fork(path.join(__dirname, '..', 'roles', file), [JSON.stringify(options)], {
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      }),
    );
    const role = new Role(file.replace(/\.js$/, ''), proc);
    proc.stderr?.on('data', (d: Buffer) => (role.stderr = (role.stderr + d.toString()).slice(-4000)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${role.name} not ready within ${readyLimitMs} ms`)),
        readyLimitMs,
      );
      const onMessage = (msg: { ready?: boolean; error?: string }): void => {
        if (msg.ready === undefined) return;
        clearTimeout(timer);
        proc.off('message', onMessage);
        if (msg.ready) resolve();
        else reject(new Error(`${role.name}: ${msg.error}`));
      };
      proc.on('message', onMessage);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${role.name} exited (${code}) before it was ready: ${role.stderr.slice(-1000)}`));
      });
    });
    return role;
  }

  call<T>(op: string, args: object = {}, limitMs = 120_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${op} did not answer within ${limitMs} ms`));
      }, limitMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.send({ id, op, ...args });
    });
  }

  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await exitOf(this.proc, 10_000);
  }
}
