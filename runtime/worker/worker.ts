import type { ConnectorContext, ConnectorPlugin, Logger, OffsetMap, RawConfig } from '../api';
import { ConfigError, FerryError, errorTrace } from '../api';
import {
  assertRoomForConnector,
  configKeyInfos,
  invalidConfigError,
  keepHiddenSecrets,
  maskSecrets,
  parseConnectorConfig,
  parseTaskConfig,
  pluginFor,
  resolveForValidation,
  splitList,
  validateConnectorConfig,
  type PipelineHooks,
  type WorkerConfig,
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
  State,
  TargetState,
  TaskInfo,
  TaskStateInfo,
} from '../herder/types';
import { runInTaskScope } from '../containment';
import { DataProducer, KafkaAdmin, topicMetadata, type LogRecord } from '../kafka';
import type { Metrics } from '../metrics';
import type { PipelineContext, PipelinePluginInfo, SinkPipeline, SourcePipeline } from '../pipeline/types';
import type { PluginRegistry } from '../plugins';
import { ConfigStore, InternalTopic, OffsetStore, StatusStore, type ConnectorState } from '../storage';
import { SinkTaskRunner, SourceTaskRunner, TopicCreator } from '../tasks';
import { configKey, newConnectorRuntime, type ConnectorRuntime, type TaskRuntime } from './connector-runtime';
import { StandaloneMembership, type Membership, type MembershipFactory } from './membership';
import { SinkOffsets } from './sink-offsets';
import { scrubTrace } from '../config-providers';

/** What the worker needs from the record pipeline (runtime/pipeline), injected by main. */
export interface PipelineServices {
  createSourcePipeline(raw: RawConfig, defaults: RawConfig, ctx: PipelineContext): Promise<SourcePipeline>;
  createSinkPipeline(raw: RawConfig, defaults: RawConfig, ctx: PipelineContext): Promise<SinkPipeline>;
  /** Resolves `${env:…}`/`${file:…}` placeholders within the worker's allow-lists (runtime/config-providers). */
  resolveConfigProviders(raw: RawConfig): Promise<RawConfig>;
  validatePipelineConfig: PipelineHooks['validatePipelineConfig'];
  pipelineConfigKeys: PipelineHooks['pipelineConfigKeys'];
  plugins(): PipelinePluginInfo[];
}

export interface WorkerOptions {
  readonly config: WorkerConfig;
  readonly registry: PluginRegistry;
  readonly pipeline: PipelineServices;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly version: string;
  readonly commit?: string;
  /** Who runs what. Default: this worker alone runs everything. */
  readonly membership?: Membership;
  /** Builds the membership from what only the worker knows (its connectors); used when `membership` is not given. */
  readonly membershipFactory?: MembershipFactory;
  /** Calls another worker's REST API (scheme, credential and TLS set by main); default: plain HTTP, no credential. */
  readonly forward?: (
    workerId: string,
    method: string,
    path: string,
    signal: AbortSignal,
  ) => Promise<{ status: number; body: string }>;
}

type Phase = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

async function plainForward(workerId: string, method: string, path: string, signal: AbortSignal) {
  const res = await fetch(`http://${workerId}${path}`, { method, signal });
  return { status: res.status, body: await res.text().catch(() => '') };
}

const RESTART_BACKOFF_MAX_MS = 60_000;
const KAFKA_CHECK_INTERVAL_MS = 10_000;

/**
 * A Ferry worker: keeps connector configs, offsets and statuses in Kafka's compacted topics, runs the connectors
 * and tasks its membership assigns to it, and answers the REST API (it is the REST layer's Herder).
 *
 * Every change goes through the config topic first and is applied when read back, so a worker that restarts (or
 * another worker of the cluster) reaches the same state from the log. Transitions of one connector are serialised
 * on its own chain; connectors never wait for each other.
 */
export class Worker implements Herder {
  private phase: Phase = 'created';
  private kafkaProblem: string | undefined;
  private readonly logger: Logger;
  private readonly cfg: WorkerConfig;
  private readonly clientConf: Record<string, string | number | boolean>;
  private readonly admin: KafkaAdmin;
  private readonly internalProducer: DataProducer;
  private readonly dataProducer: DataProducer;
  private readonly configs: ConfigStore;
  private readonly offsets: OffsetStore;
  private readonly statuses: StatusStore;
  private readonly topics: TopicCreator;
  private readonly sinkOffsets: SinkOffsets;
  private readonly membership: Membership;
  private readonly runtimes = new Map<string, ConnectorRuntime>();
  private readonly topicsByConnector: InternalTopic[] = [];
  private healthTimer: NodeJS.Timeout | undefined;
  private readonly hooks: PipelineHooks;
  private stopping: Promise<void> | undefined;
  private readonly forwarding = new Set<string>();

  constructor(private readonly opts: WorkerOptions) {
    this.cfg = opts.config;
    this.logger = opts.logger.child({ component: 'worker' });
    this.clientConf = { 'bootstrap.servers': this.cfg.bootstrapServers, 'client.id': `ferry-${this.workerId()}` };
    this.admin = new KafkaAdmin({ ...this.clientConf, ...this.cfg.adminOverrides });
    this.internalProducer = new DataProducer(
      { ...this.clientConf, 'linger.ms': 0, partitioner: 'murmur2_random', 'compression.type': 'none' },
      this.logger,
    );
    this.dataProducer = new DataProducer({ ...this.clientConf, ...this.cfg.producerOverrides }, this.logger);
    this.configs = new ConfigStore(this.logger);
    this.offsets = new OffsetStore(this.logger);
    this.statuses = new StatusStore(this.logger, opts.version);
    this.topics = new TopicCreator(this.admin);
    this.sinkOffsets = new SinkOffsets({ ...this.clientConf, ...this.cfg.consumerOverrides });
    this.membership =
      opts.membership ??
      opts.membershipFactory?.({
        workerId: this.workerId(),
        connectors: () =>
          this.configs.names().map((name) => ({ name, tasks: this.configs.get(name)?.tasks.length ?? 0 })),
        logger: opts.logger,
      }) ??
      new StandaloneMembership();
    this.hooks = {
      validatePipelineConfig: opts.pipeline.validatePipelineConfig,
      pipelineConfigKeys: opts.pipeline.pipelineConfigKeys,
      converterDefaults: this.cfg.converterDefaults,
      limits: this.cfg.limits,
    };
  }

  // ------------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    if (this.phase !== 'created') return;
    this.phase = 'starting';
    const t0 = Date.now();
    await this.internalProducer.start();
    await this.dataProducer.start();
    const topic = (name: string, partitions: number, rf: number, apply: (r: LogRecord) => void): InternalTopic => {
      const t = new InternalTopic(
        { name, partitions, replicationFactor: rf },
        this.admin,
        this.internalProducer,
        { ...this.clientConf, ...this.cfg.consumerOverrides },
        apply,
        this.logger,
      );
      this.topicsByConnector.push(t);
      return t;
    };
    // Offsets and statuses first: when the config topic is applied, every connector finds its offsets and status.
    await this.offsets.start(
      topic(this.cfg.offsetsTopic, this.cfg.offsetsPartitions, this.cfg.offsetsReplicationFactor, (r) =>
        this.offsets.apply(r),
      ),
    );
    await this.statuses.start(
      topic(this.cfg.statusTopic, this.cfg.statusPartitions, this.cfg.statusReplicationFactor, (r) =>
        this.statuses.apply(r),
      ),
    );
    this.configs.onChange((e) => {
      if (this.phase !== 'running') return;
      // A new connector or a changed task count gives the cluster new units to hand out.
      if (e.kind !== 'restart') this.membership.unitsChanged?.();
      if (e.kind === 'restart') void this.enqueue(e.name, () => this.doRestart(e.name, e.includeTasks, e.onlyFailed));
      else this.reconcile(e.name);
    });
    await this.configs.start(
      topic(this.cfg.configTopic, 1, this.cfg.configReplicationFactor, (r) => this.configs.apply(r)),
    );
    // Started only now: the config topic has been read to its end, so the units a leader hands out are complete.
    this.membership.onChange(() => this.reconcileAllAndWait());
    await this.membership.start();
    this.phase = 'running';
    this.healthTimer = setInterval(() => void this.checkKafka(), KAFKA_CHECK_INTERVAL_MS);
    this.logger.info(
      { workerId: this.workerId(), connectors: this.configs.names().length, ms: Date.now() - t0 },
      'worker started',
    );
    this.reconcileAll();
  }

  /** Graceful stop: tasks stop (offsets flushed, statuses written), then Kafka clients close. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.phase === 'created') {
        this.phase = 'stopped';
        return;
      }
      this.phase = 'stopping';
      if (this.healthTimer) clearInterval(this.healthTimer);
      this.logger.info('worker stopping');
      await Promise.all(
        [...this.runtimes.values()].map((rt) =>
          this.enqueue(rt.name, () => this.stopConnectorRuntime(rt, 'UNASSIGNED')).catch((err: unknown) =>
            this.logger.warn({ err, connector: rt.name }, 'connector did not stop cleanly'),
          ),
        ),
      );
      await this.membership.stop().catch(() => undefined);
      for (const t of this.topicsByConnector) await t.stop().catch(() => undefined);
      await this.dataProducer.stop();
      await this.internalProducer.stop();
      this.admin.stop();
      this.phase = 'stopped';
      this.logger.info('worker stopped');
    })();
    return this.stopping;
  }

  private async checkKafka(): Promise<void> {
    try {
      // One topic's metadata is enough to prove a broker answers (see runtime/kafka/metadata.ts).
      await topicMetadata(this.internalProducer.client, this.cfg.configTopic, 5000);
      if (this.kafkaProblem) this.logger.info('Kafka is reachable again');
      this.kafkaProblem = undefined;
    } catch (err) {
      if (!this.kafkaProblem) this.logger.warn({ err: (err as Error).message }, 'Kafka is unreachable');
      this.kafkaProblem = `Kafka is unreachable: ${(err as Error).message}`;
    }
  }

  // ------------------------------------------------------------------ reconciliation

  private enqueue(name: string, step: () => Promise<void>): Promise<void> {
    let rt = this.runtimes.get(name);
    if (!rt) {
      rt = newConnectorRuntime(name);
      this.runtimes.set(name, rt);
    }
    const next = rt.chain.then(step, step);
    rt.chain = next.catch((err: unknown) => this.logger.error({ err, connector: name }, 'connector transition failed'));
    return next;
  }

  private reconcile(name: string): void {
    void this.enqueue(name, () => this.doReconcile(name));
  }

  private reconcileAll(): void {
    void this.reconcileAllAndWait();
  }

  /** Reconciles every connector; resolves when all of them are done (what a cluster waits for before acknowledging). */
  private async reconcileAllAndWait(): Promise<void> {
    if (this.phase !== 'running') return;
    const names = new Set([...this.configs.names(), ...this.runtimes.keys()]);
    // enqueue logs its own failures; one connector's failure must not hold up the acknowledgement of the others.
    await Promise.all([...names].map((n) => this.enqueue(n, () => this.doReconcile(n)).catch(() => undefined)));
  }

  /** Brings what runs here for one connector in line with the config topic and the membership. */
  private async doReconcile(name: string): Promise<void> {
    if (this.phase !== 'running') return;
    const rt = this.runtimes.get(name);
    const stored = this.configs.get(name);
    if (!stored) {
      if (rt) {
        await this.stopConnectorRuntime(rt, undefined);
        this.runtimes.delete(name);
        this.opts.metrics.forgetConnector(name);
      }
      return;
    }
    if (!rt) return;
    if (this.membership.ownsConnector(name)) {
      if (stored.target === 'STOPPED') {
        await this.stopTasks(rt, [...rt.tasks.keys()], 'remove');
        await this.stopInstance(rt);
        await this.setConnectorState(rt, 'STOPPED', null);
        // A stopped connector has no tasks, as in Connect; its MQTT sessions are kept so a resume loses nothing.
        // Its owner writes it: the owner is unique per generation, and in a cluster it is seldom the leader.
        if (stored.tasks.length > 0) await this.configs.putTasks(name, []);
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
      rt.state = 'UNASSIGNED';
      rt.trace = null;
    }
    await this.reconcileTasks(rt, stored);
  }

  /** Starts (or restarts after a config change) the connector instance. Returns false if it could not. */
  private async ensureInstance(rt: ConnectorRuntime, stored: ConnectorState): Promise<boolean> {
    const key = configKey(stored.config);
    const wanted: State = stored.target === 'PAUSED' ? 'PAUSED' : 'RUNNING';
    if (rt.instance && rt.configKey === key) {
      if (rt.state !== wanted && rt.state !== 'FAILED') await this.setConnectorState(rt, wanted, null);
      return rt.state !== 'FAILED';
    }
    if (rt.configKey === key && rt.state === 'FAILED') return false; // waits for a restart request
    await this.stopInstance(rt);
    rt.configKey = key;
    try {
      const plugin = pluginFor(this.opts.registry, stored.config);
      const resolved = await this.opts.pipeline.resolveConfigProviders(stored.config);
      const parsed = parseConnectorConfig(plugin, resolved);
      if (parsed.issues.length > 0) throw new ConfigError(parsed.issues, 'Connector configuration is invalid');
      const instance = plugin.createConnector();
      const ctx: ConnectorContext = {
        name: rt.name,
        logger: this.logger.child({ connector: rt.name }),
        requestTaskReconfiguration: () => this.reconcile(rt.name),
        raiseError: (err) =>
          void this.enqueue(rt.name, async () => {
            await this.stopInstance(rt);
            await this.setConnectorState(rt, 'FAILED', errorTrace(err));
          }),
      };
      await instance.start(parsed.values, resolved, ctx);
      rt.plugin = plugin;
      rt.instance = instance;
      await this.setConnectorState(rt, wanted, null);
      return true;
    } catch (err) {
      this.logger.warn({ connector: rt.name, err: (err as Error).message }, 'connector failed to start');
      await this.setConnectorState(rt, 'FAILED', errorTrace(err));
      return false;
    }
  }

  /** Asks the connector for its task configs and stores them if they changed. True when a write happened. */
  private async updateTaskConfigs(rt: ConnectorRuntime, stored: ConnectorState): Promise<boolean> {
    if (!rt.instance) return false;
    const resolved = await this.opts.pipeline.resolveConfigProviders(stored.config);
    // A connector stored before limits.tasks.max was lowered runs with the cap, never with what it asked for.
    const max = Math.min(this.cfg.limits.tasksMax, Math.max(1, Number(resolved['tasks.max'] ?? '1') || 1));
    let generated: RawConfig[];
    try {
      generated = rt.instance.taskConfigs(max).slice(0, max);
    } catch (err) {
      await this.setConnectorState(rt, 'FAILED', errorTrace(err));
      return false;
    }
    // Store placeholders, never the secrets they resolve to (as Connect's reverse transform does).
    const wanted = generated.map((c) => unresolve(c, stored.config, resolved));
    const same =
      wanted.length === stored.tasks.length && wanted.every((c, i) => configKey(c) === configKey(stored.tasks[i]!));
    if (same) return false;
    await this.configs.putTasks(rt.name, wanted);
    return true;
  }

  private async reconcileTasks(rt: ConnectorRuntime, stored: ConnectorState): Promise<void> {
    const paused = stored.target === 'PAUSED';
    const released: RawConfig[] = [];
    for (const [id, t] of [...rt.tasks]) {
      if (id >= stored.tasks.length) {
        released.push(t.config);
        await this.stopTasks(rt, [id], 'remove');
      }
    }
    for (let i = 0; i < stored.tasks.length; i++) {
      const cfg = stored.tasks[i]!;
      const existing = rt.tasks.get(i);
      if (!this.membership.ownsTask(rt.name, i)) {
        if (existing) await this.stopTasks(rt, [i], 'forget');
        continue;
      }
      if (existing && existing.configKey !== configKey(cfg)) await this.stopTasks(rt, [i], 'forget');
      const t = rt.tasks.get(i);
      if (t) {
        if (paused && t.state === 'RUNNING') {
          await this.stopRunner(t);
          await this.setTaskState(rt, t, 'PAUSED', null);
        } else if (!paused && t.state === 'PAUSED') {
          await this.startTask(rt, t, cfg);
        }
        continue;
      }
      const fresh: TaskRuntime = {
        id: i,
        config: cfg,
        configKey: configKey(cfg),
        runner: undefined,
        state: 'UNASSIGNED',
        trace: null,
        restarts: 0,
      };
      rt.tasks.set(i, fresh);
      if (paused) await this.setTaskState(rt, fresh, 'PAUSED', null);
      else await this.startTask(rt, fresh, cfg);
    }
    if (released.length > 0 && stored.target !== 'STOPPED') await this.releaseTasks(rt, released);
  }

  private async releaseTasks(rt: ConnectorRuntime, taskConfigs: RawConfig[]): Promise<void> {
    const plugin = rt.plugin;
    if (!plugin?.releaseTasks) return;
    try {
      await plugin.releaseTasks(
        await Promise.all(taskConfigs.map((c) => this.opts.pipeline.resolveConfigProviders(c))),
        this.logger.child({ connector: rt.name }),
      );
    } catch (err) {
      this.logger.warn(
        { connector: rt.name, err: (err as Error).message },
        'could not release the resources of removed tasks',
      );
    }
  }

  /**
   * Everything the task starts runs in its scope (runtime/containment): an error that escapes the task's own
   * handling fails this task, not the worker process.
   */
  private startTask(rt: ConnectorRuntime, t: TaskRuntime, stored: RawConfig): Promise<void> {
    const fail = (err: Error): void => {
      if (rt.tasks.get(t.id) === t) this.taskFailed(rt, t, err);
    };
    return runInTaskScope({ connector: rt.name, task: t.id, fail }, () => this.startTaskInScope(rt, t, stored));
  }

  private async startTaskInScope(rt: ConnectorRuntime, t: TaskRuntime, stored: RawConfig): Promise<void> {
    const name = rt.name;
    const logger = this.logger.child({ connector: name, task: t.id });
    try {
      const plugin = rt.plugin ?? pluginFor(this.opts.registry, stored);
      rt.plugin = plugin;
      const resolved = await this.opts.pipeline.resolveConfigProviders(stored);
      const parsed = parseTaskConfig(plugin, resolved);
      if (parsed.issues.length > 0) throw new ConfigError(parsed.issues, 'Task configuration is invalid');
      const metrics = this.opts.metrics.forTask(name, t.id);
      const abort = new AbortController();
      const pctx: PipelineContext = {
        connector: name,
        taskId: t.id,
        logger,
        deadLetter: async (rec) => {
          await this.topics.ensure(
            rec.topic,
            1,
            intOr(resolved['errors.deadletterqueue.topic.replication.factor'], -1),
          );
          await this.dataProducer.sendAsync(rec);
        },
        count: (metric, reason) => {
          metrics.count(metric);
          if (reason && metric !== 'retried') logger.debug({ metric, reason }, 'record not delivered as is');
        },
        signal: abort.signal,
      };
      const observeLatency = this.opts.metrics.recordLatency.observer({ connector: name, task: String(t.id) });
      const common = {
        connector: name,
        taskId: t.id,
        workerId: this.workerId(),
        config: parsed.values,
        rawConfig: resolved,
        logger,
        metrics,
        observeLatency,
        onTopicUsed: (topic: string) =>
          void this.statuses
            .putTopic(name, topic, t.id)
            .catch((err: unknown) => logger.debug({ err }, 'topic status write failed')),
        onFailure: (err: Error) => this.taskFailed(rt, t, err),
      };
      if (plugin.type === 'source') {
        const pipeline = await this.opts.pipeline.createSourcePipeline(resolved, this.cfg.converterDefaults, pctx);
        t.runner = new SourceTaskRunner({
          ...common,
          plugin,
          pipeline,
          producer: this.dataProducer,
          topics: this.topics,
          offsets: this.offsets,
          flushIntervalMs: this.cfg.offsetFlushIntervalMs,
          topicCreation: {
            partitions: intOr(resolved['topic.creation.default.partitions'], -1),
            replicationFactor: intOr(resolved['topic.creation.default.replication.factor'], -1),
          },
        });
      } else {
        const pipeline = await this.opts.pipeline.createSinkPipeline(resolved, this.cfg.converterDefaults, pctx);
        const regex = resolved['topics.regex']?.trim();
        t.runner = new SinkTaskRunner({
          ...common,
          plugin,
          pipeline,
          consumerConf: {
            ...this.clientConf,
            'session.timeout.ms': this.cfg.sessionTimeoutMs,
            'heartbeat.interval.ms': this.cfg.heartbeatIntervalMs,
            ...this.cfg.consumerOverrides,
          },
          groupId: sinkGroup(name),
          topics: regex ? undefined : splitList(resolved.topics ?? ''),
          topicsRegex: regex || undefined,
          commitIntervalMs: this.cfg.offsetFlushIntervalMs,
        });
      }
      const runner = t.runner;
      (runner as { abortPipeline?: AbortController }).abortPipeline = abort;
      await runner.start();
      if (t.runner === runner && t.state !== 'FAILED') {
        await this.setTaskState(rt, t, 'RUNNING', null);
        // Which worker starts and stops which task is what an operator (and the cluster tests) follow across rebalances.
        logger.info({ generation: this.membership.generation() }, 'task running');
      }
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'task failed to start');
      this.taskFailed(rt, t, err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** A task failed: FAILED with the trace; retriable failures restart by themselves with back-off. */
  private taskFailed(rt: ConnectorRuntime, t: TaskRuntime, err: Error): void {
    if (t.state === 'FAILED' || this.phase !== 'running') return;
    t.state = 'FAILED';
    t.trace = scrubTrace(errorTrace(err));
    this.opts.metrics.setTaskState(rt.name, t.id, 'FAILED');
    void this.enqueue(rt.name, async () => {
      await this.stopRunner(t);
      await this.writeTaskStatus(rt, t);
      const retriable = err instanceof FerryError && err.retriable;
      if (!retriable || this.phase !== 'running') return;
      const delay = Math.min(RESTART_BACKOFF_MAX_MS, 1000 * 2 ** t.restarts);
      t.restarts++;
      this.logger.info(
        { connector: rt.name, task: t.id, delayMs: delay },
        'task failed on a retriable error; restarting',
      );
      t.restartTimer = setTimeout(() => {
        t.restartTimer = undefined;
        void this.enqueue(rt.name, async () => {
          const stored = this.configs.get(rt.name);
          const cfg = stored?.tasks[t.id];
          if (!stored || !cfg || rt.tasks.get(t.id) !== t || t.state !== 'FAILED' || stored.target !== 'STARTED')
            return;
          await this.setTaskState(rt, t, 'RESTARTING', null);
          await this.startTask(rt, t, cfg);
        });
      }, delay);
    });
  }

  private async doRestart(name: string, includeTasks: boolean, onlyFailed: boolean): Promise<void> {
    const rt = this.runtimes.get(name);
    const stored = this.configs.get(name);
    if (!rt || !stored || stored.target === 'STOPPED') return;
    if (this.membership.ownsConnector(name) && (!onlyFailed || rt.state === 'FAILED')) {
      await this.stopInstance(rt);
      rt.configKey = undefined;
      await this.setConnectorState(rt, 'RESTARTING', null);
      if (!(await this.ensureInstance(rt, stored))) return;
    }
    if (includeTasks) {
      for (const t of rt.tasks.values()) {
        if (onlyFailed && t.state !== 'FAILED') continue;
        const cfg = stored.tasks[t.id];
        if (!cfg) continue;
        await this.stopRunner(t);
        if (t.restartTimer) clearTimeout(t.restartTimer);
        t.restarts = 0;
        await this.setTaskState(rt, t, 'RESTARTING', null);
        if (stored.target === 'PAUSED') await this.setTaskState(rt, t, 'PAUSED', null);
        else await this.startTask(rt, t, cfg);
      }
    }
    await this.doReconcile(name);
  }

  private async stopConnectorRuntime(rt: ConnectorRuntime, finalState: State | undefined): Promise<void> {
    // Only the worker that ran the connector writes its status: in a cluster another worker may own it.
    const ranHere = rt.instance !== undefined || rt.state !== 'UNASSIGNED';
    await this.stopTasks(rt, [...rt.tasks.keys()], finalState ? 'unassign' : 'remove');
    await this.stopInstance(rt);
    if (finalState && ranHere && this.configs.get(rt.name)) await this.setConnectorState(rt, finalState, null);
  }

  /**
   * Stops tasks. 'remove': they are gone (status tombstoned); 'unassign': this worker stops running them
   * (status UNASSIGNED, e.g. shutdown); 'forget': stopped here, status left to whoever runs them next.
   */
  private async stopTasks(rt: ConnectorRuntime, ids: number[], how: 'remove' | 'unassign' | 'forget'): Promise<void> {
    for (const id of ids) {
      const t = rt.tasks.get(id);
      if (!t) continue;
      if (t.restartTimer) clearTimeout(t.restartTimer);
      await this.stopRunner(t);
      rt.tasks.delete(id);
      this.logger.info({ connector: rt.name, task: id, how }, 'task stopped');
      if (how === 'remove') {
        if (this.statuses.tasksOf(rt.name).has(id)) await this.statuses.removeTask(rt.name, id).catch(() => undefined);
      } else if (how === 'unassign') {
        t.state = 'UNASSIGNED';
        t.trace = null;
        await this.writeTaskStatus(rt, t).catch(() => undefined);
      }
    }
  }

  private async stopRunner(t: TaskRuntime): Promise<void> {
    const runner = t.runner;
    t.runner = undefined;
    if (!runner) return;
    try {
      await runner.stop(this.cfg.shutdownTimeoutMs);
    } catch (err) {
      this.logger.warn({ task: t.id, err: (err as Error).message }, 'task did not stop cleanly');
    }
    (runner as { abortPipeline?: AbortController }).abortPipeline?.abort();
  }

  private async stopInstance(rt: ConnectorRuntime): Promise<void> {
    const inst = rt.instance;
    rt.instance = undefined;
    if (!inst) return;
    try {
      await inst.stop();
    } catch (err) {
      this.logger.warn({ connector: rt.name, err: (err as Error).message }, 'connector did not stop cleanly');
    }
  }

  private async setConnectorState(rt: ConnectorRuntime, state: State, trace: string | null): Promise<void> {
    rt.state = state;
    rt.trace = scrubTrace(trace);
    this.opts.metrics.setConnectorState(rt.name, state);
    await this.statuses
      .putConnector(rt.name, { state, trace, worker_id: this.workerId(), generation: this.membership.generation() })
      .catch((err: unknown) => this.logger.warn({ err, connector: rt.name }, 'status write failed'));
  }

  private async setTaskState(rt: ConnectorRuntime, t: TaskRuntime, state: State, trace: string | null): Promise<void> {
    t.state = state;
    t.trace = scrubTrace(trace);
    await this.writeTaskStatus(rt, t);
  }

  private async writeTaskStatus(rt: ConnectorRuntime, t: TaskRuntime): Promise<void> {
    this.opts.metrics.setTaskState(rt.name, t.id, t.state);
    await this.statuses
      .putTask(rt.name, t.id, {
        state: t.state,
        trace: t.trace,
        worker_id: this.workerId(),
        generation: this.membership.generation(),
      })
      .catch((err: unknown) => this.logger.warn({ err, connector: rt.name, task: t.id }, 'status write failed'));
  }

  // ------------------------------------------------------------------ Herder (REST)

  serverInfo(): ServerInfo {
    return { version: this.opts.version, commit: this.opts.commit ?? '', kafka_cluster_id: '' };
  }

  health(): HealthInfo {
    if (this.phase === 'created' || this.phase === 'starting')
      return { status: 'starting', message: 'Worker is still starting up.' };
    if (this.phase !== 'running') return { status: 'unhealthy', message: 'Worker is shutting down.' };
    if (this.kafkaProblem) return { status: 'unhealthy', message: this.kafkaProblem };
    return { status: 'healthy', message: 'Worker has completed startup and is ready to handle requests.' };
  }

  workerId(): string {
    return `${this.cfg.advertisedHost}:${this.cfg.advertisedPort}`;
  }

  private ready(): void {
    if (this.phase !== 'running')
      throw new FerryError('CONFLICT', 'The worker is still starting up (or stopping); retry shortly');
  }

  private storedOr404(name: string): ConnectorState {
    this.ready();
    const s = this.configs.get(name);
    if (!s) throw new FerryError('NOT_FOUND', `Connector ${name} not found`);
    return s;
  }

  private pluginOf(config: RawConfig): ConnectorPlugin | undefined {
    const cls = config['connector.class'];
    return cls ? this.opts.registry.find(cls) : undefined;
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

  connectors(): Promise<string[]> {
    this.ready();
    return Promise.resolve(this.configs.names());
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
    const c = this.statuses.connector(name);
    const taskStatuses = this.statuses.tasksOf(name);
    const tasks: TaskStateInfo[] = s.tasks.map((_, id) => {
      const ts = taskStatuses.get(id);
      return withTrace({ id, state: ts?.state ?? 'UNASSIGNED', worker_id: ts?.worker_id ?? '' }, ts?.trace);
    });
    return Promise.resolve({
      name,
      connector: withTrace({ state: c?.state ?? 'UNASSIGNED', worker_id: c?.worker_id ?? '' }, c?.trace),
      tasks,
      type: this.typeOf(s.config),
    });
  }

  taskStatus(name: string, task: number): Promise<TaskStateInfo> {
    const s = this.storedOr404(name);
    const ts = this.statuses.tasksOf(name).get(task);
    if (task < 0 || task >= s.tasks.length || !ts)
      throw new FerryError('NOT_FOUND', `No status found for task ${name}-${task}`);
    return Promise.resolve(withTrace({ id: task, state: ts.state, worker_id: ts.worker_id }, ts.trace));
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
    return Promise.resolve(this.statuses.topicsOf(name));
  }

  async resetConnectorTopics(name: string): Promise<void> {
    this.storedOr404(name);
    await this.statuses.resetTopics(name);
  }

  private async validateOrThrow(config: RawConfig): Promise<void> {
    const resolution = await resolveForValidation((raw) => this.opts.pipeline.resolveConfigProviders(raw), config);
    const infos = validateConnectorConfig(this.opts.registry, config, this.hooks, resolution);
    if (infos.error_count > 0) throw invalidConfigError(infos);
  }

  async createConnector(name: string, config: RawConfig, initialState?: TargetState): Promise<ConnectorInfo> {
    this.ready();
    if (this.configs.get(name)) throw new FerryError('ALREADY_EXISTS', `Connector ${name} already exists`);
    const full = { ...config, name };
    await this.validateOrThrow(full);
    assertRoomForConnector(this.configs.names().length, this.cfg.limits);
    await this.configs.putConnector(name, full, initialState);
    return this.info(name, this.configs.get(name)!);
  }

  async putConnectorConfig(name: string, config: RawConfig): Promise<{ created: boolean; info: ConnectorInfo }> {
    this.ready();
    const prev = this.configs.get(name);
    const incoming = keepHiddenSecrets(this.pluginOf(config), prev?.config, { ...config, name });
    await this.validateOrThrow(incoming);
    if (!prev) assertRoomForConnector(this.configs.names().length, this.cfg.limits);
    await this.configs.putConnector(name, incoming);
    return { created: !prev, info: this.info(name, this.configs.get(name)!) };
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
    await this.configs.putConnector(name, merged);
    return this.info(name, this.configs.get(name)!);
  }

  /**
   * Deletes a connector and everything it leaves behind: statuses, source offsets or the sink's group offsets,
   * and (through the plugin) its tasks' external state such as persistent MQTT sessions. A connector created
   * again under the same name starts fresh.
   */
  async deleteConnector(name: string): Promise<void> {
    const s = this.storedOr404(name);
    const plugin = this.pluginOf(s.config);
    await this.configs.remove(name);
    const rt = this.runtimes.get(name);
    if (rt) await this.enqueue(name, () => this.doReconcile(name));
    // In a cluster other workers stop their tasks when they read the removal (each tombstones its task's status):
    // releasing the tasks' external state (MQTT sessions) while one still runs would cut it off mid-stream.
    await this.settle(() => ![...this.statuses.tasksOf(name).values()].some((t) => t.worker_id !== this.workerId()));
    await this.statuses
      .removeConnector(name)
      .catch((err: unknown) => this.logger.warn({ err }, 'status cleanup failed'));
    if (plugin?.type === 'sink') {
      const regex = s.config['topics.regex']?.trim();
      await this.sinkOffsets
        .reset(sinkGroup(name), splitList(s.config.topics ?? ''), regex || undefined)
        .catch((err: unknown) => this.logger.warn({ err, connector: name }, 'could not reset the sink group offsets'));
    } else {
      await this.offsets
        .clear(name)
        .catch((err: unknown) => this.logger.warn({ err }, 'could not clear source offsets'));
    }
    if (plugin?.releaseTasks && s.tasks.length > 0) {
      const fake = newConnectorRuntime(name);
      fake.plugin = plugin;
      await this.releaseTasks(fake, [...s.tasks]);
    }
    this.logger.info({ connector: name }, 'connector deleted');
  }

  async pauseConnector(name: string): Promise<void> {
    this.storedOr404(name);
    await this.configs.putTarget(name, 'PAUSED');
  }

  async resumeConnector(name: string): Promise<void> {
    this.storedOr404(name);
    await this.configs.putTarget(name, 'STARTED');
  }

  async stopConnector(name: string): Promise<void> {
    this.storedOr404(name);
    await this.configs.putTarget(name, 'STOPPED');
    // Answer once the stop took effect here, so an offsets call right after finds the connector STOPPED.
    if (this.runtimes.has(name)) await this.enqueue(name, () => Promise.resolve());
    // …and on the other workers of a cluster: the connector's owner empties its task list, then every worker that
    // ran one of its tasks stops it and tombstones its status. Bounded: an owner that just crashed answers nothing.
    await this.settle(() => this.configs.get(name)?.tasks.length === 0 && this.statuses.tasksOf(name).size === 0);
  }

  /** Waits until `done()` holds, at most about one session timeout (how long a crashed owner stays owner). */
  private async settle(done: () => boolean): Promise<void> {
    const deadline = Date.now() + this.cfg.sessionTimeoutMs + this.cfg.shutdownTimeoutMs;
    while (!done() && this.phase === 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  async restartConnector(name: string, req: RestartRequest): Promise<ConnectorStatus | undefined> {
    const s = this.storedOr404(name);
    if (s.target === 'STOPPED')
      throw new FerryError('CONFLICT', `Connector ${name} is STOPPED; resume it instead of restarting it`);
    const status = await this.connectorStatus(name);
    await this.configs.requestRestart(name, req.includeTasks, req.onlyFailed);
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
    await this.enqueue(name, async () => {
      const rt = this.runtimes.get(name);
      const t = rt?.tasks.get(task);
      if (!rt || !t) {
        const runner = this.statuses.tasksOf(name).get(task)?.worker_id;
        if (runner && runner !== this.workerId()) elsewhere = runner;
        return;
      }
      await this.stopRunner(t);
      if (t.restartTimer) clearTimeout(t.restartTimer);
      t.restarts = 0;
      await this.setTaskState(rt, t, 'RESTARTING', null);
      if (s.target === 'PAUSED') await this.setTaskState(rt, t, 'PAUSED', null);
      else await this.startTask(rt, t, cfg);
    });
    if (elsewhere) await this.forwardTaskRestart(elsewhere, name, task);
  }

  /** Another worker runs the task: ask it over its REST API, as Connect forwards requests between workers. */
  private async forwardTaskRestart(workerId: string, name: string, task: number): Promise<void> {
    // Two workers whose views of the status disagree for a moment would pass the request back and forth: a request
    // that comes back while this worker is forwarding it ends here.
    const key = JSON.stringify([name, task]);
    if (this.forwarding.has(key)) return;
    this.forwarding.add(key);
    try {
      await this.forwardOnce(workerId, name, task);
    } finally {
      this.forwarding.delete(key);
    }
  }

  private async forwardOnce(workerId: string, name: string, task: number): Promise<void> {
    const path = `/connectors/${encodeURIComponent(name)}/tasks/${task}/restart`;
    const forward = this.opts.forward ?? plainForward;
    let res: { status: number; body: string };
    try {
      res = await forward(workerId, 'POST', path, AbortSignal.timeout(this.cfg.shutdownTimeoutMs + 10_000));
    } catch (err) {
      throw new FerryError(
        'CONFLICT',
        `Task ${name}-${task} runs on worker ${workerId}, which could not be reached (${(err as Error).message}); retry shortly`,
      );
    }
    if (res.status >= 300) {
      throw new FerryError(
        res.status === 404 ? 'NOT_FOUND' : 'CONFLICT',
        `Worker ${workerId}, which runs task ${name}-${task}, answered ${res.status}: ${res.body.slice(0, 300)}; retry shortly`,
      );
    }
  }

  async connectorOffsets(name: string): Promise<ConnectorOffsets> {
    const s = this.storedOr404(name);
    if (this.typeOf(s.config) === 'sink') {
      const regex = s.config['topics.regex']?.trim();
      const list = await this.sinkOffsets.list(sinkGroup(name), splitList(s.config.topics ?? ''), regex || undefined);
      return { offsets: list.map((o) => ({ partition: o.partition, offset: o.offset })) };
    }
    await this.offsets.readToEnd();
    return {
      offsets: this.offsets.list(name).map((o) => ({ partition: { ...o.partition }, offset: { ...o.offset } })),
    };
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

  async alterConnectorOffsets(name: string, body: ConnectorOffsets): Promise<void> {
    const s = this.requireStopped(name);
    if (!Array.isArray(body?.offsets) || body.offsets.length === 0)
      throw new FerryError('BAD_REQUEST', 'Partitions / offsets need to be provided for an alter offsets request');
    if (this.typeOf(s.config) === 'sink') {
      const entries = body.offsets.map((o, i) => {
        const p = o.partition as Record<string, unknown> | null;
        const topic = p?.kafka_topic;
        const partition = p?.kafka_partition;
        if (typeof topic !== 'string' || topic === '' || !Number.isInteger(partition) || (partition as number) < 0)
          throw new FerryError(
            'BAD_REQUEST',
            `offsets[${i}].partition must be {"kafka_topic": <string>, "kafka_partition": <int ≥ 0>}`,
          );
        const off = o.offset?.kafka_offset;
        if (o.offset !== null && (!Number.isInteger(off) || (off as number) < 0))
          throw new FerryError('BAD_REQUEST', `offsets[${i}].offset must be {"kafka_offset": <int ≥ 0>} or null`);
        return {
          partition: { kafka_topic: topic, kafka_partition: partition as number },
          offset: o.offset === null ? null : { kafka_offset: off as number },
        };
      });
      await this.sinkOffsets.alter(sinkGroup(name), entries);
      return;
    }
    const entries = body.offsets.map((o, i) => {
      if (!o.partition || typeof o.partition !== 'object' || Array.isArray(o.partition))
        throw new FerryError('BAD_REQUEST', `offsets[${i}].partition must be an object`);
      if (o.offset !== null && (typeof o.offset !== 'object' || Array.isArray(o.offset)))
        throw new FerryError('BAD_REQUEST', `offsets[${i}].offset must be an object or null`);
      return { partition: o.partition as OffsetMap, offset: o.offset as OffsetMap | null };
    });
    await this.offsets.write(name, entries);
  }

  async resetConnectorOffsets(name: string): Promise<void> {
    const s = this.requireStopped(name);
    if (this.typeOf(s.config) === 'sink') {
      const regex = s.config['topics.regex']?.trim();
      await this.sinkOffsets.reset(sinkGroup(name), splitList(s.config.topics ?? ''), regex || undefined);
    } else {
      await this.offsets.clear(name);
    }
  }

  plugins(connectorsOnly: boolean): PluginInfo[] {
    const connectors: PluginInfo[] = this.opts.registry
      .connectorPlugins()
      .map((p) => ({ class: p.className, type: p.type, version: p.version }));
    return connectorsOnly ? connectors : [...connectors, ...this.opts.pipeline.plugins()];
  }

  pluginConfig(plugin: string): ConfigKeyInfo[] {
    const p = this.opts.registry.find(plugin);
    if (!p) throw new FerryError('NOT_FOUND', `Unknown plugin ${plugin}`);
    return configKeyInfos(p, this.hooks);
  }

  async validateConfig(plugin: string, config: RawConfig): Promise<ConfigInfos> {
    const p = this.opts.registry.find(plugin);
    if (!p) throw new FerryError('BAD_REQUEST', `Unknown connector plugin ${plugin}`);
    const cls = config['connector.class'];
    if (cls !== undefined && this.opts.registry.find(cls) !== p)
      throw new FerryError('BAD_REQUEST', `Included connector type ${cls} does not match request type ${plugin}`);
    const full = { ...config, 'connector.class': cls ?? plugin };
    const resolution = await resolveForValidation((raw) => this.opts.pipeline.resolveConfigProviders(raw), full);
    return validateConnectorConfig(this.opts.registry, full, this.hooks, resolution);
  }
}

export function sinkGroup(connector: string): string {
  return `connect-${connector}`;
}

function withTrace<T extends object>(o: T, trace: string | null | undefined): T & { trace?: string } {
  return trace ? { ...o, trace } : o;
}

function intOr(v: string | undefined, dflt: number): number {
  const n = Number(v);
  return v !== undefined && v !== '' && Number.isInteger(n) ? n : dflt;
}

/** Puts back the placeholders of `raw` where a task config carries the value they resolved to. */
function unresolve(task: RawConfig, raw: RawConfig, resolved: RawConfig): RawConfig {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(task)) {
    out[k] = raw[k] !== undefined && raw[k] !== v && resolved[k] === v ? raw[k] : v;
  }
  return out;
}
