import type Kafka from 'node-rdkafka';
import type { Logger, OffsetMap, RecordCallback, TaskMetrics } from '../api';
import { TaskFailedError, UnavailableError } from '../api';
import { keyPartition, topicMetadata, type DataProducer, type DeliveryCallback } from '../kafka';
import type { ProducerRecord } from '../pipeline/types';
import { offsetKey } from '../storage/offset-store';

/** A source offset to write inside the transaction that holds its record. */
export interface OffsetEntry {
  readonly partition: OffsetMap;
  readonly offset: OffsetMap;
}

/** What the source task runner gives its transactions. */
export interface TransactionSource {
  /** The offsets of every record delivered since the last call (the runner's committable prefix per partition). */
  takeOffsets(): OffsetEntry[];
  /** Offsets taken for a transaction that was aborted: their records are not in Kafka. */
  offsetsAborted(entries: readonly OffsetEntry[]): void;
  /** The task cannot go on (fenced, or the producer failed for good). */
  fail(err: Error): void;
}

export interface SourceTransactionsOptions {
  /** A producer of this task alone, built with `transactional.id`; started and stopped here. */
  readonly producer: DataProducer;
  readonly transactionalId: string;
  readonly connector: string;
  /** The worker's offsets topic: the task's offset records go there in the same transaction. */
  readonly offsetsTopic: string;
  readonly boundary: 'poll' | 'interval';
  readonly intervalMs: number;
  readonly maxRecords: number;
  /** Bound on initTransactions, commit and abort calls. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly metrics: TaskMetrics;
}

type TxnError = Error & { code?: number; isFatal?: boolean; isRetriable?: boolean; isTxnRequiresAbort?: boolean };

/** Commit attempts for a commit that failed with a retriable error, before the transaction is aborted instead. */
const COMMIT_TRIES = 3;

/**
 * One source task's Kafka transactions (exactly-once source mode, docs/exactly-once.md). Each transaction holds the
 * task's records and the source offsets of those records, written to the worker's offsets topic. A record's
 * callback (for the MQTT source: its acknowledgement) is held until the transaction that holds the record is
 * committed; an abort, or a commit that fails, calls them with an error instead, so the source acknowledges nothing
 * and its broker redelivers. `start()` calls initTransactions, which fences any earlier producer with the same
 * transactional id (a previous generation of this task on another worker) before anything is produced.
 *
 * While a commit is under way librdkafka accepts no records: those sent meanwhile wait here, in order, for the next
 * transaction.
 */
export class SourceTransactions {
  private source: TransactionSource | undefined;
  private acks: RecordCallback[] = [];
  private readonly held: { rec: ProducerRecord; cb: DeliveryCallback }[] = [];
  private records = 0;
  /** A commit or abort is under way (or no transaction has begun): records wait in `held`. */
  private blocked = true;
  private committing: Promise<void> | undefined;
  private again = false;
  private dead: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private offsetsPartitions = 0;
  private closing: Promise<void> | undefined;
  private scheduled = false;

  constructor(private readonly o: SourceTransactionsOptions) {}

  attach(source: TransactionSource): void {
    this.source = source;
  }

  /** Connects, fences the previous holder of the transactional id and begins the first transaction. */
  async start(): Promise<void> {
    const o = this.o;
    await o.producer.start();
    const md = await topicMetadata(o.producer.client, o.offsetsTopic, o.timeoutMs);
    if (!md) throw new UnavailableError(`the offsets topic ${o.offsetsTopic} does not exist`);
    this.offsetsPartitions = md.partitions.length;
    await this.call('initTransactions', (cb) => o.producer.client.initTransactions(o.timeoutMs, cb));
    await this.begin();
    this.blocked = false;
    this.sendHeld();
    o.logger.info(
      { transactionalId: o.transactionalId, boundary: o.boundary, maxRecords: o.maxRecords },
      'exactly-once source: transactions ready',
    );
    if (o.boundary === 'interval') this.timer = setInterval(() => void this.commit(), o.intervalMs);
  }

  /** Sends a record into the open transaction (or the next one, while a commit is under way). */
  send(rec: ProducerRecord, cb: DeliveryCallback): void {
    if (this.dead) {
      cb(this.dead);
      return;
    }
    if (this.blocked) {
      this.held.push({ rec, cb });
      return;
    }
    this.records++;
    this.o.producer.send(rec, cb);
    if (this.records >= this.o.maxRecords) void this.commit();
  }

  /** Wraps a record's callback so that success is reported only once its transaction is committed. */
  hold(done: RecordCallback): RecordCallback {
    return (err) => {
      if (err) {
        done(err);
        return;
      }
      this.acks.push(done);
      if (this.o.boundary === 'poll' && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.commit();
        });
      }
    };
  }

  /**
   * Commits the open transaction: waits for the delivery reports of its records, adds the offsets of what was
   * delivered, commits, then releases the held callbacks. A call during a commit runs one more commit after it.
   */
  commit(): Promise<void> {
    if (this.committing) {
      this.again = true;
      return this.committing;
    }
    this.committing = this.commitLoop().finally(() => (this.committing = undefined));
    return this.committing;
  }

  private async commitLoop(): Promise<void> {
    do {
      this.again = false;
      await this.commitOnce();
    } while (this.again && !this.dead);
  }

  private async commitOnce(): Promise<void> {
    if (this.dead || !this.source) return;
    this.blocked = true;
    let acks: RecordCallback[] = [];
    let offsets: OffsetEntry[] = [];
    try {
      // Every record of this transaction has its delivery report (and so its offset in the runner's ledger).
      while (this.o.producer.pending > 0) await new Promise((r) => setTimeout(r, 1));
      acks = this.acks;
      this.acks = [];
      offsets = this.source.takeOffsets();
      if (acks.length === 0 && offsets.length === 0 && this.records === 0) return;
      await Promise.all(offsets.map((e) => this.o.producer.sendAsync(this.offsetRecord(e))));
      await this.commitWithRetries();
      this.records = 0;
      this.o.metrics.count('transactions_committed');
      for (const done of acks) this.release(done);
      await this.begin();
    } catch (err) {
      await this.aborted(err as TxnError, acks, offsets);
    } finally {
      if (!this.dead) {
        this.blocked = false;
        this.sendHeld();
      }
    }
  }

  private async commitWithRetries(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.call('commitTransaction', (cb) => this.o.producer.client.commitTransaction(this.o.timeoutMs, cb));
        return;
      } catch (err) {
        const e = err as TxnError;
        if (!e.isRetriable || e.isFatal || e.isTxnRequiresAbort || attempt >= COMMIT_TRIES) throw err;
      }
    }
  }

  /**
   * The commit failed (or an abort was asked for): abort, answer every held callback with the error (nothing
   * acknowledged) and fail the task on a retriable error. Going on in the same generation would write duplicates:
   * the source's broker redelivers every unacknowledged message, while records already queued or held behind the
   * aborted ones would still be written. The restarted task starts from the last committed offsets.
   */
  private async aborted(err: TxnError, acks: RecordCallback[], offsets: OffsetEntry[]): Promise<void> {
    this.source?.offsetsAborted(offsets);
    if (err.isFatal) {
      this.kill(err, acks, false);
      return;
    }
    try {
      await this.call('abortTransaction', (cb) => this.o.producer.client.abortTransaction(this.o.timeoutMs, cb));
    } catch (abortErr) {
      this.kill(abortErr as TxnError, acks, false);
      return;
    }
    this.o.metrics.count('transactions_aborted');
    this.o.logger.warn({ err: err.message }, 'transaction aborted; its source messages stay unacknowledged');
    this.kill(err, acks, true);
  }

  /**
   * Aborts the open transaction on purpose (e.g. a test forcing one): nothing of it becomes visible, its records'
   * sources are told so, and the task fails to restart.
   */
  abort(reason: Error): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.dead) return;
      this.blocked = true;
      while (this.o.producer.pending > 0) await new Promise((r) => setTimeout(r, 1));
      const acks = this.acks;
      this.acks = [];
      await this.aborted(reason, acks, this.source?.takeOffsets() ?? []);
    };
    const prev = this.committing ?? Promise.resolve();
    this.committing = prev.then(run).finally(() => (this.committing = undefined));
    return this.committing;
  }

  /**
   * This generation's transactions end: held callbacks get the error, the task fails. `aborted`: the transaction was
   * aborted cleanly, a restart may go on (retriable); otherwise the producer was fenced by a newer generation of
   * the task, or failed for good.
   */
  private kill(err: TxnError, acks: RecordCallback[], aborted: boolean): void {
    const fenced = err.code === -144 || err.code === 90 || err.code === 47; // _FENCED, PRODUCER_FENCED, INVALID_PRODUCER_EPOCH
    this.dead = aborted
      ? new UnavailableError(`the Kafka transaction was aborted: ${err.message}`, { cause: err })
      : new TaskFailedError(
          fenced
            ? `transactional id ${this.o.transactionalId} was fenced by a newer generation of this task: ${err.message}`
            : `the transactional producer cannot go on: ${err.message}`,
          { cause: err },
        );
    for (const done of acks) this.release(done, this.dead);
    for (const { cb } of this.held.splice(0)) cb(this.dead);
    if (!aborted)
      this.o.logger.error({ err: this.dead.message, transactionalId: this.o.transactionalId }, 'transactions stopped');
    this.source?.fail(this.dead);
  }

  private release(done: RecordCallback, err?: Error): void {
    try {
      done(err);
    } catch (e) {
      this.source?.fail(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private sendHeld(): void {
    for (const { rec, cb } of this.held.splice(0)) this.send(rec, cb);
  }

  private async begin(): Promise<void> {
    await this.call('beginTransaction', (cb) => this.o.producer.client.beginTransaction(cb));
  }

  private offsetRecord(e: OffsetEntry): ProducerRecord {
    const key = Buffer.from(offsetKey(this.o.connector, e.partition));
    return {
      topic: this.o.offsetsTopic,
      partition: keyPartition(key, this.offsetsPartitions),
      key,
      value: Buffer.from(JSON.stringify(e.offset)),
      headers: [],
    };
  }

  private call(what: string, fn: (cb: (err: Kafka.LibrdKafkaError | null) => void) => void): Promise<void> {
    return new Promise((resolve, reject) =>
      fn((err) => {
        if (!err) resolve();
        else reject(Object.assign(new Error(`${what}: ${err.message}`), err, { message: `${what}: ${err.message}` }));
      }),
    );
  }

  /**
   * Ends the transactions: commits what was delivered (or aborts, when `commitFirst` is false), then disconnects.
   * Idempotent.
   */
  close(commitFirst: boolean): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      if (!this.dead && this.source) {
        if (commitFirst) await this.commit();
        else await this.abort(new UnavailableError('the task is stopping'));
      }
      this.dead ??= new UnavailableError('the task is stopping');
      for (const { cb } of this.held.splice(0)) cb(this.dead);
      await this.o.producer.stop();
    })();
    return this.closing;
  }
}
