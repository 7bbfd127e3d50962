/**
 * The sink task runner with a fake consumer, task and pipeline: no network. What it promises: an offset is committed
 * only over the prefix of a partition whose records the task published (acked), each partition on its own; a record
 * whose publish failed is never committed; stop() is one shared stop, however many callers.
 */
import Kafka from 'node-rdkafka';
import type { SinkConnectorPlugin, SinkRecord, SinkTask, SinkTaskContext } from '../../../runtime/api';
import type { SinkPipeline } from '../../../runtime/pipeline/types';
import { SinkTaskRunner } from '../../../runtime/tasks/sink-task-runner';
import { quietLogger } from '../../helpers/logger';
import { runnerTask } from '../../helpers/runner';

/** Keeps what the runner handed it; the test acks or rejects through the context the runner gave. */
class FakeSinkTask implements SinkTask {
  ctx: SinkTaskContext | undefined;
  readonly received: SinkRecord[] = [];
  stops = 0;
  /** Set: put() waits until it is called (no window room), or until the task's signal aborts. */
  blockPuts = false;
  private release: (() => void) | undefined;
  /** false: stop() never finishes by itself (a broker that stopped answering); it ends only when its signal aborts. */
  stopsAlone = true;
  stopSignal: AbortSignal | undefined;
  start(ctx: SinkTaskContext): Promise<void> {
    this.ctx = ctx;
    return Promise.resolve();
  }
  put(records: readonly SinkRecord[]): Promise<void> {
    this.received.push(...records);
    if (!this.blockPuts) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.release = resolve;
      this.ctx?.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
  /** Gives room again: the waiting put() returns. */
  room(): void {
    this.blockPuts = false;
    this.release?.();
  }
  get putWaiting(): boolean {
    return this.blockPuts && this.release !== undefined;
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  stop(signal?: AbortSignal): Promise<void> {
    this.stops++;
    this.stopSignal = signal;
    if (this.stopsAlone) return Promise.resolve();
    // Never resolves on its own; a stop that honours its signal could end here, this one does not even do that.
    return new Promise<void>(() => undefined);
  }
  /** The record read from partition `partition` at `offset`. */
  record(partition: number, offset: number): SinkRecord {
    const r = this.received.find((x) => x.kafkaPartition === partition && x.kafkaOffset === offset);
    if (!r) throw new Error(`no record ${partition}@${offset} reached the task`);
    return r;
  }
}

/** The consumer calls the runner makes, with the messages the test queues and the commits the runner asks for. */
class FakeConsumer {
  readonly queue: Kafka.Message[] = [];
  readonly commits: Kafka.TopicPartitionOffset[][] = [];
  readonly syncCommits: Kafka.TopicPartitionOffset[][] = [];
  disconnects = 0;
  private readonly listeners = new Map<string, ((...args: unknown[]) => void)[]>();

  on(event: string, cb: (...args: unknown[]) => void): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), cb]);
    return this;
  }
  removeListener(): this {
    return this;
  }
  emit(event: string, ...args: unknown[]): void {
    for (const cb of this.listeners.get(event) ?? []) cb(...args);
  }
  connect(_opts: unknown, cb: (err: Error | null) => void): void {
    setImmediate(() => cb(null));
  }
  setDefaultConsumeTimeout(): void {}
  subscribe(): void {}
  consume(n: number, cb: (err: Error | null, msgs: Kafka.Message[]) => void): void {
    if (this.paused) this.pausedPolls++;
    // Nothing queued: answer a moment later, as librdkafka's consume timeout would, so the loop does not spin.
    if (this.queue.length === 0) setTimeout(() => cb(null, []), 1);
    else setImmediate(() => cb(null, this.queue.splice(0, n)));
  }
  commit(offsets: Kafka.TopicPartitionOffset[]): void {
    this.commits.push(offsets);
  }
  commitSync(offsets: Kafka.TopicPartitionOffset[]): void {
    this.syncCommits.push(offsets);
  }
  position(): Kafka.TopicPartitionOffset[] {
    return [];
  }
  /** Whether fetching is paused (any partition), and how many polls happened while it was. */
  paused = false;
  pausedPolls = 0;
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  /** false: the consumer never manages to leave its group (coordinator unreachable). */
  leaves = true;
  disconnect(cb: () => void): void {
    this.disconnects++;
    if (this.leaves) setImmediate(cb);
  }
  /** Queues a message of topic `in` for the runner's next consume. */
  add(partition: number, offset: number): void {
    this.queue.push({
      topic: 'in',
      partition,
      offset,
      key: null,
      value: Buffer.from(`${partition}@${offset}`),
      size: 0,
    });
  }
  /** Every commit the runner asked for, as `partition -> offset`, later commits over earlier ones. */
  committed(): Map<number, number> {
    const out = new Map<number, number>();
    for (const batch of [...this.commits, ...this.syncCommits])
      for (const o of batch) out.set(o.partition, o.offset ?? -1);
    return out;
  }
}

function setup(opts: { rejectFails?: boolean; commitIntervalMs?: number } = {}) {
  const task = new FakeSinkTask();
  const counters = new Map<string, number>();
  const logLines: string[] = [];
  const consumer = new FakeConsumer();
  const failures: Error[] = [];
  const pipeline: SinkPipeline = {
    process: (m) => ({
      topic: m.topic,
      kafkaPartition: m.partition,
      kafkaOffset: m.offset,
      key: null,
      value: m.value,
      headers: [],
    }),
    // With errors.tolerance=none a rejected record fails the task; otherwise it went to the dead-letter queue.
    reject: (_r, err) => (opts.rejectFails ? Promise.reject(err) : Promise.resolve()),
    close: () => Promise.resolve(),
  };
  const plugin = { type: 'sink', createTask: () => task } as unknown as SinkConnectorPlugin;
  const runner = new SinkTaskRunner({
    ...runnerTask(plugin),
    pipeline,
    consumerConf: { 'sasl.password': 'very-secret-pw' },
    groupId: 'connect-c',
    topics: ['in'],
    topicsRegex: undefined,
    logger: quietLogger(logLines),
    metrics: { count: (name, n = 1) => void counters.set(name, (counters.get(name) ?? 0) + n), gauge: () => undefined },
    // Commits happen at stop or on a revoke, when the test causes them: the timer never fires within a test.
    commitIntervalMs: opts.commitIntervalMs ?? 3_600_000,
    onTopicUsed: () => undefined,
    onFailure: (err) => failures.push(err),
    createConsumer: () => consumer as unknown as Kafka.KafkaConsumer,
  });
  return { task, consumer, failures, runner, counters, logLines };
}

/** Waits until `cond` holds, checking every 10 ms for up to 30 s (for what the runner does on its own timers). */
async function eventually(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never: ${what}`);
}

/** Waits (by turns of the event loop, never by the clock) until `cond` holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never: ${what}`);
}

describe('sink task runner', () => {
  it('commits each partition only over the prefix the task acked', async () => {
    const { task, consumer, runner } = setup();
    await runner.start();
    for (const o of [0, 1, 2, 3]) consumer.add(0, o);
    for (const o of [0, 1]) consumer.add(1, o);
    await until(() => task.received.length === 6, 'six records in the task');
    // Partition 0: offsets 0 and 2 published, 1 still in flight, 3 published. Partition 1: both published.
    for (const [p, o] of [
      [0, 0],
      [0, 2],
      [0, 3],
      [1, 0],
      [1, 1],
    ] as const)
      task.ctx!.ack(task.record(p, o));
    await runner.stop(1000);
    // The next offset to read: partition 0 resumes at its first unpublished record, partition 1 after its last.
    expect(consumer.committed()).toEqual(
      new Map([
        [0, 1],
        [1, 2],
      ]),
    );
  });

  it('on a revoke, commits the acked prefix of the partition before giving it up', async () => {
    const { task, consumer, runner } = setup();
    await runner.start();
    for (const o of [0, 1, 2]) consumer.add(0, o);
    await until(() => task.received.length === 3, 'three records in the task');
    task.ctx!.ack(task.record(0, 0));
    task.ctx!.ack(task.record(0, 2));
    // A revoke commits what is done on the partition before another member takes it.
    consumer.emit('rebalance', { code: Kafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS }, [{ topic: 'in', partition: 0 }]);
    expect(consumer.committed().get(0)).toBe(1);
    await runner.stop(1000);
    expect(consumer.committed().get(0)).toBe(1);
  });

  it('never commits a record whose publish failed, nor anything after it, and fails the task', async () => {
    const { task, consumer, failures, runner } = setup({ rejectFails: true });
    await runner.start();
    for (const o of [0, 1, 2]) consumer.add(0, o);
    await until(() => task.received.length === 3, 'three records in the task');
    task.ctx!.ack(task.record(0, 0));
    task.ctx!.reject(task.record(0, 1), new Error('broker refused the publish'));
    task.ctx!.ack(task.record(0, 2));
    await until(() => failures.length > 0, 'the task failed');
    expect(failures.map((e) => e.message)).toEqual(['broker refused the publish']);
    await runner.stop(1000);
    expect(consumer.committed().get(0)).toBe(1);
  });

  it('commits past a rejected record the error policy dead-lettered', async () => {
    const { task, consumer, failures, runner } = setup();
    await runner.start();
    for (const o of [0, 1]) consumer.add(0, o);
    await until(() => task.received.length === 2, 'two records in the task');
    task.ctx!.reject(task.record(0, 0), new Error('cannot render'));
    task.ctx!.ack(task.record(0, 1));
    await runner.stop(1000);
    expect(failures).toEqual([]);
    expect(consumer.committed().get(0)).toBe(2);
  });

  it('stops once, whoever calls stop and however often', async () => {
    const { task, consumer, runner } = setup();
    await runner.start();
    consumer.add(0, 0);
    await until(() => task.received.length === 1, 'one record in the task');
    task.ctx!.ack(task.record(0, 0));
    const first = runner.stop(1000);
    const second = runner.stop(1000);
    expect(second).toBe(first);
    await Promise.all([first, second]);
    await runner.stop(1000);
    expect(task.stops).toBe(1);
    expect(consumer.disconnects).toBe(1);
    expect(consumer.syncCommits).toHaveLength(1);
  });

  it('commits again the partitions of an async commit that failed, counts and logs the failure', async () => {
    const { task, consumer, runner, counters, logLines } = setup({ commitIntervalMs: 5 });
    await runner.start();
    for (const o of [0, 1]) consumer.add(0, o);
    consumer.add(1, 0);
    await until(() => task.received.length === 3, 'three records in the task');
    for (const [p, o] of [
      [0, 0],
      [0, 1],
      [1, 0],
    ] as const)
      task.ctx!.ack(task.record(p, o));
    await until(() => consumer.commits.length > 0, 'an async commit');
    const first = consumer.commits.length;
    // The coordinator moved: librdkafka reports the async commit as failed, later, during a poll.
    consumer.emit(
      'offset.commit',
      { code: Kafka.CODES.ERRORS.ERR_NOT_COORDINATOR, message: 'Broker: Not coordinator' },
      [
        { topic: 'in', partition: 0, offset: 2 },
        { topic: 'in', partition: 1, offset: 1 },
      ],
    );
    // Nothing new was acked: only the retry can commit these offsets again.
    await until(() => consumer.commits.length > first, 'the failed commit retried');
    const retried = new Map(
      consumer.commits
        .slice(first)
        .flat()
        .map((o) => [o.partition, o.offset]),
    );
    expect(retried).toEqual(
      new Map([
        [0, 2],
        [1, 1],
      ]),
    );
    expect(counters.get('offset_commit_failures')).toBe(1);
    const warned = logLines.filter((l) => l.includes('offset commit failed'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain('Not coordinator');
    expect(logLines.join('\n')).not.toContain('very-secret-pw');
    // A successful commit, or one with nothing to commit, is not a failure.
    consumer.emit('offset.commit', undefined, [{ topic: 'in', partition: 0, offset: 2 }]);
    consumer.emit('offset.commit', { code: Kafka.CODES.ERRORS.ERR__NO_OFFSET, message: 'Local: No offset stored' }, []);
    expect(counters.get('offset_commit_failures')).toBe(1);
    await runner.stop(1000);
  });

  it('keeps polling with fetching paused while put() waits for room, and loses nothing fetched meanwhile', async () => {
    const { task, consumer, runner } = setup();
    task.blockPuts = true;
    await runner.start();
    consumer.add(0, 0);
    await until(() => task.putWaiting, 'put() waiting for room');
    // librdkafka leaves the group when the application stops polling for max.poll.interval.ms: the runner must go
    // on polling (with the partitions paused) however long put() waits.
    await eventually(() => consumer.pausedPolls >= 5, 'polls while put() waits');
    expect(consumer.paused).toBe(true);
    // A record fetched before the pause took effect comes out of a poll: it is kept for later, not dropped.
    consumer.add(0, 1);
    await eventually(() => consumer.queue.length === 0, 'the late record polled');
    task.room();
    await until(() => task.received.length === 2, 'the late record handed to the task');
    expect(consumer.paused).toBe(false);
    expect(task.received.map((r) => r.kafkaOffset)).toEqual([0, 1]);
    await runner.stop(1000);
  });

  it('keeps polling while the task asked for a pause (its broker is down)', async () => {
    const { task, consumer, runner } = setup();
    await runner.start();
    task.ctx!.pause();
    await eventually(() => consumer.pausedPolls >= 5, 'polls while paused');
    task.ctx!.resume();
    expect(consumer.paused).toBe(false);
    await runner.stop(1000);
  });

  it('stops within its budget when the task and the consumer never finish stopping', async () => {
    const { task, consumer, runner } = setup();
    task.stopsAlone = false;
    consumer.leaves = false;
    await runner.start();
    consumer.add(0, 0);
    await until(() => task.received.length === 1, 'one record in the task');
    const t0 = Date.now();
    const outcome = await Promise.race([
      runner.stop(100).then(() => 'stopped'),
      new Promise((r) => setTimeout(() => r('hung'), 20_000)),
    ]);
    console.log(`[sink stop] graceful timeout 100 ms: stop returned after ${Date.now() - t0} ms`);
    expect(outcome).toBe('stopped');
    // The task was told that its time was up, and the consumer was asked to leave.
    expect(task.stopSignal?.aborted).toBe(true);
    expect(consumer.disconnects).toBe(1);
  });
});
