import type Kafka from 'node-rdkafka';
import type { Logger, TaskMetrics } from '../api';
import type { ConsumedRecord } from '../pipeline/types';

/** One `consume(n)` call: a batch, or none after a short pause when the consumer reported an error. */
export function consumeBatch(consumer: Kafka.KafkaConsumer, n: number, logger: Logger): Promise<Kafka.Message[]> {
  return new Promise<Kafka.Message[]>((resolve) =>
    consumer.consume(n, (err, msgs) => {
      if (err) {
        logger.debug({ err: err.message }, 'sink consume failed; retrying');
        setTimeout(() => resolve([]), 200);
      } else resolve(msgs);
    }),
  );
}

/** Whether the promise settles (either way) within `ms`. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))));
  try {
    return await Promise.race([
      p.then(
        () => true,
        () => true,
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A consumer message as the pipeline takes it. */
export function toConsumed(m: Kafka.Message): ConsumedRecord {
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    key: m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(String(m.key)),
    value: m.value ?? null,
    headers: (m.headers ?? []).flatMap((h) =>
      Object.entries(h).map(([key, value]) => ({
        key,
        value:
          value === null || value === undefined ? null : Buffer.isBuffer(value) ? value : Buffer.from(String(value)),
      })),
    ),
    timestamp: m.timestamp,
  };
}

/** Records not yet read, over the assigned partitions, from the watermarks librdkafka caches with each fetch. */
export function reportLag(consumer: Kafka.KafkaConsumer, assignment: Kafka.Assignment[], metrics: TaskMetrics): void {
  if (assignment.length === 0) {
    metrics.gauge('consumer_lag', 0);
    return;
  }
  try {
    let lag = 0;
    for (const p of consumer.position(assignment)) {
      const wm = consumer.getWatermarkOffsets(p.topic, p.partition);
      if (typeof p.offset === 'number' && p.offset >= 0 && wm.highOffset >= p.offset) lag += wm.highOffset - p.offset;
    }
    metrics.gauge('consumer_lag', lag);
  } catch {
    /* no watermarks cached yet: keep the last figure */
  }
}
