import type {
  ConfigValues,
  Logger,
  OffsetMap,
  RawConfig,
  RecordCallback,
  SourceConnectorPlugin,
  SourceRecord,
  SourceTask,
  SourceTaskContext,
  TaskMetrics,
} from '../api';
import { TaskFailedError, UnavailableError } from '../api';
import type { DataProducer } from '../kafka';
import type { ProducerRecord, SourcePipeline } from '../pipeline/types';
import type { OffsetStore } from '../storage';
import { canonicalJson } from '../storage';
import { taskContext } from './task-context';
import { ProgressLedger, type Entry } from './progress-ledger';
import type { TopicCreator } from './topic-creator';
import type { OffsetEntry, SourceTransactions } from './source-transactions';

export interface SourceRunnerDeps {
  readonly connector: string;
  readonly taskId: number;
  readonly workerId: string;
  readonly plugin: SourceConnectorPlugin;
  readonly config: ConfigValues;
  readonly rawConfig: RawConfig;
  readonly settings: unknown;
  readonly pipeline: SourcePipeline;
  readonly producer: Pick<DataProducer, 'send'>;
  /** Exactly-once mode: records and offsets go in this task's transactions, callbacks fire on commit. */
  readonly transactions?: SourceTransactions;
  readonly topics: TopicCreator;
  readonly offsets: OffsetStore;
  readonly logger: Logger;
  readonly metrics: TaskMetrics;
  readonly flushIntervalMs: number;
  /** Partitions and replication factor for topics this task creates (-1 = broker default). */
  readonly topicCreation: { partitions: number; replicationFactor: number };
  observeLatency?(seconds: number): void;
  onTopicUsed(topic: string): void;
  /** The task failed: the worker records FAILED with the trace (and may restart it). */
  onFailure(err: Error): void;
}

function isRetriable(err: Error): boolean {
  return (err as { retriable?: unknown }).retriable === true;
}

interface Pending {
  /** Cleared once the record is handed to the producer. */
  record: SourceRecord | undefined;
  readonly done: RecordCallback;
  readonly receivedAt: number;
}

/** Records processed before the pump lets the event loop run (delivery reports, socket reads). */
const PUMP_YIELD_EVERY = 100;

/** Bound on records a poll-model task may have in flight before poll() is no longer called. */
const POLL_MAX_IN_FLIGHT = 10_000;

/**
 * Runs one source task: records go through the pipeline in arrival order, then to the producer; each record's
 * callback fires when Kafka has it. Source offsets advance only over the contiguous prefix of delivered records
 * per source partition and are written to the offsets topic every `flushIntervalMs`.
 */
export class SourceTaskRunner {
  private readonly task: SourceTask;
  private readonly queue: Pending[] = [];
  private pumping = false;
  private failed: Error | undefined;
  /** A stop began: no new records are taken; those already taken still go to Kafka until the deadline. */
  private closing = false;
  /** The stop's deadline passed (or the drain ended): what is still queued is not handed to the producer. */
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly progress = new ProgressLedger<OffsetMap>();
  private readonly partitions = new Map<string, OffsetMap>();
  private flushTimer: NodeJS.Timeout | undefined;
  private pollLoop: Promise<void> | undefined;
  private inFlight = 0;
  private readonly seenTopics = new Set<string>();
  private idleWaiters: (() => void)[] = [];
  private lastPartition: OffsetMap | undefined;
  private lastPartitionKey: string | undefined;

  constructor(private readonly deps: SourceRunnerDeps) {
    this.task = deps.plugin.createTask();
    deps.transactions?.attach({
      takeOffsets: () => this.takeOffsets(),
      offsetsAborted: () => undefined,
      fail: (err) => this.fail(err),
    });
  }

  async start(): Promise<void> {
    const d = this.deps;
    const ctx: SourceTaskContext = {
      ...taskContext(d, this.abort.signal, (err) => this.fail(err)),
      send: (record, done) => this.send(record, done),
      offset: (partition) => Promise.resolve(d.offsets.get(d.connector, partition)),
      storeOffset: (partition, offset) => d.offsets.write(d.connector, [{ partition, offset }]),
      offsets: async () => {
        await d.offsets.readToEnd();
        return d.offsets.list(d.connector);
      },
    };
    // In exactly-once mode the transactions commit the offsets (and fence an earlier generation before any record).
    if (d.transactions) await d.transactions.start();
    else this.flushTimer = setInterval(() => void this.flushOffsets(), d.flushIntervalMs);
    await this.task.start(ctx);
    if (this.task.poll) this.pollLoop = this.runPollLoop();
  }

  private async runPollLoop(): Promise<void> {
    while (!this.closing && !this.failed) {
      if (this.inFlight >= POLL_MAX_IN_FLIGHT) {
        await new Promise<void>((r) => this.idleWaiters.push(r));
        continue;
      }
      let records: SourceRecord[];
      try {
        records = await this.task.poll!(this.abort.signal);
      } catch (err) {
        if (!this.closing) this.fail(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      for (const r of records) this.send(r, () => undefined);
      if (records.length === 0) await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** SourceTaskContext.send */
  private send(record: SourceRecord, done: RecordCallback): void {
    if (this.failed || this.closing) {
      done(this.failed ?? new UnavailableError('the task is stopping'));
      return;
    }
    this.deps.metrics.count('received');
    this.inFlight++;
    const txn = this.deps.transactions;
    this.queue.push({ record, done: txn ? txn.hold(done) : done, receivedAt: Date.now() });
    if (!this.pumping) void this.pump();
  }

  /** Processes queued records strictly in arrival order, so each device's records reach Kafka in order. */
  private async pump(): Promise<void> {
    this.pumping = true;
    let sinceYield = 0;
    try {
      while (this.queue.length > 0) {
        // With cached schemas the pipeline never waits, so without a pause here a full window would be processed
        // in one go while delivery reports (and so the source's acknowledgements) queue up behind it.
        if (++sinceYield >= PUMP_YIELD_EVERY) {
          sinceYield = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        const item = this.queue.shift()!;
        if (this.failed || this.stopped) {
          this.complete(item, this.failed ?? new UnavailableError('the task is stopping'));
          continue;
        }
        let out: ProducerRecord | null;
        try {
          // Most records convert without waiting: no await (and no promise) for those.
          const result = this.deps.pipeline.process(item.record!);
          if (result instanceof Promise) {
            out = await result;
            // The stop's deadline may have passed meanwhile: a record produced now could land after the copy the
            // source redelivers to the task's successor.
            if (this.stopped && out !== null) {
              this.complete(item, new UnavailableError('the task stopped'));
              continue;
            }
          } else out = result;
        } catch (err) {
          const e = err instanceof Error ? err : new Error(String(err));
          this.complete(item, e);
          this.fail(e);
          continue;
        }
        if (out === null) {
          // Filtered out, or written to the dead-letter queue: done for the source and for offsets.
          this.progress.done(this.track(item));
          this.complete(item);
          continue;
        }
        const creating = this.deps.topics.ensure(
          out.topic,
          this.deps.topicCreation.partitions,
          this.deps.topicCreation.replicationFactor,
          this.deps.connector,
        );
        if (creating) {
          try {
            await creating;
          } catch (err) {
            const e = new TaskFailedError(`cannot create topic ${out.topic}: ${(err as Error).message}`, {
              cause: err,
            });
            this.complete(item, e);
            this.fail(e);
            continue;
          }
          if (this.stopped) {
            this.complete(item, new UnavailableError('the task stopped'));
            continue;
          }
        }
        if (!this.seenTopics.has(out.topic)) {
          this.seenTopics.add(out.topic);
          this.deps.onTopicUsed(out.topic);
        }
        const entry = this.track(item);
        // Only the callback, the arrival time and the ledger entry are needed until Kafka answers: let the record
        // (decoded value, headers, source bytes) go, which is most of the memory of a record in flight.
        // A pipeline that may tolerate a refused record needs the original to dead-letter it.
        const kept = this.deps.pipeline.toleratesRefusals === true ? item.record : undefined;
        item.record = undefined;
        (this.deps.transactions ?? this.deps.producer).send(out, (err) => {
          if (err && kept !== undefined && !isRetriable(err)) {
            void this.refused(item, entry, kept, err);
            return;
          }
          if (err) {
            this.complete(item, err);
            this.fail(err);
            return;
          }
          this.progress.done(entry);
          this.deps.metrics.count('written');
          this.deps.observeLatency?.((Date.now() - item.receivedAt) / 1000);
          this.complete(item);
        });
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Kafka refused a record for good (too large, not authorised): retrying or restarting would fail on it again, so
   * the error policy decides. Tolerated, it is done for the source (acknowledged in order) and for its offset.
   */
  private async refused(item: Pending, entry: Entry<OffsetMap>, record: SourceRecord, err: Error): Promise<void> {
    try {
      await this.deps.pipeline.refused!(record, err);
    } catch (e) {
      const failure = e instanceof Error ? e : new Error(String(e));
      this.complete(item, failure);
      this.fail(failure);
      return;
    }
    this.progress.done(entry);
    this.complete(item);
  }

  private track(item: Pending): Entry<OffsetMap> {
    const record = item.record!;
    const partition = record.sourcePartition;
    // A task that reuses one frozen partition object for a run of records (the MQTT source does) gets its canonical
    // text computed once; an object that is not frozen might have changed since, so it is read every time.
    let key: string;
    if (partition === this.lastPartition && this.lastPartitionKey !== undefined) key = this.lastPartitionKey;
    else {
      key = canonicalJson(partition);
      if (Object.isFrozen(partition)) {
        this.lastPartition = partition;
        this.lastPartitionKey = key;
      }
    }
    if (!this.partitions.has(key)) this.partitions.set(key, partition);
    return this.progress.track(key, record.sourceOffset);
  }

  private complete(item: Pending, err?: Error): void {
    this.inFlight--;
    if (err) this.deps.metrics.count('failed');
    try {
      item.done(err);
    } catch (e) {
      // The task's own completion code failed (e.g. writing the MQTT ack): it cannot be trusted to go on.
      this.fail(e instanceof Error ? e : new Error(String(e)));
    }
    if (this.inFlight < POLL_MAX_IN_FLIGHT / 2 && this.idleWaiters.length > 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private fail(err: Error): void {
    if (this.failed || this.closing) return;
    this.failed = err;
    this.deps.onFailure(err);
  }

  /** Writes the offsets of delivered records (contiguous prefix per source partition). */
  async flushOffsets(): Promise<void> {
    const entries = this.takeOffsets();
    if (entries.length === 0) return;
    try {
      await this.deps.offsets.write(this.deps.connector, entries);
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'could not write source offsets; will retry');
      // The next flush writes them (or newer ones).
      for (const e of entries) this.progress.markDirty(canonicalJson(e.partition));
    }
  }

  /** The committable offset of every source partition whose delivered prefix moved since the last call. */
  private takeOffsets(): OffsetEntry[] {
    const ready = this.progress.takeCommittable();
    return [...ready].map(([k, offset]) => ({ partition: this.partitions.get(k)!, offset }));
  }

  /**
   * The task leaves for good (a shrink): it drains what its source queued for it through this running pipeline,
   * within `timeoutMs`. True when it says nothing is left behind (or it has nothing to drain).
   */
  async retire(timeoutMs: number): Promise<boolean> {
    if (!this.task.retire) return true;
    if (this.closing || this.failed) return false;
    try {
      return await this.task.retire(AbortSignal.any([this.abort.signal, AbortSignal.timeout(timeoutMs)]));
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'source task could not drain before leaving');
      return false;
    }
  }

  /**
   * Stops the task. Every caller gets the same promise, so a second caller waits for the offsets too.
   *
   * A task with `stopAdmitting` stops gracefully: it takes no new data; the records it already sent go on to Kafka
   * and their callbacks fire (so the source acknowledges them) until `timeoutMs`; the offsets of what was delivered
   * are written (in exactly-once mode: the last transaction commits, which releases the callbacks); only then is the
   * task stopped (the MQTT source disconnects, keeping its session). What was not delivered by then is never
   * acknowledged: the task is stopped before its callback can fire, and the source redelivers it. A task without
   * `stopAdmitting` is stopped first, then records in flight get until `timeoutMs`.
   */
  stop(timeoutMs: number): Promise<void> {
    this.stopping ??= this.stopOnce(timeoutMs);
    return this.stopping;
  }

  private async stopOnce(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.closing = true;
    this.abort.abort();
    for (const w of this.idleWaiters.splice(0)) w();
    const graceful = this.task.stopAdmitting !== undefined;
    if (graceful) {
      try {
        this.task.stopAdmitting!();
      } catch (err) {
        this.deps.logger.warn({ err: (err as Error).message }, 'source task could not stop admitting');
      }
    } else await this.stopTask();
    await this.pollLoop?.catch(() => undefined);
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.stopped = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    const left = this.inFlight;
    if (left === 0) {
      // Drained: the acks are on their way; the offsets are written before the task lets go of its source.
      await this.writeLastOffsets();
      if (graceful) await this.stopTask();
    } else {
      // The deadline passed with records still on their way to Kafka: stop the task first, so that no callback
      // firing from now on acknowledges anything to the source; it redelivers those messages to the successor.
      if (graceful) await this.stopTask();
      await this.writeLastOffsets();
      this.deps.logger.warn(
        { records: left, timeoutMs },
        'records not in Kafka when the graceful stop timed out; not acknowledged, the source sends them again',
      );
    }
    await this.deps.pipeline.close().catch(() => undefined);
  }

  private async writeLastOffsets(): Promise<void> {
    if (this.deps.transactions) await this.deps.transactions.close(this.failed === undefined);
    else await this.flushOffsets();
  }

  private async stopTask(): Promise<void> {
    try {
      await this.task.stop();
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'source task stop failed');
    }
  }
}
