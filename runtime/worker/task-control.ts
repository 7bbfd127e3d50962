import type { RawConfig } from '../api';
import { FerryError, errorTrace } from '../api';
import { runInTaskScope } from '../containment';
import type { ConnectorRuntimes, ConnectorRuntime, TaskRuntime } from './connector-runtime';
import type { WorkerServices } from './services';
import type { StateWriter } from './states';
import { buildTask, type TaskBuilder } from './task-factory';

const RESTART_BACKOFF_MAX_MS = 60_000;

/**
 * How a stopped task leaves this worker. 'remove': it is gone (status tombstoned); 'unassign': this worker stops
 * running it (status UNASSIGNED, e.g. shutdown); 'forget': stopped here, status left to whoever runs it next.
 */
export type TaskExit = 'remove' | 'unassign' | 'forget';

/** Starts, restarts, fails and stops the tasks of the connectors this worker runs; always on the connector's chain. */
export class TaskControl {
  constructor(
    private readonly s: WorkerServices,
    private readonly runtimes: ConnectorRuntimes,
    private readonly states: StateWriter,
    private readonly build: TaskBuilder = buildTask,
  ) {}

  /**
   * Builds and starts the task's runner: RUNNING, or FAILED with the reason. Everything the task starts runs in its
   * scope (runtime/containment): an error that escapes the task's own handling fails this task, not the worker.
   */
  start(rt: ConnectorRuntime, t: TaskRuntime, stored: RawConfig): Promise<void> {
    const fail = (err: Error): void => {
      if (rt.tasks.get(t.id) === t) this.failed(rt, t, err);
    };
    return runInTaskScope({ connector: rt.name, task: t.id, fail }, () => this.startInScope(rt, t, stored));
  }

  private async startInScope(rt: ConnectorRuntime, t: TaskRuntime, stored: RawConfig): Promise<void> {
    const logger = this.s.logger.child({ connector: rt.name, task: t.id });
    try {
      const built = await this.build(this.s, rt, t, stored, (err) => this.failed(rt, t, err));
      t.runner = built.runner;
      t.abort = built.abort;
      const runner = built.runner;
      await runner.start();
      if (t.runner === runner && t.state !== 'FAILED') {
        await this.states.task(rt, t, 'RUNNING', null);
        // Which worker starts and stops which task is what an operator (and the cluster tests) follow across rebalances.
        logger.info({ generation: this.s.membership.generation() }, 'task running');
      }
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'task failed to start');
      this.failed(rt, t, err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * The restart sequence, for a user's restart request: the runner stops, the back-off starts over, the task passes
   * through RESTARTING and comes back PAUSED (its connector is paused) or running.
   */
  async restart(rt: ConnectorRuntime, t: TaskRuntime, stored: RawConfig, paused: boolean): Promise<void> {
    await this.stopRunner(t);
    if (t.restartTimer) clearTimeout(t.restartTimer);
    t.restarts = 0;
    await this.states.task(rt, t, 'RESTARTING', null);
    if (paused) await this.states.task(rt, t, 'PAUSED', null);
    else await this.start(rt, t, stored);
  }

  /** Pauses a running task: its runner stops (offsets flushed), the task stays assigned here. */
  async pause(rt: ConnectorRuntime, t: TaskRuntime): Promise<void> {
    await this.stopRunner(t);
    await this.states.task(rt, t, 'PAUSED', null);
  }

  /** A task failed: FAILED with the trace; retriable failures restart by themselves with back-off. */
  private failed(rt: ConnectorRuntime, t: TaskRuntime, err: Error): void {
    if (t.state === 'FAILED' || !this.s.running()) return;
    this.states.taskNow(rt, t, 'FAILED', errorTrace(err));
    void this.runtimes.enqueue(rt.name, async () => {
      await this.stopRunner(t);
      await this.states.writeTask(rt, t);
      const retriable = err instanceof FerryError && err.retriable;
      if (!retriable || !this.s.running()) return;
      const delay = Math.min(RESTART_BACKOFF_MAX_MS, 1000 * 2 ** t.restarts);
      t.restarts++;
      this.s.logger.info(
        { connector: rt.name, task: t.id, delayMs: delay },
        'task failed on a retriable error; restarting',
      );
      t.restartTimer = setTimeout(() => {
        t.restartTimer = undefined;
        void this.runtimes.enqueue(rt.name, async () => {
          const stored = this.s.configs.get(rt.name);
          const cfg = stored?.tasks[t.id];
          if (!stored || !cfg || rt.tasks.get(t.id) !== t || t.state !== 'FAILED' || stored.target !== 'STARTED')
            return;
          await this.states.task(rt, t, 'RESTARTING', null);
          await this.start(rt, t, cfg);
        });
      }, delay);
    });
  }

  /**
   * A task removed for good (a shrink) drains what its source queued for it while it still runs, bounded by the
   * shutdown timeout. True when its external state may be released (drained, or nothing running that could drain:
   * a paused or failed task); false when the drain did not finish, so that state is left to expire, not discarded.
   */
  async retire(rt: ConnectorRuntime, id: number): Promise<boolean> {
    const t = rt.tasks.get(id);
    const runner = t?.runner;
    if (!t || t.state !== 'RUNNING' || !runner?.retire) return true;
    const drained = await runner.retire(this.s.cfg.shutdownTimeoutMs);
    this.s.logger[drained ? 'info' : 'warn'](
      { connector: rt.name, task: id },
      drained
        ? 'removed task drained what its source queued for it'
        : 'removed task did not drain in time; its external state is left to expire',
    );
    return drained;
  }

  /** Stops tasks and drops them from the runtime; `how` says what their status becomes. */
  async stop(rt: ConnectorRuntime, ids: number[], how: TaskExit): Promise<void> {
    for (const id of ids) {
      const t = rt.tasks.get(id);
      if (!t) continue;
      if (t.restartTimer) clearTimeout(t.restartTimer);
      await this.stopRunner(t);
      rt.tasks.delete(id);
      this.s.logger.info({ connector: rt.name, task: id, how }, 'task stopped');
      if (how === 'remove') {
        if (this.s.statuses.tasksOf(rt.name).has(id))
          await this.s.statuses.removeTask(rt.name, id).catch(() => undefined);
      } else if (how === 'unassign') {
        await this.states
          .task(rt, t, 'UNASSIGNED', null)
          .catch((err: unknown) => this.s.logger.warn({ err, connector: rt.name, task: id }, 'could not unassign'));
      }
    }
  }

  /** Stops the runner (bounded by the shutdown timeout), then cancels what its pipeline still waits on. */
  async stopRunner(t: TaskRuntime): Promise<void> {
    const runner = t.runner;
    const abort = t.abort;
    t.runner = undefined;
    t.abort = undefined;
    if (!runner) return;
    try {
      await runner.stop(this.s.cfg.shutdownTimeoutMs);
    } catch (err) {
      this.s.logger.warn({ task: t.id, err: (err as Error).message }, 'task did not stop cleanly');
    }
    abort?.abort();
  }

  /** Lets the plugin release what removed tasks leave outside (e.g. persistent MQTT sessions). */
  async release(rt: Pick<ConnectorRuntime, 'name' | 'plugin'>, taskConfigs: RawConfig[]): Promise<void> {
    const plugin = rt.plugin;
    if (!plugin?.releaseTasks) return;
    try {
      await plugin.releaseTasks(
        await Promise.all(taskConfigs.map((c) => this.s.opts.pipeline.resolveConfigProviders(c))),
        this.s.logger.child({ connector: rt.name }),
      );
    } catch (err) {
      this.s.logger.warn(
        { connector: rt.name, err: (err as Error).message },
        'could not release the resources of removed tasks',
      );
    }
  }
}
