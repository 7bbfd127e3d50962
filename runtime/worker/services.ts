import type { Logger, RawConfig } from '../api';
import type { PipelineHooks, WorkerConfig } from '../config';
import { DataProducer, KafkaAdmin } from '../kafka';
import type { Metrics } from '../metrics';
import type { PipelineContext, PipelinePluginInfo, SinkPipeline, SourcePipeline } from '../pipeline/types';
import type { PluginRegistry } from '../plugins';
import { ConfigStore, OffsetStore, StatusStore } from '../storage';
import { TopicCreator } from '../tasks';
import { StandaloneMembership, type Membership, type MembershipFactory } from './membership';
import { SinkOffsets } from './sink-offsets';
import type { ForwardRequest } from './forwarding';

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
  readonly forward?: ForwardRequest;
}

/**
 * The clients and stores every part of the worker shares, built once (no I/O) and started by the worker's
 * lifecycle. The parts (reconciler, task control, herder) receive this instead of the whole worker.
 */
export interface WorkerServices {
  readonly opts: WorkerOptions;
  readonly cfg: WorkerConfig;
  readonly logger: Logger;
  readonly workerId: string;
  /** `bootstrap.servers` and `client.id`, the base of every Kafka client's settings. */
  readonly clientConf: Record<string, string | number | boolean>;
  readonly admin: KafkaAdmin;
  /** Writes the internal topics: no batching delay, so a REST call's write is read back at once. */
  readonly internalProducer: DataProducer;
  /** Writes the source tasks' records and dead letters. */
  readonly dataProducer: DataProducer;
  readonly configs: ConfigStore;
  readonly offsets: OffsetStore;
  readonly statuses: StatusStore;
  readonly topics: TopicCreator;
  readonly sinkOffsets: SinkOffsets;
  readonly membership: Membership;
  readonly hooks: PipelineHooks;
  /** Whether the worker is running (not starting, not stopping): only then do transitions happen. */
  readonly running: () => boolean;
}

export function createWorkerServices(opts: WorkerOptions, running: () => boolean): WorkerServices {
  const cfg = opts.config;
  const logger = opts.logger.child({ component: 'worker' });
  const workerId = `${cfg.advertisedHost}:${cfg.advertisedPort}`;
  const clientConf = { 'bootstrap.servers': cfg.bootstrapServers, 'client.id': `ferry-${workerId}` };
  const admin = new KafkaAdmin({ ...clientConf, ...cfg.adminOverrides });
  const configs = new ConfigStore(logger);
  return {
    opts,
    cfg,
    logger,
    workerId,
    clientConf,
    admin,
    internalProducer: new DataProducer(
      { ...clientConf, 'linger.ms': 0, partitioner: 'murmur2_random', 'compression.type': 'none' },
      logger,
    ),
    dataProducer: new DataProducer({ ...clientConf, ...cfg.producerOverrides }, logger),
    configs,
    offsets: new OffsetStore(logger),
    statuses: new StatusStore(logger, opts.version),
    topics: new TopicCreator(admin),
    sinkOffsets: new SinkOffsets({ ...clientConf, ...cfg.consumerOverrides }),
    membership:
      opts.membership ??
      opts.membershipFactory?.({
        workerId,
        connectors: () => configs.names().map((name) => ({ name, tasks: configs.get(name)?.tasks.length ?? 0 })),
        logger: opts.logger,
      }) ??
      new StandaloneMembership(),
    hooks: {
      validatePipelineConfig: opts.pipeline.validatePipelineConfig,
      pipelineConfigKeys: opts.pipeline.pipelineConfigKeys,
      converterDefaults: cfg.converterDefaults,
      limits: cfg.limits,
    },
    running,
  };
}
