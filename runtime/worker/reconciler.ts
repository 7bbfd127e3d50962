import type { ConnectorContext, RawConfig } from '../api';
import { ConfigError, errorTrace } from '../api';
import { parseConnectorConfig, pluginFor } from '../config';
import type { State } from '../herder/types';
import type { ConfigEvent, ConnectorState } from '../storage';
import { configKey, newTaskRuntime, type ConnectorRuntime, type ConnectorRuntimes } from './connector-runtime';
import type { WorkerServices } from './services';
import type { StateWriter } from './states';
import type { TaskControl } from './task-control';

/**
 * Brings what runs on this worker in line with the config topic (configs, target states, task configs, restart
 * requests) and the membership (which connectors and tasks are this worker's). Every step runs on the connector's
 * chain; a step that writes to the config topic ends there, and the write's read-back starts the next one.
 */
export class Reconciler {
  constructor(
    private readonly s: WorkerServices,
    private readonly runtimes: ConnectorRuntimes,
    private readonly states: StateWriter,
    private readonly tasks: TaskControl,
  ) {}

  /** A change read from the config topic: a restart request runs the restart, anything else a reconciliation. */
  configChanged(e: ConfigEvent): void {
    if (!this.s.running()) return;
    // A new connector or a changed task count gives the cluster new units to hand out.
    if (e.kind !== 'restart') this.s.membership.unitsChanged?.();
    if (e.kind === 'restart')
      void this.runtimes.enqueue(e.name, () => this.restartNow(e.name, e.includeTasks, e.onlyFailed));
    else this.reconcile(e.name);
  }

  reconcile(name: string): void {
    void this.runtimes.enqueue(name, () => this.reconcileNow(name));
  }

  /** Reconciles every connector; resolves when all of them are done (what a cluster waits for before acknowledging). */
  async reconcileAll(): Promise<void> {
    if (!this.s.running()) return;
    const names = new Set([...this.s.configs.names(), ...this.runtimes.names()]);
    // enqueue logs its own failures; one connector's failure must not hold up the acknowledgement of the others.
    await Promise.all(
      [...names].map((n) => this.runtimes.enqueue(n, () => this.reconcileNow(n)).catch(() => undefined)),
    );
  }

  /** Brings what runs here for one connector in line with the config topic and the membership. Call on its chain. */
  async reconcileNow(name: string): Promise<void> {
    if (!this.s.running()) return;
    const rt = this.runtimes.get(name);
    const stored = this.s.configs.get(name);
    if (!stored) {
      if (rt) {
        await this.stopConnector(rt, undefined);
        this.runtimes.delete(name);
        this.s.opts.metrics.forgetConnector(name);
      }
      return;
    }
    if (!rt) return;
    if (this.s.membership.ownsConnector(name)) {
      if (stored.target === 'STOPPED') {
        await this.tasks.stop(rt, [...rt.tasks.keys()], 'remove');
        await this.stopInstance(rt);
        await this.states.connector(rt, 'STOPPED', null);
        // A stopped connector has no tasks, as in Connect; its MQTT sessions are kept so a resume loses nothing.
        // Its owner writes it: the owner is unique per generation, and in a cluster it is seldom the leader.
        if (stored.tasks.length > 0) await this.s.configs.putTasks(name, []);
        return;
      }
      const started = await this.ensureInstance(rt, stored);
      if (!started) return;
      // A connector created PAUSED gets no tasks until it is resumed, as in Connect; one paused later keeps them.
      const deferTasks = stored.target === 'PAUSED' && stored.tasks.length === 0;
      if (!deferTasks && (await this.updateTaskConfigs(rt, stored))) return; // the commit re-enters
    } else if (rt.instance || rt.state !== 'UNASSIGNED') {
      // Another worker runs it now and writes its status; should it come back here, it starts afresh (even if it
      // had FAILED here).
      await this.stopInstance(rt);
      rt.configKey = undefined;
      this.states.connectorLeft(rt);
    }
    await this.reconcileTasks(rt, stored);
  }

  /** A restart request read from the config topic. Call on the connector's chain. */
  async restartNow(name: string, includeTasks: boolean, onlyFailed: boolean): Promise<void> {
    const rt = this.runtimes.get(name);
    const stored = this.s.configs.get(name);
    if (!rt || !stored || stored.target === 'STOPPED') return;
    if (this.s.membership.ownsConnector(name) && (!onlyFailed || rt.state === 'FAILED')) {
      await this.stopInstance(rt);
      rt.configKey = undefined;
      await this.states.connector(rt, 'RESTARTING', null);
      if (!(await this.ensureInstance(rt, stored))) return;
    }
    if (includeTasks) {
      for (const t of rt.tasks.values()) {
        if (onlyFailed && t.state !== 'FAILED') continue;
        const cfg = stored.tasks[t.id];
        if (!cfg) continue;
        await this.tasks.restart(rt, t, cfg, stored.target === 'PAUSED');
      }
    }
    await this.reconcileNow(name);
  }

  /**
   * Stops the connector's tasks and instance. `finalState` (shutdown: UNASSIGNED) is written only by the worker
   * that ran it, since in a cluster another worker may own it; without one the tasks' statuses are removed.
   */
  async stopConnector(rt: ConnectorRuntime, finalState: State | undefined): Promise<void> {
    const ranHere = rt.instance !== undefined || rt.state !== 'UNASSIGNED';
    await this.tasks.stop(rt, [...rt.tasks.keys()], finalState ? 'unassign' : 'remove');
    await this.stopInstance(rt);
    if (finalState && ranHere && this.s.configs.get(rt.name)) await this.states.connector(rt, finalState, null);
  }

  /** Starts (or restarts after a config change) the connector instance. Returns false if it could not. */
  private async ensureInstance(rt: ConnectorRuntime, stored: ConnectorState): Promise<boolean> {
    const key = configKey(stored.config);
    const wanted: State = stored.target === 'PAUSED' ? 'PAUSED' : 'RUNNING';
    if (rt.instance && rt.configKey === key) {
      if (rt.state !== wanted && rt.state !== 'FAILED') await this.states.connector(rt, wanted, null);
      return rt.state !== 'FAILED';
    }
    if (rt.configKey === key && rt.state === 'FAILED') return false; // waits for a restart request
    await this.stopInstance(rt);
    rt.configKey = key;
    try {
      const plugin = pluginFor(this.s.opts.registry, stored.config);
      const resolved = await this.s.opts.pipeline.resolveConfigProviders(stored.config);
      const parsed = parseConnectorConfig(plugin, resolved);
      if (parsed.issues.length > 0) throw new ConfigError(parsed.issues, 'Connector configuration is invalid');
      const instance = plugin.createConnector();
      const ctx: ConnectorContext = {
        name: rt.name,
        settings: parsed.settings,
        logger: this.s.logger.child({ connector: rt.name }),
        requestTaskReconfiguration: () => this.reconcile(rt.name),
        raiseError: (err) =>
          void this.runtimes.enqueue(rt.name, async () => {
            await this.stopInstance(rt);
            await this.states.connector(rt, 'FAILED', errorTrace(err));
          }),
      };
      await instance.start(parsed.values, resolved, ctx);
      rt.plugin = plugin;
      rt.instance = instance;
      await this.states.connector(rt, wanted, null);
      return true;
    } catch (err) {
      this.s.logger.warn({ connector: rt.name, err: (err as Error).message }, 'connector failed to start');
      await this.states.connector(rt, 'FAILED', errorTrace(err));
      return false;
    }
  }

  private async stopInstance(rt: ConnectorRuntime): Promise<void> {
    const inst = rt.instance;
    rt.instance = undefined;
    if (!inst) return;
    try {
      await inst.stop();
    } catch (err) {
      this.s.logger.warn({ connector: rt.name, err: (err as Error).message }, 'connector did not stop cleanly');
    }
  }

  /** Asks the connector for its task configs and stores them if they changed. True when a write happened. */
  private async updateTaskConfigs(rt: ConnectorRuntime, stored: ConnectorState): Promise<boolean> {
    if (!rt.instance) return false;
    const resolved = await this.s.opts.pipeline.resolveConfigProviders(stored.config);
    // A connector stored before limits.tasks.max was lowered runs with the cap, never with what it asked for.
    const max = Math.min(this.s.cfg.limits.tasksMax, Math.max(1, Number(resolved['tasks.max'] ?? '1') || 1));
    let generated: RawConfig[];
    try {
      generated = rt.instance.taskConfigs(max).slice(0, max);
    } catch (err) {
      await this.states.connector(rt, 'FAILED', errorTrace(err));
      return false;
    }
    // Store placeholders, never the secrets they resolve to (as Connect's reverse transform does).
    const wanted = generated.map((c) => unresolve(c, stored.config, resolved));
    const same =
      wanted.length === stored.tasks.length && wanted.every((c, i) => configKey(c) === configKey(stored.tasks[i]!));
    if (same) return false;
    await this.s.configs.putTasks(rt.name, wanted);
    return true;
  }

  /** Starts, pauses, resumes and stops the connector's tasks on this worker to match the stored task configs. */
  private async reconcileTasks(rt: ConnectorRuntime, stored: ConnectorState): Promise<void> {
    const paused = stored.target === 'PAUSED';
    const released: RawConfig[] = [];
    const departed = [...rt.tasks].filter(([id]) => id >= stored.tasks.length);
    // A shrink: the departed tasks drain what their source queued for them first, side by side (one shutdown timeout
    // in all, not one each); only a drained task's external state is released.
    const drained = await Promise.all(departed.map(([id]) => this.tasks.retire(rt, id)));
    for (const [i, [id, t]] of departed.entries()) {
      if (drained[i]) released.push(t.config);
      await this.tasks.stop(rt, [id], 'remove');
    }
    for (let i = 0; i < stored.tasks.length; i++) {
      const cfg = stored.tasks[i]!;
      const existing = rt.tasks.get(i);
      if (!this.s.membership.ownsTask(rt.name, i)) {
        if (existing) await this.tasks.stop(rt, [i], 'forget');
        continue;
      }
      if (existing && existing.configKey !== configKey(cfg)) await this.tasks.stop(rt, [i], 'forget');
      const t = rt.tasks.get(i);
      if (t) {
        if (paused && t.state === 'RUNNING') await this.tasks.pause(rt, t);
        else if (!paused && t.state === 'PAUSED') await this.tasks.start(rt, t, cfg);
        continue;
      }
      const fresh = newTaskRuntime(i, cfg);
      rt.tasks.set(i, fresh);
      if (paused) await this.states.task(rt, fresh, 'PAUSED', null);
      else await this.tasks.start(rt, fresh, cfg);
    }
    if (released.length > 0 && stored.target !== 'STOPPED') await this.tasks.release(rt, released);
  }
}

/** Puts back the placeholders of `raw` where a task config carries the value they resolved to. */
function unresolve(task: RawConfig, raw: RawConfig, resolved: RawConfig): RawConfig {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(task)) {
    out[k] = raw[k] !== undefined && raw[k] !== v && resolved[k] === v ? raw[k] : v;
  }
  return out;
}
