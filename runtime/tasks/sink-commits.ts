import Kafka from 'node-rdkafka';
import type { Logger, TaskMetrics } from '../api';
import type { ProgressLedger } from './progress-ledger';

/** The ledger's key of a Kafka partition. */
export function partitionStream(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/**
 * Commits a sink's done prefixes to its consumer group, and makes sure a commit Kafka did not take is sent again.
 */
export class SinkCommits {
  constructor(
    private readonly consumer: Kafka.KafkaConsumer,
    private readonly ledger: ProgressLedger<number>,
    private readonly logger: Logger,
    private readonly metrics: TaskMetrics,
  ) {
    consumer.on('offset.commit', (err, offsets) => this.onCommitted(err, offsets));
  }

  /**
   * Commits the acked prefix of every partition (`only`: of those partitions). Whether an async commit reached Kafka
   * is known only later, in {@link onCommitted}; false when a sync commit failed at once.
   */
  commit(sync: boolean, only?: Set<string>): boolean {
    const ready = this.ledger.takeCommittable();
    const offsets: Kafka.TopicPartitionOffset[] = [];
    for (const [stream, offset] of ready) {
      if (only && !only.has(stream)) {
        this.ledger.markDirty(stream);
        continue;
      }
      const [topic, p] = stream.split('\u0000');
      offsets.push({ topic: topic!, partition: Number(p), offset });
    }
    if (offsets.length === 0) return true;
    try {
      if (sync) this.consumer.commitSync(offsets);
      else this.consumer.commit(offsets);
      return true;
    } catch (err) {
      this.failed(err, offsets);
      return false;
    }
  }

  /** The outcome of a commit, served by librdkafka during a poll. "No offset" means there was nothing to commit. */
  private onCommitted(err: Kafka.LibrdKafkaError | undefined, offsets: Kafka.TopicPartitionOffset[]): void {
    if (!err || err.code === Kafka.CODES.ERRORS.ERR__NO_OFFSET) return;
    this.failed(err, offsets);
  }

  /**
   * A commit that did not reach Kafka (coordinator moving, broker unreachable) is not forgotten: its partitions are
   * committed again at the next commit, with whatever prefix is done by then. A partition revoked meanwhile is left
   * to its new owner, who reads from the last commit that did succeed (at least once).
   */
  private failed(err: unknown, offsets: readonly Kafka.TopicPartitionOffset[]): void {
    this.metrics.count('offset_commit_failures');
    const e = err as { message?: unknown; code?: unknown };
    this.logger.warn(
      { err: String(e.message ?? err), code: e.code, partitions: offsets.length },
      'sink offset commit failed; it is retried with the next commit',
    );
    for (const o of offsets) this.ledger.markDirty(partitionStream(o.topic, o.partition));
  }
}
