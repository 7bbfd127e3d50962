import type { Logger, RawConfig } from '../api';
import type { TargetState } from '../herder/types';
import type { LogRecord } from '../kafka';
import { parseJson, type InternalTopic } from './internal-topics';

/** What the config topic says, applied in log order. */
export interface ConnectorState {
  readonly config: RawConfig;
  readonly target: TargetState;
  /** Committed task configs (a `commit-<n>` record made them effective). */
  readonly tasks: readonly RawConfig[];
}

export type ConfigEvent =
  | { kind: 'connector'; name: string }
  | { kind: 'removed'; name: string }
  | { kind: 'target'; name: string }
  | { kind: 'tasks'; name: string }
  | { kind: 'restart'; name: string; includeTasks: boolean; onlyFailed: boolean };

/**
 * Connector configs, target states and task configs, kept in the config topic in Kafka Connect's own record
 * formats (`connector-<n>`, `target-state-<n>`, `task-<n>-<i>`, `commit-<n>`, `restart-connector-<n>`), so the log
 * reads like Connect's and every worker rebuilds the same state from it.
 */
export class ConfigStore {
  private readonly configs = new Map<string, RawConfig>();
  private readonly targets = new Map<string, TargetState>();
  private readonly tasks = new Map<string, RawConfig[]>();
  private readonly pendingTasks = new Map<string, Map<number, RawConfig>>();
  private readonly listeners: ((e: ConfigEvent) => void)[] = [];
  private topic: InternalTopic | undefined;
  /** Restart requests replayed from history at start-up are not acted on. */
  private live = false;

  constructor(private readonly logger: Logger) {}

  /** Binds the topic (created by the caller with `apply` as its record handler) and reads it to the end. */
  async start(topic: InternalTopic): Promise<void> {
    this.topic = topic;
    await topic.start();
    this.live = true;
  }

  onChange(listener: (e: ConfigEvent) => void): void {
    this.listeners.push(listener);
  }

  names(): string[] {
    return [...this.configs.keys()].sort();
  }

  get(name: string): ConnectorState | undefined {
    const config = this.configs.get(name);
    if (!config) return undefined;
    return { config, target: this.targets.get(name) ?? 'STARTED', tasks: this.tasks.get(name) ?? [] };
  }

  async putConnector(name: string, config: RawConfig, initialTarget?: TargetState): Promise<void> {
    const records: { key: string; value: unknown }[] = [];
    // As Connect does: the target state goes first, so no worker ever starts a connector created PAUSED or STOPPED.
    if (initialTarget && initialTarget !== 'STARTED') records.push(targetRecord(name, initialTarget));
    records.push({ key: `connector-${name}`, value: { properties: config } });
    await this.writer().write(records);
  }

  async putTarget(name: string, target: TargetState): Promise<void> {
    await this.writer().write([targetRecord(name, target)]);
  }

  /** Task configs take effect only with the commit record, written last. */
  async putTasks(name: string, taskConfigs: readonly RawConfig[]): Promise<void> {
    const records = taskConfigs.map((properties, i) => ({ key: `task-${name}-${i}`, value: { properties } }));
    records.push({ key: `commit-${name}`, value: { tasks: taskConfigs.length } as never });
    await this.writer().write(records);
  }

  async remove(name: string): Promise<void> {
    await this.writer().write([
      { key: `connector-${name}`, value: null },
      { key: `target-state-${name}`, value: null },
    ]);
  }

  async requestRestart(name: string, includeTasks: boolean, onlyFailed: boolean): Promise<void> {
    await this.writer().write([
      { key: `restart-connector-${name}`, value: { 'include-tasks': includeTasks, 'only-failed': onlyFailed } },
    ]);
  }

  readToEnd(): Promise<void> {
    return this.writer().readToEnd();
  }

  private writer(): InternalTopic {
    if (!this.topic) throw new Error('config store not started');
    return this.topic;
  }

  /** Applies one record of the config topic. */
  apply(rec: LogRecord): void {
    const value = parseJson(rec.value) as Record<string, unknown> | null | undefined;
    if (value === undefined) {
      this.logger.warn({ key: rec.key, offset: rec.offset }, 'config topic record is not JSON; ignored');
      return;
    }
    const key = rec.key;
    if (key.startsWith('connector-')) {
      const name = key.slice('connector-'.length);
      if (value === null) {
        const existed = this.configs.delete(name);
        this.tasks.delete(name);
        this.pendingTasks.delete(name);
        if (existed) this.emit({ kind: 'removed', name });
      } else {
        this.configs.set(name, stringMap(value.properties));
        this.emit({ kind: 'connector', name });
      }
    } else if (key.startsWith('target-state-')) {
      const name = key.slice('target-state-'.length);
      if (value === null) this.targets.delete(name);
      else {
        const state = (value['state.v2'] ?? value.state) as TargetState;
        this.targets.set(name, state === 'PAUSED' || state === 'STOPPED' ? state : 'STARTED');
      }
      if (this.configs.has(name)) this.emit({ kind: 'target', name });
    } else if (key.startsWith('task-')) {
      const m = /^task-(.+)-(\d+)$/.exec(key);
      if (!m || value === null) return;
      const name = m[1]!;
      const pending = this.pendingTasks.get(name) ?? new Map<number, RawConfig>();
      pending.set(Number(m[2]), stringMap(value.properties));
      this.pendingTasks.set(name, pending);
    } else if (key.startsWith('commit-')) {
      const name = key.slice('commit-'.length);
      if (value === null) return;
      const count = Number(value.tasks ?? 0);
      const pending = this.pendingTasks.get(name) ?? new Map<number, RawConfig>();
      const next: RawConfig[] = [];
      for (let i = 0; i < count; i++) {
        const c = pending.get(i) ?? this.tasks.get(name)?.[i];
        if (!c) {
          this.logger.warn(
            { connector: name, task: i },
            'commit record names a task config that was never written; ignored',
          );
          return;
        }
        next.push(c);
      }
      this.tasks.set(name, next);
      this.pendingTasks.delete(name);
      if (this.configs.has(name)) this.emit({ kind: 'tasks', name });
    } else if (key.startsWith('restart-connector-')) {
      const name = key.slice('restart-connector-'.length);
      if (value === null || !this.live) return;
      this.emit({
        kind: 'restart',
        name,
        includeTasks: value['include-tasks'] === true,
        onlyFailed: value['only-failed'] === true,
      });
    }
  }

  private emit(e: ConfigEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.logger.error({ err }, 'config listener failed');
      }
    }
  }
}

function targetRecord(name: string, target: TargetState): { key: string; value: unknown } {
  // Connect writes `state` for old readers (which know only STARTED/PAUSED) and `state.v2` with the real one.
  return {
    key: `target-state-${name}`,
    value: { state: target === 'STOPPED' ? 'PAUSED' : target, 'state.v2': target },
  };
}

function stringMap(v: unknown): RawConfig {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object') {
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (typeof val === 'string') out[k] = val;
      else if (val !== null && val !== undefined) out[k] = JSON.stringify(val);
    }
  }
  return out;
}
