import type { RawConfig } from '../api';
import { ConfigError } from '../api';
import { parseTaskConfig, pluginFor } from '../config';
import { sourceTransactions } from './source-delivery';
import type { PipelineContext } from '../pipeline/types';
import { SinkTaskRunner, SourceTaskRunner } from '../tasks';
import type { ConnectorRuntime, TaskRunner, TaskRuntime } from './connector-runtime';
import type { WorkerServices } from './services';
import { sinkGroup, sinkSubscription } from './sink-offsets';

/** A runner built for one task, not yet started, and what cancels its pipeline's work once it has stopped. */
export interface BuiltTask {
  readonly runner: TaskRunner;
  readonly abort: AbortController;
}

/** Builds a task's runner; the worker uses buildTask, unit tests a fake. */
export type TaskBuilder = (
  s: WorkerServices,
  rt: ConnectorRuntime,
  t: TaskRuntime,
  stored: RawConfig,
  onFailure: (err: Error) => void,
) => Promise<BuiltTask>;

/**
 * Builds a task's runner from its stored config: resolves config providers, parses the plugin's task settings,
 * creates the record pipeline (converters, transforms, dead letters) and wires the runner to the worker's Kafka
 * clients, stores, metrics and status topic. Throws if the config is invalid or the pipeline cannot be built.
 */
export const buildTask: TaskBuilder = async (
  s: WorkerServices,
  rt: ConnectorRuntime,
  t: TaskRuntime,
  stored: RawConfig,
  onFailure: (err: Error) => void,
): Promise<BuiltTask> => {
  const name = rt.name;
  const logger = s.logger.child({ connector: name, task: t.id });
  const plugin = rt.plugin ?? pluginFor(s.opts.registry, stored);
  rt.plugin = plugin;
  const resolved = await s.opts.pipeline.resolveConfigProviders(stored);
  const parsed = parseTaskConfig(plugin, resolved);
  if (parsed.issues.length > 0) throw new ConfigError(parsed.issues, 'Task configuration is invalid');
  const metrics = s.opts.metrics.forTask(name, t.id);
  const abort = new AbortController();
  const pctx: PipelineContext = {
    connector: name,
    taskId: t.id,
    logger,
    deadLetter: async (rec) => {
      await s.topics.ensure(rec.topic, 1, intOr(resolved['errors.deadletterqueue.topic.replication.factor'], -1));
      await s.dataProducer.sendAsync(rec);
    },
    count: (metric, reason) => {
      metrics.count(metric);
      if (reason && metric !== 'retried') logger.debug({ metric, reason }, 'record not delivered as is');
    },
    signal: abort.signal,
    checkTopic: (topic) => s.topicGuard.refusal(name, topic),
  };
  const common = {
    connector: name,
    taskId: t.id,
    workerId: s.workerId,
    config: parsed.values,
    settings: parsed.settings,
    rawConfig: resolved,
    logger,
    metrics,
    observeLatency: s.opts.metrics.recordLatency.observer({ connector: name, task: String(t.id) }),
    onTopicUsed: (topic: string) =>
      void s.statuses
        .putTopic(name, topic, t.id)
        .catch((err: unknown) => logger.debug({ err }, 'topic status write failed')),
    onFailure,
  };
  if (plugin.type === 'source') {
    const transactions = sourceTransactions(s, name, t.id, resolved, logger, metrics);
    const pipeline = await s.opts.pipeline.createSourcePipeline(resolved, s.cfg.converterDefaults, pctx);
    const runner = new SourceTaskRunner({
      ...common,
      plugin,
      pipeline,
      producer: s.dataProducer,
      ...(transactions ? { transactions } : {}),
      topics: s.topics,
      offsets: s.offsets,
      flushIntervalMs: s.cfg.offsetFlushIntervalMs,
      topicCreation: {
        partitions: intOr(resolved['topic.creation.default.partitions'], -1),
        replicationFactor: intOr(resolved['topic.creation.default.replication.factor'], -1),
      },
    });
    return { runner, abort };
  }
  const pipeline = await s.opts.pipeline.createSinkPipeline(resolved, s.cfg.converterDefaults, pctx);
  const sub = sinkSubscription(resolved);
  const runner = new SinkTaskRunner({
    ...common,
    plugin,
    pipeline,
    consumerConf: s.kafkaConf('consumer', {
      defaults: { 'session.timeout.ms': s.cfg.sessionTimeoutMs, 'heartbeat.interval.ms': s.cfg.heartbeatIntervalMs },
    }),
    groupId: sinkGroup(name),
    topics: sub.regex ? undefined : sub.topics,
    topicsRegex: sub.regex,
    commitIntervalMs: s.cfg.offsetFlushIntervalMs,
  });
  return { runner, abort };
};

function intOr(v: string | undefined, dflt: number): number {
  const n = Number(v);
  return v !== undefined && v !== '' && Number.isInteger(n) ? n : dflt;
}
