import type { Logger, RawConfig } from '../api';
import type { PipelineHooks, WorkerConfig } from '../config';
import {
  DataProducer,
  KafkaAdmin,
  allTopicsMetadata,
  kafkaClientConfig,
  type KafkaClientConf,
  type KafkaClientKind,
} from '../kafka';
import type { Metrics } from '../metrics';
import type { PipelineContext, PipelinePluginInfo, SinkPipeline, SourcePipeline } from '../pipeline/types';
import type { PluginRegistry } from '../plugins';
import { ConfigStore, OffsetStore, StatusStore } from '../storage';
import { TopicCreator, TopicGuard } from '../tasks';
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
  /**
   * The settings of a Kafka client of this worker: bootstrap servers, the cluster's security settings, the
   * operator's overrides for that kind of client, and `client.id` unless overridden. Every client is built from it.
   */
  readonly kafkaConf: (
    kind: KafkaClientKind,
    opts?: { defaults?: KafkaClientConf; required?: KafkaClientConf },
  ) => KafkaClientConf;
  readonly admin: KafkaAdmin;
  /** Writes the internal topics: no batching delay, so a REST call's write is read back at once. */
  readonly internalProducer: DataProducer;
  /** Writes the source tasks' records and dead letters. */
  readonly dataProducer: DataProducer;
  readonly configs: ConfigStore;
  readonly offsets: OffsetStore;
  readonly statuses: StatusStore;
  readonly topics: TopicCreator;
  /** What source records may not be written to: internal topics, topics past the creation cap. */
  readonly topicGuard: TopicGuard;
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
  const kafkaConf: WorkerServices['kafkaConf'] = (kind, o = {}) =>
    kafkaClientConfig(cfg.kafkaClients, kind, {
      defaults: { 'client.id': `ferry-${workerId}`, ...o.defaults },
      ...(o.required ? { required: o.required } : {}),
    });
  const admin = new KafkaAdmin(kafkaConf('admin'));
  const configs = new ConfigStore(logger);
  const topics = new TopicCreator(admin);
  const services: WorkerServices = {
    opts,
    cfg,
    logger,
    workerId,
    kafkaConf,
    admin,
    // Security and producer overrides apply here too; what Connect's record formats need (key partitioning) wins.
    internalProducer: new DataProducer(
      kafkaConf('producer', {
        required: { 'linger.ms': 0, partitioner: 'murmur2_random', 'compression.type': 'none' },
      }),
      logger,
    ),
    dataProducer: new DataProducer(kafkaConf('producer'), logger),
    configs,
    offsets: new OffsetStore(logger),
    statuses: new StatusStore(logger, opts.version),
    topics,
    topicGuard: new TopicGuard({
      // The membership's topics are named after group.id (runtime/cluster).
      internalTopics: [
        cfg.configTopic,
        cfg.offsetsTopic,
        cfg.statusTopic,
        `${cfg.groupId}-cluster-tokens`,
        `${cfg.groupId}-cluster-state`,
      ],
      maxCreatedPerConnector: cfg.limits.topicsPerConnectorMax,
      creator: topics,
      // All topics, not one: asking for one topic by name can make a broker create it.
      exists: async (topic) =>
        (await allTopicsMetadata(services.internalProducer.client, 10_000)).topics.some((t) => t.name === topic),
    }),
    sinkOffsets: new SinkOffsets(kafkaConf('consumer')),
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
      exactlyOnceSourceSupport: cfg.exactlyOnceSourceSupport,
    },
    running,
  };
  return services;
}
