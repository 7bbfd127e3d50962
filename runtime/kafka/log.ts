import Kafka from 'node-rdkafka';
import type { Logger } from '../api';
import { UnavailableError } from '../api';
import { connectClient, topicMetadata } from './metadata';

const OFFSET_BEGINNING = -2; // librdkafka's RD_KAFKA_OFFSET_BEGINNING

/** One record of an internal topic: string key, value bytes (null is a tombstone). */
export interface LogRecord {
  readonly key: string;
  readonly value: Buffer | null;
  readonly partition: number;
  readonly offset: number;
}

/**
 * Reads a compacted topic from its beginning and keeps tailing it, handing every record to `onRecord` in log
 * order per partition. `readToEnd()` resolves once everything written before the call has been handed over: after
 * a write, it gives read-your-writes across workers, since every worker applies the same log in the same order.
 */
export class KafkaLog {
  private readonly consumer: Kafka.KafkaConsumer;
  private readonly positions = new Map<number, number>();
  private partitions: number[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private waiters: { targets: Map<number, number>; resolve: () => void }[] = [];

  constructor(
    private readonly topic: string,
    conf: Record<string, string | number | boolean>,
    private readonly onRecord: (rec: LogRecord) => void,
    private readonly logger: Logger,
  ) {
    this.consumer = new Kafka.KafkaConsumer(
      {
        ...conf,
        'group.id': `ferry-log-reader-${topic}`,
        'enable.auto.commit': false,
        // consume(n) returns at the end of the log instead of waiting for n records or the timeout.
        'enable.partition.eof': true,
        'fetch.wait.max.ms': 50,
        'socket.keepalive.enable': true,
      },
      { 'auto.offset.reset': 'earliest' },
    );
    this.consumer.on('event.error', (err) =>
      this.logger.warn({ err: err.message, topic }, 'internal topic reader error'),
    );
    // consume(n) otherwise waits up to a second for n records: every read-back of a write would be a second late.
    this.consumer.setDefaultConsumeTimeout(50);
  }

  async start(timeoutMs = 30_000): Promise<void> {
    await connectClient(this.consumer, timeoutMs, `cannot read ${this.topic}`);
    // A topic created a moment ago may have no leaders yet ("Not leader for partition"): wait until it has.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const t = await topicMetadata(this.consumer, this.topic, 5000).catch(() => undefined);
      if (t && t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)) {
        this.partitions = t.partitions.map((p) => p.id).sort((a, b) => a - b);
        break;
      }
      if (Date.now() > deadline)
        throw new UnavailableError(`internal topic ${this.topic} has no leader on every partition`);
      await new Promise((r) => setTimeout(r, 200));
    }
    this.consumer.assign(this.partitions.map((p) => ({ topic: this.topic, partition: p, offset: OFFSET_BEGINNING })));
    this.running = true;
    this.loop = this.consumeLoop();
    for (;;) {
      try {
        await this.readToEnd(Math.max(1000, deadline - Date.now()));
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        this.logger.debug({ err: (err as Error).message, topic: this.topic }, 'reading to the end failed; retrying');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Resolves once every record written before this call has been handed to onRecord. */
  async readToEnd(timeoutMs = 30_000): Promise<void> {
    const targets = new Map<number, number>();
    await Promise.all(
      this.partitions.map(
        (p) =>
          new Promise<void>((resolve, reject) =>
            this.consumer.queryWatermarkOffsets(this.topic, p, timeoutMs, (err, wm) => {
              if (err)
                return reject(
                  new UnavailableError(`cannot read the end of ${this.topic}: ${err.message}`, { cause: err }),
                );
              targets.set(p, wm.highOffset);
              resolve();
            }),
          ),
      ),
    );
    if (this.reached(targets)) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new UnavailableError(`timed out reading ${this.topic} to its end`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ targets, resolve: done });
    });
  }

  private reached(targets: Map<number, number>): boolean {
    for (const [p, high] of targets) if ((this.positions.get(p) ?? 0) < high) return false;
    return true;
  }

  private async consumeLoop(): Promise<void> {
    while (this.running) {
      const batch = await new Promise<Kafka.Message[]>((resolve) =>
        this.consumer.consume(500, (err, msgs) => {
          if (err) {
            this.logger.debug({ err: err.message, topic: this.topic }, 'internal topic read failed; retrying');
            setTimeout(() => resolve([]), 200);
          } else resolve(msgs);
        }),
      );
      for (const m of batch) {
        this.positions.set(m.partition, m.offset + 1);
        const key =
          m.key === undefined || m.key === null ? '' : Buffer.isBuffer(m.key) ? m.key.toString('utf8') : String(m.key);
        try {
          this.onRecord({ key, value: m.value ?? null, partition: m.partition, offset: m.offset });
        } catch (e) {
          this.logger.error({ err: e, topic: this.topic, key }, 'failed to apply an internal record; skipped');
        }
      }
      if (batch.length === 0) {
        // The end of the log may carry no record we see (e.g. transaction markers): ask where it ends.
        await this.syncPositions();
      }
      if (this.waiters.length > 0) {
        const still: typeof this.waiters = [];
        for (const w of this.waiters) {
          if (this.reached(w.targets)) w.resolve();
          else still.push(w);
        }
        this.waiters = still;
      }
    }
  }

  private async syncPositions(): Promise<void> {
    if (this.waiters.length === 0) return;
    const pos = await new Promise<Kafka.TopicPartitionOffset[]>((resolve) => {
      try {
        resolve(this.consumer.position(this.partitions.map((p) => ({ topic: this.topic, partition: p }))));
      } catch {
        resolve([]);
      }
    });
    for (const tp of pos)
      if (typeof tp.offset === 'number' && tp.offset >= 0)
        this.positions.set(tp.partition, Math.max(this.positions.get(tp.partition) ?? 0, tp.offset));
  }

  /** Ends the read loop and disconnects; every caller gets the same promise (a log never started has nothing to stop). */
  stop(): Promise<void> {
    if (!this.running && !this.stopping) return Promise.resolve();
    this.stopping ??= (async () => {
      this.running = false;
      await this.loop?.catch(() => undefined);
      await new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
    })();
    return this.stopping;
  }
}
