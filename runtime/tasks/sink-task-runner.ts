import Kafka from 'node-rdkafka';
import type { SinkRecord, SinkTask, SinkTaskContext } from '../api';
import { INTERNAL_POOL_WAITERS, threadPoolSize } from '../kafka/thread-pool';
import { connectClient } from '../kafka/metadata';
import { taskContext } from './task-context';
import type { SinkRunnerDeps } from './sink-runner-deps';
import { ProgressLedger, type Entry } from './progress-ledger';
import { partitionStream, SinkCommits } from './sink-commits';
import { consumeBatch, reportLag, settlesWithin, toConsumed } from './sink-fetch';

const BATCH = 500;
/** How long `put` may wait for room before the runner stops fetching and only polls (keeping its group membership). */
const HOLD_AFTER_MS = 1000;
/** Between polls while fetching is held. */
const HELD_POLL_MS = 100;
/** What a stop may take beyond its graceful timeout: the task's and the consumer's own shutdown. */
const STOP_TAIL_MS = 900;
/** Between tries of the last commit of a stop, while the graceful timeout lasts. */
const FINAL_COMMIT_RETRY_MS = 200;
/** The task is told to cut its connection this long before the stop stops waiting for it, so it gets to do so. */
const TASK_CUT_LEAD_MS = 100;

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
  private readonly commits: SinkCommits;
  private readonly ledger = new ProgressLedger<number>();
  private readonly entries = new Map<string, Map<number, Entry<number>>>();
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private running = false;
  private stopping: Promise<void> | undefined;
  /** The task asked for a pause (e.g. its broker is down). */
  private paused = false;
  /** The runner itself holds fetching while `put` waits long for room. */
  private held = false;
  private fetchPaused = false;
  /** Partitions were assigned while fetching was paused: pause them too at the next poll. */
  private repause = false;
  /** Fetched while fetching was paused (before the pause took effect): handled first, in order, once it resumes. */
  private carry: Kafka.Message[] = [];
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
    this.commits = new SinkCommits(this.consumer, this.ledger, deps.logger, deps.metrics);
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
      this.commits.commit(false);
      reportLag(this.consumer, this.assignment, this.deps.metrics);
    }, d.commitIntervalMs);
    this.loop = this.consumeLoop();
  }

  private async consumeLoop(): Promise<void> {
    while (this.running && !this.failed) {
      if (this.paused) {
        await this.pollHeld();
        continue;
      }
      const batch =
        this.carry.length > 0 ? this.carry.splice(0) : await consumeBatch(this.consumer, BATCH, this.deps.logger);
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
          await this.putKeepingMembership(out);
        } catch (err) {
          this.fail(err instanceof Error ? err : new Error(String(err)));
        }
      }
    }
  }

  /**
   * Hands records to the task. A `put` waiting long for room (MQTT broker down, acks withheld) must not stop the
   * polling: past `max.poll.interval.ms` librdkafka would leave the group, the partitions would move to another member
   * while this one still publishes, and the group would rebalance again when it returns. So the runner pauses the
   * assigned partitions and keeps polling until `put` returns, then resumes them.
   */
  private async putKeepingMembership(records: SinkRecord[]): Promise<void> {
    const put = this.task.put(records);
    if (await settlesWithin(put, HOLD_AFTER_MS)) return put;
    let settled = false;
    const done = put.then(
      () => void (settled = true),
      () => void (settled = true),
    );
    this.held = true;
    this.applyPause();
    try {
      while (!settled) await this.pollHeld(done);
    } finally {
      this.held = false;
      this.applyPause();
    }
    return put;
  }

  /**
   * One poll with fetching paused: librdkafka serves the group (heartbeats, rebalances, max.poll.interval.ms) only
   * while the application polls. What was fetched before the pause took effect is kept in order for later.
   */
  private async pollHeld(until?: Promise<void>): Promise<void> {
    if (this.repause) {
      this.repause = false;
      this.applyPause(true);
    }
    this.carry.push(...(await consumeBatch(this.consumer, BATCH, this.deps.logger)));
    const wait = new Promise<void>((r) => setTimeout(r, HELD_POLL_MS));
    await (until ? Promise.race([wait, until]) : wait);
  }

  /** The ledger's key of a partition, made once per partition rather than twice per record. */
  private streamKey(topic: string, partition: number): string {
    let keys = this.streamKeys.get(topic);
    if (!keys) {
      keys = [];
      this.streamKeys.set(topic, keys);
    }
    return (keys[partition] ??= partitionStream(topic, partition));
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

  private onRebalance(err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]): void {
    if (err.code === Kafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
      const revoked = new Set(assignment.map((a) => partitionStream(a.topic, a.partition)));
      // Commit what was delivered before the partitions go to another member; records still in flight there are
      // redelivered to it (at least once), never skipped.
      this.commits.commit(true, revoked);
      for (const s of revoked) {
        this.ledger.drop(s);
        this.entries.delete(s);
      }
      this.assignment = this.assignment.filter((a) => !revoked.has(partitionStream(a.topic, a.partition)));
      this.carry = this.carry.filter((m) => !revoked.has(this.streamKey(m.topic, m.partition)));
    } else if (err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
      this.assignment = [...this.assignment, ...assignment];
      if (this.fetchPaused) this.repause = true;
    }
  }

  private setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    this.applyPause();
  }

  /** Fetching is paused while the task asked for it or while the runner holds it; `again`: re-apply to every partition. */
  private applyPause(again = false): void {
    const pause = this.paused || this.held;
    if (pause === this.fetchPaused && !again) return;
    this.fetchPaused = pause;
    try {
      if (pause) this.consumer.pause(this.assignment);
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
    // One budget for the whole stop: draining and flushing get the graceful timeout, the task's and the consumer's
    // own shutdown what is left of it plus STOP_TAIL_MS. A step cut off is logged; what it did not deliver is read
    // again by the partition's next owner.
    const deadline = Date.now() + timeoutMs;
    if (this.counted) {
      this.counted = false;
      SinkTaskRunner.live--;
    }
    if (this.running || this.loop) await this.drain(deadline);
    this.abort.abort();
    await this.shutDown(deadline + STOP_TAIL_MS);
  }

  /** Ends the loop, lets the task finish what it was handed, and commits what is done (retrying a failed commit). */
  private async drain(deadline: number): Promise<void> {
    this.running = false;
    // The loop can be inside put() waiting for window room that never comes (broker down, PUBACKs withheld): past
    // the deadline the task's signal releases put() so the stop always finishes.
    const loop = this.loop;
    this.loop = undefined;
    if (loop && !(await settlesWithin(loop, deadline - Date.now()))) {
      this.deps.logger.warn(
        'sink did not finish handing records to the task in time; unacknowledged records will be read again',
      );
      this.abort.abort();
      await settlesWithin(loop, 200);
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
    while (!this.commits.commit(true) && Date.now() + FINAL_COMMIT_RETRY_MS < deadline) {
      await new Promise((r) => setTimeout(r, FINAL_COMMIT_RETRY_MS));
    }
  }

  /**
   * Stops the task, closes the pipeline and leaves the group, side by side (the commits are written already), none
   * waited for past `end`: a task whose broker stopped answering or a consumer that cannot reach its coordinator must
   * not hold up a rebalance or the worker's exit. The task's signal tells it to cut its connection just before `end`.
   */
  private async shutDown(end: number): Promise<void> {
    const cut = new AbortController();
    const timer = setTimeout(() => cut.abort(), Math.max(0, end - TASK_CUT_LEAD_MS - Date.now()));
    const steps: [string, Promise<unknown>][] = [
      ['the sink task', this.task.stop(cut.signal)],
      ['the pipeline', this.deps.pipeline.close()],
      ['the consumer leaving its group', new Promise<void>((r) => this.consumer.disconnect(() => r()))],
    ];
    try {
      await Promise.all(
        steps.map(async ([what, p]) => {
          void p.catch((err: unknown) => this.deps.logger.warn({ err: String(err) }, `stopping ${what} failed`));
          if (!(await settlesWithin(p, end - Date.now())))
            this.deps.logger.warn({ step: what }, `stopping ${what} did not finish in time; left to finish alone`);
        }),
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
