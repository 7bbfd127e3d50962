/**
 * The source task runner with a fake task, pipeline, producer and offset store: no network. What it promises: each
 * record's callback fires when Kafka has it, offsets advance only over the delivered prefix of a source partition,
 * a failure fails the task once and refuses what comes after, and stop() lets records in flight finish, writes the
 * last offsets and is safe to call twice.
 */
import { RecordError, TaskFailedError, UnavailableError } from '../../../runtime/api';
import type {
  OffsetMap,
  RecordCallback,
  SourceConnectorPlugin,
  SourceRecord,
  SourceTask,
  SourceTaskContext,
} from '../../../runtime/api';
import type { DataProducer } from '../../../runtime/kafka';
import type { ProducerRecord, SourcePipeline } from '../../../runtime/pipeline/types';
import type { OffsetStore } from '../../../runtime/storage';
import { SourceTaskRunner } from '../../../runtime/tasks/source-task-runner';
import { quietSourceRunnerDeps, runnerTask } from '../../helpers/runner';

/** A push-model task: the test sends records through the context the runner gave it. */
class FakeSourceTask implements SourceTask {
  ctx: SourceTaskContext | undefined;
  stops = 0;
  start(ctx: SourceTaskContext): Promise<void> {
    this.ctx = ctx;
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.stops++;
    return Promise.resolve();
  }
}

/** Holds every record handed to Kafka until the test delivers it (or fails it). */
class FakeProducer {
  readonly sent: { record: ProducerRecord; cb: (err?: Error) => void }[] = [];
  send(record: ProducerRecord, cb: (err?: Error) => void): void {
    this.sent.push({ record, cb });
  }
  deliver(value: string, err?: Error): void {
    const i = this.sent.findIndex((s) => String(s.record.value) === value);
    if (i < 0) throw new Error(`nothing sent with value ${value}`);
    this.sent.splice(i, 1)[0]!.cb(err);
  }
}

function setup(
  opts: { filter?: (r: SourceRecord) => boolean; refused?: (r: SourceRecord, err: Error) => Promise<void> } = {},
) {
  const task = new FakeSourceTask();
  const producer = new FakeProducer();
  const written: { partition: OffsetMap; offset: OffsetMap }[][] = [];
  const failures: Error[] = [];
  let pipelineClosed = 0;
  const pipeline: SourcePipeline = {
    process: (r) =>
      opts.filter && !opts.filter(r)
        ? null
        : { topic: 'out', value: Buffer.from(String(r.value)), key: null, headers: [] },
    ...(opts.refused ? { toleratesRefusals: true, refused: opts.refused } : {}),
    close: () => {
      pipelineClosed++;
      return Promise.resolve();
    },
  };
  const offsets = {
    get: () => null,
    write: (_connector: string, entries: { partition: OffsetMap; offset: OffsetMap }[]) => {
      written.push(entries);
      return Promise.resolve();
    },
  };
  const plugin = { type: 'source', createTask: () => task } as unknown as SourceConnectorPlugin;
  const runner = new SourceTaskRunner({
    ...runnerTask(plugin),
    pipeline,
    producer: producer as unknown as DataProducer,
    ...quietSourceRunnerDeps(),
    offsets: offsets as unknown as OffsetStore,
    onFailure: (err) => failures.push(err),
  });
  return { task, producer, written, failures, runner, pipelineClosed: () => pipelineClosed };
}

/** A record of source partition `device` at offset `seq`, its value the text `<device>:<seq>`. */
function record(device: string, seq: number): SourceRecord {
  return {
    topic: 'out',
    key: device,
    value: `${device}:${seq}`,
    headers: [],
    sourcePartition: { device },
    sourceOffset: { seq },
  };
}

/** Sends a record through the task's context and returns the outcomes its callback saw. */
function send(task: FakeSourceTask, r: SourceRecord): (Error | undefined | 'done')[] {
  const seen: (Error | undefined | 'done')[] = [];
  const done: RecordCallback = (err) => void seen.push(err ?? 'done');
  task.ctx!.send(r, done);
  return seen;
}

/** Lets the runner's pump hand queued records to the producer. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('source task runner', () => {
  it("fires each record's callback when Kafka has it, in whatever order Kafka answers", async () => {
    const { task, producer, runner } = setup();
    await runner.start();
    const a = send(task, record('d1', 1));
    const b = send(task, record('d1', 2));
    await settle();
    expect(producer.sent.map((s) => String(s.record.value))).toEqual(['d1:1', 'd1:2']);
    producer.deliver('d1:2');
    expect(b).toEqual(['done']);
    expect(a).toEqual([]);
    producer.deliver('d1:1');
    expect(a).toEqual(['done']);
    await runner.stop(1000);
  });

  it('writes offsets only over the delivered prefix of each source partition', async () => {
    const { task, producer, written, runner } = setup();
    await runner.start();
    for (const seq of [1, 2, 3]) send(task, record('d1', seq));
    send(task, record('d2', 1));
    await settle();
    producer.deliver('d1:3');
    producer.deliver('d1:2');
    producer.deliver('d2:1');
    await runner.flushOffsets();
    // d1:1 is not in Kafka yet: nothing of d1 may be committed, d2 may.
    expect(written).toEqual([[{ partition: { device: 'd2' }, offset: { seq: 1 } }]]);
    producer.deliver('d1:1');
    await runner.flushOffsets();
    expect(written[1]).toEqual([{ partition: { device: 'd1' }, offset: { seq: 3 } }]);
    await runner.flushOffsets();
    expect(written).toHaveLength(2); // nothing new: nothing written again
    await runner.stop(1000);
  });

  it('counts a record the pipeline drops as done for its offset', async () => {
    const { task, producer, written, runner } = setup({ filter: (r) => r.value !== 'd1:2' });
    await runner.start();
    const dropped = send(task, record('d1', 2));
    send(task, record('d1', 1));
    send(task, record('d1', 3));
    await settle();
    expect(dropped).toEqual(['done']);
    producer.deliver('d1:1');
    producer.deliver('d1:3');
    await runner.flushOffsets();
    expect(written).toEqual([[{ partition: { device: 'd1' }, offset: { seq: 3 } }]]);
    await runner.stop(1000);
  });

  it('fails the task once on a delivery error and refuses the records that follow', async () => {
    const { task, producer, failures, runner } = setup();
    await runner.start();
    const a = send(task, record('d1', 1));
    const b = send(task, record('d1', 2));
    await settle();
    const broken = new Error('broker said no');
    producer.deliver('d1:1', broken);
    producer.deliver('d1:2', new Error('and again'));
    expect(a).toEqual([broken]);
    expect(b).toHaveLength(1);
    expect(failures).toEqual([broken]);
    const later = send(task, record('d1', 3));
    expect(later).toEqual([broken]);
    expect(producer.sent).toEqual([]);
    await runner.stop(1000);
  });

  it('stop() lets records in flight finish, writes their offsets, refuses new ones and is idempotent', async () => {
    const { task, producer, written, runner, pipelineClosed } = setup();
    await runner.start();
    const a = send(task, record('d1', 1));
    await settle();
    const stopping = runner.stop(30_000);
    // Stopping: a record sent now is refused at once, without reaching the producer.
    const refused = send(task, record('d1', 2));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(Error);
    expect(producer.sent).toHaveLength(1);
    producer.deliver('d1:1');
    await stopping;
    expect(a).toEqual(['done']);
    expect(written).toEqual([[{ partition: { device: 'd1' }, offset: { seq: 1 } }]]);
    expect(task.stops).toBe(1);
    expect(task.ctx!.signal.aborted).toBe(true);
    await runner.stop(30_000);
    expect(task.stops).toBe(1);
    expect(pipelineClosed()).toBe(1);
  });

  it('hands a record Kafka refuses for good to the error policy, and counts it done when the policy tolerates it', async () => {
    const refused: [unknown, string][] = [];
    const { task, producer, written, failures, runner } = setup({
      refused: (r, err) => {
        refused.push([r.value, err.message]);
        return Promise.resolve();
      },
    });
    await runner.start();
    const a = send(task, record('d1', 1));
    const big = send(task, record('d1', 2));
    const c = send(task, record('d1', 3));
    await settle();
    producer.deliver('d1:2', new RecordError('Kafka refused the record: Broker: Message size too large'));
    await settle();
    expect(big).toEqual(['done']);
    expect(refused).toEqual([['d1:2', 'Kafka refused the record: Broker: Message size too large']]);
    producer.deliver('d1:1');
    producer.deliver('d1:3');
    expect([a, c]).toEqual([['done'], ['done']]);
    await runner.flushOffsets();
    expect(written).toEqual([[{ partition: { device: 'd1' }, offset: { seq: 3 } }]]);
    expect(failures).toEqual([]);
    await runner.stop(1000);
  });

  it('fails the task when the error policy does not tolerate a refused record, and on outages in any case', async () => {
    const intolerant = setup({ refused: () => Promise.reject(new TaskFailedError('Tolerance exceeded')) });
    await intolerant.runner.start();
    const big = send(intolerant.task, record('d1', 1));
    await settle();
    intolerant.producer.deliver('d1:1', new RecordError('too large'));
    await settle();
    expect(big).toEqual([expect.objectContaining({ message: 'Tolerance exceeded' })]);
    expect(intolerant.failures.map((f) => f.message)).toEqual(['Tolerance exceeded']);
    await intolerant.runner.stop(1000);

    const outage = setup({ refused: () => Promise.resolve() });
    await outage.runner.start();
    const lost = send(outage.task, record('d1', 1));
    await settle();
    outage.producer.deliver('d1:1', new UnavailableError('message timed out'));
    expect(lost).toEqual([expect.objectContaining({ message: 'message timed out' })]);
    expect(outage.failures).toHaveLength(1);
    await outage.runner.stop(1000);
  });
});
