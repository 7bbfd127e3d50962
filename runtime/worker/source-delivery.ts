import type { Logger, RawConfig, TaskMetrics } from '../api';
import { sourceDelivery } from '../config';
import { DataProducer } from '../kafka';
import { SourceTransactions } from '../tasks/source-transactions';
import type { WorkerServices } from './services';

/** A source task's transactional id: stable across restarts and workers, so a new generation fences the old one. */
export function transactionalId(groupId: string, connector: string, taskId: number): string {
  return `${groupId}-${connector}-${taskId}`;
}

/**
 * The transactions of a source task in exactly-once mode (docs/exactly-once.md), or undefined for at-least-once:
 * a producer of the task's own with its transactional id. Throws ConfigError naming `exactly.once.support` when the
 * connector requires what this worker does not support; a `requested` fallback is logged as a warning.
 */
export function sourceTransactions(
  s: WorkerServices,
  connector: string,
  taskId: number,
  raw: RawConfig,
  logger: Logger,
  metrics: TaskMetrics,
): SourceTransactions | undefined {
  const delivery = sourceDelivery(raw, s.cfg.exactlyOnceSourceSupport, s.cfg.offsetFlushIntervalMs);
  if (!delivery.transactional) {
    if (delivery.fallback) logger.warn({ key: 'exactly.once.support' }, delivery.fallback);
    return undefined;
  }
  const id = transactionalId(s.cfg.groupId, connector, taskId);
  return new SourceTransactions({
    producer: new DataProducer(s.kafkaConf('producer', { required: { 'transactional.id': id } }), logger),
    transactionalId: id,
    connector,
    offsetsTopic: s.cfg.offsetsTopic,
    boundary: delivery.boundary,
    intervalMs: delivery.intervalMs,
    maxRecords: delivery.maxRecords,
    timeoutMs: 30_000,
    logger,
    metrics,
  });
}
