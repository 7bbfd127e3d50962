import { FerryError, type RawConfig } from '../../../runtime/api';
import {
  configKeyInfos,
  invalidConfigError,
  keepHiddenSecrets,
  maskSecrets,
  pluginFor,
  validateConnectorConfig,
} from '../../../runtime/config';
import type {
  ConfigInfos,
  ConfigKeyInfo,
  ConnectorInfo,
  ConnectorOffsets,
  ConnectorStatus,
  HealthInfo,
  Herder,
  PluginInfo,
  RestartRequest,
  ServerInfo,
  TargetState,
  TaskInfo,
  TaskStateInfo,
} from '../../../runtime/herder/types';
import { PluginRegistry } from '../../../runtime/plugins';
import { counterSource, logSink } from '../config/test-plugins';

interface Entry {
  config: RawConfig;
  target: TargetState;
  failedTasks: Set<number>;
  offsets: ConnectorOffsets['offsets'];
  topics: string[];
}

const WORKER = '127.0.0.1:8083';

/**
 * An in-memory Herder for testing the HTTP layer on its own: it keeps connectors in a map and follows the
 * Herder contract (errors, masking, RESTARTING on restart) closely enough for status codes and bodies to be
 * checked. The real worker is exercised by the lead's integration tests.
 */
export class MemoryHerder implements Herder {
  readonly registry = new PluginRegistry([counterSource, logSink]);
  readonly entries = new Map<string, Entry>();
  healthInfo: HealthInfo = {
    status: 'healthy',
    message: 'Worker has completed startup and is ready to handle requests.',
  };
  /** When set, connectors() waits for it: drives the request-timeout test. */
  block?: Promise<void>;
  /** When set, connectorInfo() throws it: drives the error-mapping tests. */
  failWith?: Error;

  serverInfo(): ServerInfo {
    return { version: '0.1.0', commit: 'test', kafka_cluster_id: 'cluster-1' };
  }
  health(): HealthInfo {
    return this.healthInfo;
  }
  workerId(): string {
    return WORKER;
  }

  async connectors(): Promise<string[]> {
    if (this.block) await this.block;
    return [...this.entries.keys()].sort();
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name);
    if (!e) throw new FerryError('NOT_FOUND', `Connector ${name} not found`);
    return e;
  }

  private taskCount(e: Entry): number {
    return e.target === 'STARTED' ? Number(e.config['tasks.max'] ?? '1') : 0;
  }

  private info(name: string): ConnectorInfo {
    const e = this.entry(name);
    const plugin = this.registry.find(e.config['connector.class'] ?? '');
    return {
      name,
      config: maskSecrets(plugin, e.config),
      tasks: Array.from({ length: this.taskCount(e) }, (_, task) => ({ connector: name, task })),
      type: plugin?.type ?? 'unknown',
    };
  }

  connectorInfo(name: string): Promise<ConnectorInfo> {
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    return Promise.resolve(this.info(name));
  }
  connectorConfig(name: string): Promise<RawConfig> {
    return Promise.resolve(this.info(name).config);
  }

  private statusOf(name: string, restarting?: RestartRequest): ConnectorStatus {
    const e = this.entry(name);
    const info = this.info(name);
    const state = e.target === 'STARTED' ? 'RUNNING' : e.target === 'PAUSED' ? 'PAUSED' : 'STOPPED';
    const tasks = info.tasks.map(({ task }): TaskStateInfo => {
      const failed = e.failedTasks.has(task);
      const restart = restarting && restarting.includeTasks && (!restarting.onlyFailed || failed);
      return {
        id: task,
        state: restart ? 'RESTARTING' : failed ? 'FAILED' : state,
        worker_id: WORKER,
        ...(failed && !restart ? { trace: 'Error: boom\n    at test' } : {}),
      };
    });
    return {
      name,
      connector: { state: restarting && !restarting.onlyFailed ? 'RESTARTING' : state, worker_id: WORKER },
      tasks,
      type: info.type,
    };
  }

  connectorStatus(name: string): Promise<ConnectorStatus> {
    return Promise.resolve(this.statusOf(name));
  }
  async taskStatus(name: string, task: number): Promise<TaskStateInfo> {
    const t = (await this.connectorStatus(name)).tasks.find((s) => s.id === task);
    if (!t) throw new FerryError('NOT_FOUND', `No status found for task ${name}-${task}`);
    return t;
  }
  taskConfigs(name: string): Promise<TaskInfo[]> {
    const info = this.info(name);
    return Promise.resolve(info.tasks.map((id) => ({ id, config: { ...info.config, 'task.id': String(id.task) } })));
  }
  connectorTopics(name: string): Promise<string[]> {
    return Promise.resolve([...this.entry(name).topics]);
  }
  resetConnectorTopics(name: string): Promise<void> {
    this.entry(name).topics = [];
    return Promise.resolve();
  }

  private checked(config: RawConfig, stored: RawConfig | undefined): RawConfig {
    const plugin = pluginFor(this.registry, config);
    const kept = keepHiddenSecrets(plugin, stored, config);
    const infos = validateConnectorConfig(this.registry, kept);
    if (infos.error_count > 0) throw invalidConfigError(infos);
    return kept;
  }

  createConnector(name: string, config: RawConfig, initialState?: TargetState): Promise<ConnectorInfo> {
    if (this.entries.has(name))
      return Promise.reject(new FerryError('ALREADY_EXISTS', `Connector ${name} already exists`));
    const kept = this.checked(config, undefined);
    this.entries.set(name, {
      config: kept,
      target: initialState ?? 'STARTED',
      failedTasks: new Set(),
      offsets: [],
      topics: [kept.topic ?? kept.topics ?? ''],
    });
    return Promise.resolve(this.info(name));
  }

  putConnectorConfig(name: string, config: RawConfig): Promise<{ created: boolean; info: ConnectorInfo }> {
    const existing = this.entries.get(name);
    const kept = this.checked(config, existing?.config);
    if (existing) existing.config = kept;
    else this.entries.set(name, { config: kept, target: 'STARTED', failedTasks: new Set(), offsets: [], topics: [] });
    return Promise.resolve({ created: !existing, info: this.info(name) });
  }

  patchConnectorConfig(name: string, patch: Readonly<Record<string, string | null>>): Promise<ConnectorInfo> {
    const e = this.entry(name);
    const merged: Record<string, string> = { ...e.config };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete merged[k];
      else merged[k] = v;
    }
    e.config = this.checked(merged, e.config);
    return Promise.resolve(this.info(name));
  }

  deleteConnector(name: string): Promise<void> {
    this.entry(name);
    this.entries.delete(name);
    return Promise.resolve();
  }
  pauseConnector(name: string): Promise<void> {
    this.entry(name).target = 'PAUSED';
    return Promise.resolve();
  }
  resumeConnector(name: string): Promise<void> {
    this.entry(name).target = 'STARTED';
    return Promise.resolve();
  }
  stopConnector(name: string): Promise<void> {
    this.entry(name).target = 'STOPPED';
    return Promise.resolve();
  }
  restartConnector(name: string, req: RestartRequest): Promise<ConnectorStatus | undefined> {
    const status = this.statusOf(name, req);
    return Promise.resolve(req.includeTasks || req.onlyFailed ? status : undefined);
  }
  restartTask(name: string, task: number): Promise<void> {
    if (task >= this.taskCount(this.entry(name))) {
      return Promise.reject(new FerryError('NOT_FOUND', `Task ${name}-${task} not found`));
    }
    return Promise.resolve();
  }

  connectorOffsets(name: string): Promise<ConnectorOffsets> {
    return Promise.resolve({ offsets: [...this.entry(name).offsets] });
  }
  private requireStopped(name: string): Entry {
    const e = this.entry(name);
    if (e.target !== 'STOPPED') {
      throw new FerryError(
        'BAD_REQUEST',
        "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/" +
          name +
          "/stop' endpoint",
      );
    }
    return e;
  }
  alterConnectorOffsets(name: string, offsets: ConnectorOffsets): Promise<void> {
    const e = this.requireStopped(name);
    for (const o of offsets.offsets) {
      const key = JSON.stringify(o.partition);
      e.offsets = e.offsets.filter((x) => JSON.stringify(x.partition) !== key);
      if (o.offset !== null) e.offsets.push(o);
    }
    return Promise.resolve();
  }
  resetConnectorOffsets(name: string): Promise<void> {
    this.requireStopped(name).offsets = [];
    return Promise.resolve();
  }

  plugins(connectorsOnly: boolean): PluginInfo[] {
    const connectors = this.registry
      .connectorPlugins()
      .map((p): PluginInfo => ({ class: p.className, type: p.type, version: p.version }));
    return connectorsOnly
      ? connectors
      : [
          ...connectors,
          { class: 'org.apache.kafka.connect.transforms.RegexRouter', type: 'transformation', version: '0.1.0' },
        ];
  }
  pluginConfig(plugin: string): ConfigKeyInfo[] {
    const p = this.registry.find(plugin);
    if (!p) throw new FerryError('NOT_FOUND', `Unknown plugin ${plugin}`);
    return configKeyInfos(p);
  }
  validateConfig(_plugin: string, config: RawConfig): Promise<ConfigInfos> {
    return Promise.resolve(validateConnectorConfig(this.registry, config));
  }
}
