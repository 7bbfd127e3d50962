import type { Logger } from '../api';
import type { State } from '../herder/types';
import type { LogRecord } from '../kafka';
import { parseJson, type InternalTopic } from './internal-topics';

export interface StatusRecord {
  readonly state: State;
  readonly trace: string | null;
  readonly worker_id: string;
  readonly generation: number;
}

export interface TopicUse {
  readonly name: string;
  readonly connector: string;
  readonly task: number;
  readonly discoverTimestamp: number;
}

/**
 * Connector and task statuses in the status topic (`status-connector-<n>`, `status-task-<n>-<i>`) and the topics
 * each connector used (`status-topic-<topic>:connector-<n>`), as Connect writes them. A record from another worker
 * with an older generation does not overwrite a newer one: a deposed worker cannot rewrite history.
 */
export class StatusStore {
  private readonly connectors = new Map<string, StatusRecord>();
  private readonly tasks = new Map<string, Map<number, StatusRecord>>();
  private readonly topics = new Map<string, Map<string, TopicUse>>();
  private topic: InternalTopic | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly version: string,
  ) {}

  async start(topic: InternalTopic): Promise<void> {
    this.topic = topic;
    await topic.start();
  }

  connector(name: string): StatusRecord | undefined {
    return this.connectors.get(name);
  }

  tasksOf(name: string): Map<number, StatusRecord> {
    return this.tasks.get(name) ?? new Map();
  }

  topicsOf(name: string): string[] {
    return [...(this.topics.get(name)?.keys() ?? [])].sort();
  }

  async putConnector(name: string, status: StatusRecord): Promise<void> {
    await this.write(`status-connector-${name}`, { ...status, version: this.version });
  }

  async putTask(name: string, task: number, status: StatusRecord): Promise<void> {
    await this.write(`status-task-${name}-${task}`, { ...status, version: this.version });
  }

  async putTopic(name: string, topic: string, task: number): Promise<void> {
    if (this.topics.get(name)?.has(topic)) return;
    await this.write(`status-topic-${topic}:connector-${name}`, {
      topic: { name: topic, connector: name, task, discoverTimestamp: Date.now() },
    });
  }

  async removeTask(name: string, task: number): Promise<void> {
    await this.write(`status-task-${name}-${task}`, null);
  }

  async resetTopics(name: string): Promise<void> {
    const keys = [...(this.topics.get(name)?.keys() ?? [])].map((t) => `status-topic-${t}:connector-${name}`);
    if (keys.length > 0 && this.topic) await this.topic.write(keys.map((key) => ({ key, value: null })));
  }

  /** Tombstones the connector's status, its tasks' statuses and its topics. */
  async removeConnector(name: string): Promise<void> {
    if (!this.topic) return;
    const keys = [`status-connector-${name}`, ...[...this.tasksOf(name).keys()].map((i) => `status-task-${name}-${i}`)];
    await this.topic.write(keys.map((key) => ({ key, value: null })));
    await this.resetTopics(name);
  }

  private async write(key: string, value: unknown): Promise<void> {
    if (!this.topic) throw new Error('status store not started');
    await this.topic.write([{ key, value }]);
  }

  apply(rec: LogRecord): void {
    const value = parseJson(rec.value) as Record<string, unknown> | null | undefined;
    if (value === undefined) return;
    const key = rec.key;
    if (key.startsWith('status-connector-')) {
      const name = key.slice('status-connector-'.length);
      if (value === null) this.connectors.delete(name);
      else {
        const next = toStatus(value);
        if (next && accept(this.connectors.get(name), next)) this.connectors.set(name, next);
      }
    } else if (key.startsWith('status-task-')) {
      const m = /^status-task-(.+)-(\d+)$/.exec(key);
      if (!m) return;
      const name = m[1]!;
      const id = Number(m[2]);
      const map = this.tasks.get(name) ?? new Map<number, StatusRecord>();
      if (value === null) map.delete(id);
      else {
        const next = toStatus(value);
        if (next && accept(map.get(id), next)) map.set(id, next);
      }
      if (map.size === 0) this.tasks.delete(name);
      else this.tasks.set(name, map);
    } else if (key.startsWith('status-topic-')) {
      const m = /^status-topic-(.+):connector-(.+)$/.exec(key);
      if (!m) return;
      const topic = m[1]!;
      const name = m[2]!;
      const map = this.topics.get(name) ?? new Map<string, TopicUse>();
      if (value === null) map.delete(topic);
      else map.set(topic, (value.topic as TopicUse) ?? { name: topic, connector: name, task: 0, discoverTimestamp: 0 });
      if (map.size === 0) this.topics.delete(name);
      else this.topics.set(name, map);
    } else {
      this.logger.debug({ key }, 'unknown status record; ignored');
    }
  }
}

function toStatus(v: Record<string, unknown>): StatusRecord | undefined {
  if (typeof v.state !== 'string') return undefined;
  return {
    state: v.state as State,
    trace: typeof v.trace === 'string' ? v.trace : null,
    worker_id: typeof v.worker_id === 'string' ? v.worker_id : '',
    generation: typeof v.generation === 'number' ? v.generation : 0,
  };
}

function accept(prev: StatusRecord | undefined, next: StatusRecord): boolean {
  return !prev || prev.worker_id === next.worker_id || next.generation >= prev.generation;
}
