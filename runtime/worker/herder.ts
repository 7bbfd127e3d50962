import type { ConnectorPlugin, RawConfig } from '../api';
import { FerryError } from '../api';
import {
  assertRoomForConnector,
  configKeyInfos,
  invalidConfigError,
  keepHiddenSecrets,
  maskSecrets,
  resolveForValidation,
  validateConnectorConfig,
} from '../config';
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
} from '../herder/types';
import type { ConnectorState } from '../storage';
import { ConnectorOffsetsApi } from './connector-offsets';
import type { ConnectorRuntimes } from './connector-runtime';
import { RestartForwarder, plainForward } from './forwarding';
import type { Reconciler } from './reconciler';
import type { WorkerServices } from './services';
import { sinkGroup, sinkSubscription } from './sink-offsets';
import type { TaskControl } from './task-control';

/** What the herder needs to know of the worker's own lifecycle. */
export interface WorkerHealth {
  health(): HealthInfo;
}

/**
 * The worker as the REST layer sees it (the Herder interface). Every change goes to the config topic and takes
 * effect when read back (see Reconciler), so a request answers once the write is stored, not once it is applied —
 * except stop and delete, which wait (bounded) for the change to settle across the cluster, as their callers expect.
 */
export class WorkerHerder implements Herder {
  private readonly offsetsApi: ConnectorOffsetsApi;
  private readonly forwarder: RestartForwarder;

  constructor(
    private readonly s: WorkerServices,
    private readonly runtimes: ConnectorRuntimes,
    private readonly reconciler: Reconciler,
    private readonly tasks: TaskControl,
    private readonly lifecycle: WorkerHealth,
  ) {
    this.offsetsApi = new ConnectorOffsetsApi(s);
    this.forwarder = new RestartForwarder(s.opts.forward ?? plainForward, s.cfg.shutdownTimeoutMs + 10_000);
  }

  serverInfo(): ServerInfo {
    return { version: this.s.opts.version, commit: this.s.opts.commit ?? '', kafka_cluster_id: '' };
  }

  health(): HealthInfo {
    return this.lifecycle.health();
  }

  workerId(): string {
    return this.s.workerId;
  }

  connectors(): Promise<string[]> {
    this.ready();
    return Promise.resolve(this.s.configs.names());
  }

  connectorInfo(name: string): Promise<ConnectorInfo> {
    return Promise.resolve(this.info(name, this.storedOr404(name)));
  }

  connectorConfig(name: string): Promise<RawConfig> {
    const s = this.storedOr404(name);
    return Promise.resolve(maskSecrets(this.pluginOf(s.config), s.config));
  }

  connectorStatus(name: string): Promise<ConnectorStatus> {
    const s = this.storedOr404(name);
    const c = this.s.statuses.connector(name);
    const taskStatuses = this.s.statuses.tasksOf(name);
    // Connect 4.x puts the plugin's version in each state; the same one GET /connector-plugins lists.
    const version = this.pluginOf(s.config)?.version ?? null;
    const tasks: TaskStateInfo[] = s.tasks.map((_, id) => {
      const ts = taskStatuses.get(id);
      return withTrace({ id, state: ts?.state ?? 'UNASSIGNED', worker_id: ts?.worker_id ?? '', version }, ts?.trace);
    });
    return Promise.resolve({
      name,
      connector: withTrace({ state: c?.state ?? 'UNASSIGNED', worker_id: c?.worker_id ?? '', version }, c?.trace),
      tasks,
      type: this.typeOf(s.config),
    });
  }

  taskStatus(name: string, task: number): Promise<TaskStateInfo> {
    const s = this.storedOr404(name);
    const ts = this.s.statuses.tasksOf(name).get(task);
    if (task < 0 || task >= s.tasks.length || !ts)
      throw new FerryError('NOT_FOUND', `No status found for task ${name}-${task}`);
    const version = this.pluginOf(s.config)?.version ?? null;
    return Promise.resolve(withTrace({ id: task, state: ts.state, worker_id: ts.worker_id, version }, ts.trace));
  }

  taskConfigs(name: string): Promise<TaskInfo[]> {
    const s = this.storedOr404(name);
    const plugin = this.pluginOf(s.config);
    return Promise.resolve(
      s.tasks.map((config, task) => ({ id: { connector: name, task }, config: maskSecrets(plugin, config) })),
    );
  }

  connectorTopics(name: string): Promise<string[]> {
    this.storedOr404(name);
    return Promise.resolve(this.s.statuses.topicsOf(name));
  }

  async resetConnectorTopics(name: string): Promise<void> {
    this.storedOr404(name);
    await this.s.statuses.resetTopics(name);
  }

  async createConnector(name: string, config: RawConfig, initialState?: TargetState): Promise<ConnectorInfo> {
    this.ready();
    if (this.s.configs.get(name)) throw new FerryError('ALREADY_EXISTS', `Connector ${name} already exists`);
    const full = { ...config, name };
    await this.validateOrThrow(full);
    assertRoomForConnector(this.s.configs.names().length, this.s.cfg.limits);
    await this.s.configs.putConnector(name, full, initialState);
    return this.info(name, this.s.configs.get(name)!);
  }

  async putConnectorConfig(name: string, config: RawConfig): Promise<{ created: boolean; info: ConnectorInfo }> {
    this.ready();
    const prev = this.s.configs.get(name);
    const incoming = keepHiddenSecrets(this.pluginOf(config), prev?.config, { ...config, name });
    await this.validateOrThrow(incoming);
    if (!prev) assertRoomForConnector(this.s.configs.names().length, this.s.cfg.limits);
    await this.s.configs.putConnector(name, incoming);
    return { created: !prev, info: this.info(name, this.s.configs.get(name)!) };
  }

  async patchConnectorConfig(name: string, patch: Readonly<Record<string, string | null>>): Promise<ConnectorInfo> {
    const prev = this.storedOr404(name);
    if (patch.name !== undefined && patch.name !== name)
      throw new FerryError(
        'BAD_REQUEST',
        `Connector name configuration (${String(patch.name)}) doesn't match connector name in the URL (${name})`,
      );
    const merged: Record<string, string> = { ...prev.config };
    const kept = keepHiddenSecrets(this.pluginOf({ ...prev.config }), prev.config, patch, 'patch');
    for (const [k, v] of Object.entries(kept)) {
      if (v === null) delete merged[k];
      else merged[k] = v;
    }
    merged.name = name;
    await this.validateOrThrow(merged);
    await this.s.configs.putConnector(name, merged);
    return this.info(name, this.s.configs.get(name)!);
  }

  /**
   * Deletes a connector and everything it leaves behind: statuses, source offsets or the sink's group offsets,
   * and (through the plugin) its tasks' external state such as persistent MQTT sessions. A connector created
   * again under the same name starts fresh.
   */
  async deleteConnector(name: string): Promise<void> {
    const s = this.storedOr404(name);
    const plugin = this.pluginOf(s.config);
    await this.s.configs.remove(name);
    if (this.runtimes.has(name)) await this.runtimes.enqueue(name, () => this.reconciler.reconcileNow(name));
    // In a cluster other workers stop their tasks when they read the removal (each tombstones its task's status):
    // releasing the tasks' external state (MQTT sessions) while one still runs would cut it off mid-stream.
    await this.settle(() => ![...this.s.statuses.tasksOf(name).values()].some((t) => t.worker_id !== this.s.workerId));
    const warn = (what: string) => (err: unknown) => this.s.logger.warn({ err, connector: name }, what);
    await this.s.statuses.removeConnector(name).catch(warn('status cleanup failed'));
    if (plugin?.type === 'sink') {
      await this.s.sinkOffsets
        .reset(sinkGroup(name), sinkSubscription(s.config))
        .catch(warn('could not reset the sink group offsets'));
    } else {
      await this.s.offsets.clear(name).catch(warn('could not clear source offsets'));
    }
    if (plugin?.releaseTasks && s.tasks.length > 0) await this.tasks.release({ name, plugin }, [...s.tasks]);
    this.s.logger.info({ connector: name }, 'connector deleted');
  }

  async pauseConnector(name: string): Promise<void> {
    this.storedOr404(name);
    await this.s.configs.putTarget(name, 'PAUSED');
  }

  async resumeConnector(name: string): Promise<void> {
    this.storedOr404(name);
    await this.s.configs.putTarget(name, 'STARTED');
  }

  async stopConnector(name: string): Promise<void> {
    this.storedOr404(name);
    await this.s.configs.putTarget(name, 'STOPPED');
    // Answer once the stop took effect here, so an offsets call right after finds the connector STOPPED.
    if (this.runtimes.has(name)) await this.runtimes.enqueue(name, () => Promise.resolve());
    // …and on the other workers of a cluster: the connector's owner empties its task list, then every worker that
    // ran one of its tasks stops it and tombstones its status. Bounded: an owner that just crashed answers nothing.
    await this.settle(() => this.s.configs.get(name)?.tasks.length === 0 && this.s.statuses.tasksOf(name).size === 0);
  }

  async restartConnector(name: string, req: RestartRequest): Promise<ConnectorStatus | undefined> {
    const s = this.storedOr404(name);
    if (s.target === 'STOPPED')
      throw new FerryError('CONFLICT', `Connector ${name} is STOPPED; resume it instead of restarting it`);
    const status = await this.connectorStatus(name);
    await this.s.configs.requestRestart(name, req.includeTasks, req.onlyFailed);
    if (!req.includeTasks && !req.onlyFailed) return undefined;
    const restartConnector = !req.onlyFailed || status.connector.state === 'FAILED';
    return {
      ...status,
      connector: restartConnector ? { ...status.connector, state: 'RESTARTING' } : status.connector,
      tasks: status.tasks.map((t) =>
        req.includeTasks && (!req.onlyFailed || t.state === 'FAILED') ? { ...t, state: 'RESTARTING' } : t,
      ),
    };
  }

  async restartTask(name: string, task: number): Promise<void> {
    const s = this.storedOr404(name);
    const cfg = s.tasks[task];
    if (!cfg) throw new FerryError('NOT_FOUND', `Task ${name}-${task} not found`);
    let elsewhere: string | undefined;
    await this.runtimes.enqueue(name, async () => {
      const rt = this.runtimes.get(name);
      const t = rt?.tasks.get(task);
      if (!rt || !t) {
        const runner = this.s.statuses.tasksOf(name).get(task)?.worker_id;
        if (runner && runner !== this.s.workerId) elsewhere = runner;
        return;
      }
      await this.tasks.restart(rt, t, cfg, s.target === 'PAUSED');
    });
    if (elsewhere) await this.forwarder.restartTask(elsewhere, name, task);
  }

  async connectorOffsets(name: string): Promise<ConnectorOffsets> {
    const s = this.storedOr404(name);
    return this.offsetsApi.list(name, s, this.typeOf(s.config));
  }

  async alterConnectorOffsets(name: string, body: ConnectorOffsets): Promise<void> {
    const s = this.requireStopped(name);
    await this.offsetsApi.alter(name, this.typeOf(s.config), body);
  }

  async resetConnectorOffsets(name: string): Promise<void> {
    const s = this.requireStopped(name);
    await this.offsetsApi.reset(name, s, this.typeOf(s.config));
  }

  plugins(connectorsOnly: boolean): PluginInfo[] {
    const connectors: PluginInfo[] = this.s.opts.registry
      .connectorPlugins()
      .map((p) => ({ class: p.className, type: p.type, version: p.version }));
    return connectorsOnly ? connectors : [...connectors, ...this.s.opts.pipeline.plugins()];
  }

  pluginConfig(plugin: string): ConfigKeyInfo[] {
    const p = this.s.opts.registry.find(plugin);
    if (!p) throw new FerryError('NOT_FOUND', `Unknown plugin ${plugin}`);
    return configKeyInfos(p, this.s.hooks);
  }

  async validateConfig(plugin: string, config: RawConfig): Promise<ConfigInfos> {
    const registry = this.s.opts.registry;
    const p = registry.find(plugin);
    if (!p) throw new FerryError('BAD_REQUEST', `Unknown connector plugin ${plugin}`);
    const cls = config['connector.class'];
    if (cls !== undefined && registry.find(cls) !== p)
      throw new FerryError('BAD_REQUEST', `Included connector type ${cls} does not match request type ${plugin}`);
    const full = { ...config, 'connector.class': cls ?? plugin };
    const resolution = await resolveForValidation((raw) => this.s.opts.pipeline.resolveConfigProviders(raw), full);
    return validateConnectorConfig(registry, full, this.s.hooks, resolution);
  }

  /** Waits until `done()` holds, at most about one session timeout (how long a crashed owner stays owner). */
  private async settle(done: () => boolean): Promise<void> {
    const deadline = Date.now() + this.s.cfg.sessionTimeoutMs + this.s.cfg.shutdownTimeoutMs;
    while (!done() && this.s.running() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  private ready(): void {
    if (!this.s.running())
      throw new FerryError('CONFLICT', 'The worker is still starting up (or stopping); retry shortly');
  }

  private storedOr404(name: string): ConnectorState {
    this.ready();
    const s = this.s.configs.get(name);
    if (!s) throw new FerryError('NOT_FOUND', `Connector ${name} not found`);
    return s;
  }

  private requireStopped(name: string): ConnectorState {
    const s = this.storedOr404(name);
    const rt = this.runtimes.get(name);
    if (s.target !== 'STOPPED' || (rt && rt.tasks.size > 0))
      throw new FerryError(
        'BAD_REQUEST',
        `Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/${name}/stop' endpoint`,
      );
    return s;
  }

  private async validateOrThrow(config: RawConfig): Promise<void> {
    const resolution = await resolveForValidation((raw) => this.s.opts.pipeline.resolveConfigProviders(raw), config);
    const infos = validateConnectorConfig(this.s.opts.registry, config, this.s.hooks, resolution);
    if (infos.error_count > 0) throw invalidConfigError(infos);
  }

  private pluginOf(config: RawConfig): ConnectorPlugin | undefined {
    const cls = config['connector.class'];
    return cls ? this.s.opts.registry.find(cls) : undefined;
  }

  private typeOf(config: RawConfig): 'source' | 'sink' | 'unknown' {
    return this.pluginOf(config)?.type ?? 'unknown';
  }

  private info(name: string, s: ConnectorState): ConnectorInfo {
    return {
      name,
      config: maskSecrets(this.pluginOf(s.config), s.config),
      tasks: s.tasks.map((_, task) => ({ connector: name, task })),
      type: this.typeOf(s.config),
    };
  }
}

function withTrace<T extends object>(o: T, trace: string | null | undefined): T & { trace?: string } {
  return trace ? { ...o, trace } : o;
}
