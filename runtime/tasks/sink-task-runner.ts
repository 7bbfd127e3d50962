import Kafka from 'node-rdkafka';
import type { SinkRecord, SinkTask, SinkTaskContext } from '../api';
import { INTERNAL_POOL_WAITERS, threadPoolSize } from '../kafka/thread-pool';
import { connectClient } from '../kafka/metadata';
import type { ConsumedRecord } from '../pipeline/types';
import { taskContext } from './task-context';
import type { SinkRunnerDeps } from './sink-runner-deps';
import { ProgressLedger, type Entry } from './progress-ledger';

const BATCH = 500;

/**
 * Runs one sink task: a consumer in the connector's group `connect-<name>` reads records; the pipeline converts
 * them; the task publishes them and acks each one when its destination accepted it. Only the contiguous prefix of
 * acked records per partition is committed: an offset is never committed before its record was delivered.
 */
export class SinkTaskRunner {
  /** Sink runners consuming in this process: each holds a thread-pool thread while it waits for records. */
  private static live = 0;
  private counted = false;
  private readonly task: SinkTask;
  private readonly consumer: Kafka.KafkaConsumer;
  private readonly ledger = new ProgressLedger<number>();
  private readonly entries = new Map<string, Map<number, Entry<number>>>();
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private running = false;
  private stopping: Promise<void> | undefined;
  private paused = false;
  private failed: Error | undefined;
  private assignment: Kafka.Assignment[] = [];
  private readonly seenTopics = new Set<string>();
  private readonly fetchedAt = new Map<SinkRecord, number>();
  private readonly streamKeys = new Map<string, string[]>();

  constructor(private readonly deps: SinkRunnerDeps) {
    this.task = deps.plugin.createTask();
    const createConsumer = deps.createConsumer ?? ((conf, topicConf) => new Kafka.KafkaConsumer(conf, topicConf));
    this.consumer = createConsumer(
      {
        ...deps.consumerConf,
        'group.id': deps.groupId,
        'client.id': `${deps.groupId}-${deps.taskId}`,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'partition.assignment.strategy': 'cooperative-sticky',
        'fetch.wait.max.ms': 20,
        // consume(n) returns at a partition's end instead of waiting for n records: at 5k records/s a batch of 500
        // would otherwise hold each record ~100 ms.
        'enable.partition.eof': true,
        // A sink configured before its topic exists finds it within seconds, not at the next 5-minute refresh.
        'topic.metadata.refresh.interval.ms': 5000,
        rebalance_cb: true,
        // An async commit reports its outcome only through this callback: without it a failed commit is forgotten.
        offset_commit_cb: true,
      },
      { 'auto.offset.reset': 'earliest' },
    );
    this.consumer.on('rebalance', (err, assignment) => this.onRebalance(err, assignment));
    this.consumer.on('event.error', (err) => deps.logger.warn({ err: err.message }, 'sink consumer error'));
    this.consumer.on('offset.commit', (err, offsets) => this.onCommitted(err, offsets));
    // consume(n) otherwise holds a batch up to a second waiting for n records: a lone record would wait that long.
    this.consumer.setDefaultConsumeTimeout(20);
  }

  async start(): Promise<void> {
    const d = this.deps;
    await connectClient(this.consumer, 30_000, 'sink consumer cannot reach Kafka');
    const ctx: SinkTaskContext = {
      ...taskContext(d, this.abort.signal, (err) => this.fail(err)),
      ack: (record) => this.ack(record),
      reject: (record, err) => this.reject(record, err),
      pause: () => this.setPaused(true),
      resume: () => this.setPaused(false),
    };
    await this.task.start(ctx);
    if (d.topicsRegex) this.consumer.subscribe([new RegExp(d.topicsRegex)]);
    else this.consumer.subscribe([...(d.topics ?? [])]);
    this.running = true;
    this.countLive();
    this.commitTimer = setInterval(() => {
      this.commit(false);
      this.reportLag();
    }, d.commitIntervalMs);
    this.loop = this.consumeLoop();
  }

  private async consumeLoop(): Promise<void> {
    while (this.running && !this.failed) {
      if (this.paused) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const batch = await new Promise<Kafka.Message[]>((resolve) =>
        this.consumer.consume(BATCH, (err, msgs) => {
          if (err) {
            this.deps.logger.debug({ err: err.message }, 'sink consume failed; retrying');
            setTimeout(() => resolve([]), 200);
          } else resolve(msgs);
        }),
      );
      if (batch.length === 0) continue;
      const out: SinkRecord[] = [];
      const now = Date.now();
      for (const m of batch) {
        if (!this.running || this.failed) break;
        const stream = this.streamKey(m.topic, m.partition);
        const entry = this.ledger.track(stream, m.offset + 1);
        let byOffset = this.entries.get(stream);
        if (!byOffset) {
          byOffset = new Map();
          this.entries.set(stream, byOffset);
        }
        byOffset.set(m.offset, entry);
        if (!this.seenTopics.has(m.topic)) {
          this.seenTopics.add(m.topic);
          this.deps.onTopicUsed(m.topic);
        }
        this.deps.metrics.count('consumed');
        let rec: SinkRecord | null;
        try {
          // Most records convert without waiting: no await (and no promise) for those.
          const result = this.deps.pipeline.process(toConsumed(m));
          rec = result instanceof Promise ? await result : result;
        } catch (err) {
          this.fail(err instanceof Error ? err : new Error(String(err)));
          break;
        }
        if (rec === null) this.markDone(m.topic, m.partition, m.offset);
        else {
          this.fetchedAt.set(rec, now);
          out.push(rec);
        }
      }
      if (out.length > 0 && !this.failed) {
        try {
          await this.task.put(out);
        } catch (err) {
          this.fail(err instanceof Error ? err : new Error(String(err)));
        }
      }
    }
  }

  /** The ledger's key of a partition, made once per partition rather than twice per record. */
  private streamKey(topic: string, partition: number): string {
    let keys = this.streamKeys.get(topic);
    if (!keys) {
      keys = [];
      this.streamKeys.set(topic, keys);
    }
    return (keys[partition] ??= `${topic}\u0000${partition}`);
  }

  private ack(record: SinkRecord): void {
    const t = this.fetchedAt.get(record);
    if (t !== undefined) {
      this.fetchedAt.delete(record);
      this.deps.observeLatency?.((Date.now() - t) / 1000);
    }
    this.deps.metrics.count('acknowledged');
    this.markConsumedDone(record);
  }

  private reject(record: SinkRecord, err: Error): void {
    this.fetchedAt.delete(record);
    this.deps.pipeline.reject(record, err).then(
      () => this.markConsumedDone(record),
      (e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))),
    );
  }

  /**
   * The ledger (and so the commit) is keyed by where the record was consumed: a transform that renamed its topic
   * (RegexRouter, TimestampRouter) or changed its partition must not make the ack miss its entry, or nothing would
   * ever be committed and the ledger would grow without bound.
   */
  private markConsumedDone(record: SinkRecord): void {
    this.markDone(
      record.originalTopic ?? record.topic,
      record.originalKafkaPartition ?? record.kafkaPartition,
      record.originalKafkaOffset ?? record.kafkaOffset,
    );
  }

  private markDone(topic: string, partition: number, offset: number): void {
    const stream = this.streamKey(topic, partition);
    const byOffset = this.entries.get(stream);
    const entry = byOffset?.get(offset);
    if (!entry) return; // revoked meanwhile
    byOffset!.delete(offset);
    this.ledger.done(entry);
  }

  /**
   * Commits the acked prefix of every partition (`only`: of those partitions). Whether an async commit reached Kafka
   * is known only later, in {@link onCommitted}; false when a sync commit failed at once.
   */
  private commit(sync: boolean, only?: Set<string>): boolean {
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
      this.commitFailed(err, offsets);
      return false;
    }
  }

  /** The outcome of a commit, served by librdkafka during a poll. "No offset" means there was nothing to commit. */
  private onCommitted(err: Kafka.LibrdKafkaError | undefined, offsets: Kafka.TopicPartitionOffset[]): void {
    if (!err || err.code === Kafka.CODES.ERRORS.ERR__NO_OFFSET) return;
    this.commitFailed(err, offsets);
  }

  /**
   * A commit that did not reach Kafka (coordinator moving, broker unreachable) is not forgotten: its partitions are
   * committed again at the next commit, with whatever prefix is done by then. A partition revoked meanwhile is left
   * to its new owner, who reads from the last commit that did succeed (at least once).
   */
  private commitFailed(err: unknown, offsets: readonly Kafka.TopicPartitionOffset[]): void {
    this.deps.metrics.count('offset_commit_failures');
    const e = err as { message?: unknown; code?: unknown };
    this.deps.logger.warn(
      { err: String(e.message ?? err), code: e.code, partitions: offsets.length },
      'sink offset commit failed; it is retried with the next commit',
    );
    for (const o of offsets) this.ledger.markDirty(this.streamKey(o.topic, o.partition));
  }

  /** Records not yet read, over the assigned partitions, from the watermarks librdkafka caches with each fetch. */
  private reportLag(): void {
    if (this.assignment.length === 0) {
      this.deps.metrics.gauge('consumer_lag', 0);
      return;
    }
    try {
      let lag = 0;
      const positions = this.consumer.position(this.assignment);
      for (const p of positions) {
        const wm = this.consumer.getWatermarkOffsets(p.topic, p.partition);
        if (typeof p.offset === 'number' && p.offset >= 0 && wm.highOffset >= p.offset) lag += wm.highOffset - p.offset;
      }
      this.deps.metrics.gauge('consumer_lag', lag);
    } catch {
      /* no watermarks cached yet: keep the last figure */
    }
  }

  private onRebalance(err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]): void {
    if (err.code === Kafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
      const revoked = new Set(assignment.map((a) => `${a.topic}\u0000${a.partition}`));
      // Commit what was delivered before the partitions go to another member; records still in flight there are
      // redelivered to it (at least once), never skipped.
      this.commit(true, revoked);
      for (const s of revoked) {
        this.ledger.drop(s);
        this.entries.delete(s);
      }
      this.assignment = this.assignment.filter((a) => !revoked.has(`${a.topic}\u0000${a.partition}`));
    } else if (err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
      this.assignment = [...this.assignment, ...assignment];
      if (this.paused) this.consumer.pause(assignment);
    }
  }

  private setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    try {
      if (paused) this.consumer.pause(this.assignment);
      else this.consumer.resume(this.assignment);
    } catch (err) {
      this.deps.logger.debug({ err: (err as Error).message }, 'pause/resume failed');
    }
  }

  private fail(err: Error): void {
    if (this.failed || !this.running) return;
    this.failed = err;
    this.deps.onFailure(err);
  }

  private countLive(): void {
    this.counted = true;
    SinkTaskRunner.live++;
    const pool = threadPoolSize();
    if (SinkTaskRunner.live + INTERNAL_POOL_WAITERS > pool) {
      this.deps.logger.warn(
        { sinkTasks: SinkTaskRunner.live, threadPool: pool },
        'more sink tasks than free thread-pool threads: their consumers wait for each other and records are late; ' +
          'start the worker with a larger UV_THREADPOOL_SIZE',
      );
    }
  }

  /**
   * Stops the task: the loop ends, the task flushes (bounded), the done prefix is committed, then the consumer
   * leaves the group. Every caller gets the same promise.
   */
  stop(timeoutMs: number): Promise<void> {
    this.stopping ??= this.stopOnce(timeoutMs);
    return this.stopping;
  }

  private async stopOnce(timeoutMs: number): Promise<void> {
    if (this.counted) {
      this.counted = false;
      SinkTaskRunner.live--;
    }
    if (!this.running && !this.loop) {
      await this.task.stop().catch(() => undefined);
      await new Promise<void>((r) => this.consumer.disconnect(() => r()));
      return;
    }
    this.running = false;
    // The loop can be inside put() waiting for window room that never comes (broker down, PUBACKs withheld): the
    // whole drain shares one deadline, and past it the task's signal releases put() so the stop always finishes.
    const deadline = Date.now() + timeoutMs;
    const loop = this.loop;
    this.loop = undefined;
    if (loop && !(await settlesWithin(loop, timeoutMs))) {
      this.deps.logger.warn(
        { timeoutMs },
        'sink did not finish handing records to the task in time; unacknowledged records will be read again',
      );
      this.abort.abort();
      await settlesWithin(loop, 1000);
    }
    const flushAbort = new AbortController();
    const timer = setTimeout(() => flushAbort.abort(), Math.max(0, deadline - Date.now()));
    try {
      await this.task.flush(flushAbort.signal);
    } catch (err) {
      this.deps.logger.warn(
        { err: (err as Error).message },
        'sink flush did not finish; undelivered records will be read again',
      );
    } finally {
      clearTimeout(timer);
    }
    if (this.commitTimer) clearInterval(this.commitTimer);
    this.commit(true);
    this.abort.abort();
    await this.task.stop().catch((err: unknown) => this.deps.logger.warn({ err }, 'sink task stop failed'));
    await this.deps.pipeline.close().catch(() => undefined);
    await new Promise<void>((r) => this.consumer.disconnect(() => r()));
  }
}

/** Whether the promise settles (either way) within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
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

function toConsumed(m: Kafka.Message): ConsumedRecord {
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
