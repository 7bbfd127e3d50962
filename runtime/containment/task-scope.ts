import { AsyncLocalStorage } from 'node:async_hooks';

/** The task a piece of asynchronous work belongs to, and how to fail it. */
export interface TaskScope {
  readonly connector: string;
  readonly task: number;
  /** Fails the task (FAILED with the error's trace); called at most once per escaped error. */
  fail(err: Error): void;
}

/**
 * Everything a task starts (sockets, timers, promises, event emitters) carries its scope: Node propagates the store
 * of an AsyncLocalStorage to every callback created under it. An error that escapes all of the task's own handling
 * (see {@link ProcessGuard}) can then still be pinned on the task that caused it, and fail that task alone.
 */
const storage = new AsyncLocalStorage<TaskScope>();

/** Runs `fn` (and all the asynchronous work it starts) in the task's scope. */
export function runInTaskScope<T>(scope: TaskScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The scope of the work running now, if it belongs to a task. */
export function currentTaskScope(): TaskScope | undefined {
  return storage.getStore();
}
