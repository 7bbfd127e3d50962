import Kafka from 'node-rdkafka';
import type { Logger } from '../api';
import { UnavailableError } from '../api';
import type { StateRecord } from './cluster-state';

const OFFSET_BEGINNING = -2;
/**
 * node-rdkafka's consume(n) waits this long for EACH further message before returning a batch, so the batch's
 * first record is delivered that late too. Membership reacts to every record; runtime/kafka's KafkaLog uses the
 * 1 s default, which made every rebalance step take a second, hence this reader of our own.
 */
const CONSUME_TIMEOUT_MS = 20;

/**
 * Tails the single-partition cluster state topic from its beginning and hands each record over in log order;
 * `readToEnd()` gives read-your-writes.
 */
export class StateReader {
  private readonly consumer: Kafka.KafkaConsumer;
  private position = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private waiters: { target: number; resolve: () => void }[] = [];

  constructor(
    private readonly topic: string,
    conf: Record<string, string | number | boolean>,
    private readonly onRecord: (rec: StateRecord) => void,
    private readonly logger: Logger,
  ) {
    this.consumer = new Kafka.KafkaConsumer(
      {
        ...conf,
        'group.id': 'ferry-cluster-state-reader',
        'enable.auto.commit': false,
        'enable.partition.eof': false,
        'fetch.wait.max.ms': 20,
      },
      { 'auto.offset.reset': 'earliest' },
    );
    this.consumer.on('event.error', (err) => this.logger.warn({ err: err.message, topic }, 'state reader error'));
  }

  async start(timeoutMs = 30_000): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.consumer.connect({ timeout: timeoutMs }, (err) =>
        err ? reject(new UnavailableError(`cannot read ${this.topic}: ${err.message}`, { cause: err })) : resolve(),
      ),
    );
    this.consumer.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
    this.consumer.assign([{ topic: this.topic, partition: 0, offset: OFFSET_BEGINNING }]);
    this.running = true;
    this.loop = this.consumeLoop();
    await this.readToEnd(timeoutMs);
  }

  /** Resolves once every record written before this call has been handed to onRecord. */
  async readToEnd(timeoutMs = 30_000): Promise<void> {
    const target = await new Promise<number>((resolve, reject) =>
      this.consumer.queryWatermarkOffsets(this.topic, 0, timeoutMs, (err, wm) =>
        err
          ? reject(new UnavailableError(`cannot read the end of ${this.topic}: ${err.message}`, { cause: err }))
          : resolve(wm.highOffset),
      ),
    );
    if (this.position >= target) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new UnavailableError(`timed out reading ${this.topic} to its end`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ target, resolve: done });
    });
  }

  private async consumeLoop(): Promise<void> {
    while (this.running) {
      const batch = await new Promise<Kafka.Message[]>((resolve) =>
        this.consumer.consume(100, (err, msgs) => {
          if (err) setTimeout(() => resolve([]), 100);
          else resolve(msgs);
        }),
      );
      for (const m of batch) {
        this.position = m.offset + 1;
        const key = m.key === undefined || m.key === null ? '' : m.key.toString();
        try {
          this.onRecord({ key, value: m.value ?? null, offset: m.offset });
        } catch (e) {
          this.logger.error({ err: e, key }, 'failed to apply a cluster state record; skipped');
        }
      }
      if (batch.length === 0 && this.waiters.length > 0) {
        // Compaction can leave the end of the log without a record to read: ask where we are.
        try {
          const [tp] = this.consumer.position([{ topic: this.topic, partition: 0 }]);
          if (tp && typeof tp.offset === 'number' && tp.offset > this.position) this.position = tp.offset;
        } catch {
          /* not yet positioned */
        }
      }
      if (this.waiters.length > 0) {
        const still: typeof this.waiters = [];
        for (const w of this.waiters) {
          if (this.position >= w.target) w.resolve();
          else still.push(w);
        }
        this.waiters = still;
      }
      if (batch.length === 0) await new Promise((r) => setImmediate(r));
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.loop?.catch(() => undefined);
    await new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
  }
}
