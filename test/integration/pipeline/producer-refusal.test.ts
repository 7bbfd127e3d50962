/**
 * A record Kafka refuses for good among good ones, through the real producer, pipeline and source task runner against
 * real Kafka, with errors.tolerance=all: the good ones arrive, the refused one is skipped and counted at the
 * KAFKA_PRODUCE stage, its message is acknowledged, and the task does not fail. The record is refused by the
 * producer's own message.max.bytes: a broker refusing a batch against the topic's max.message.bytes fails the good
 * records batched with it too, so that answer is not about one record (see runtime/kafka/producer.ts).
 */
import type { RecordCallback, SourceConnectorPlugin, SourceTaskContext } from '../../../runtime/api';
import { DataProducer } from '../../../runtime/kafka';
import { createSourcePipeline } from '../../../runtime/pipeline';
import type { OffsetStore } from '../../../runtime/storage';
import { SourceTaskRunner } from '../../../runtime/tasks/source-task-runner';
import {
  createTopic,
  eventually,
  quietSourceRunnerDeps,
  readTopic,
  runnerTask,
  silentLogger,
  stackEnv,
  uniqueId,
} from '../../helpers';
import { pipelineContext } from './helpers';

describe('a record Kafka refuses for good', () => {
  const { kafka } = stackEnv();

  it('is skipped and counted under errors.tolerance=all; the good ones arrive and the task keeps running', async () => {
    const topic = uniqueId('refused-out');
    await createTopic(kafka, topic);
    const producer = new DataProducer({ 'bootstrap.servers': kafka, 'message.max.bytes': 5000 }, silentLogger);
    await producer.start();
    const counts: string[] = [];
    const pipeline = await createSourcePipeline(
      {
        'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
        'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
        'errors.tolerance': 'all',
      },
      {},
      pipelineContext(async (r) => void (await producer.sendAsync(r)), counts),
    );
    let ctx: SourceTaskContext | undefined;
    const plugin = {
      type: 'source',
      createTask: () => ({
        start: (c: SourceTaskContext) => void (ctx = c),
        stop: () => undefined,
      }),
    } as unknown as SourceConnectorPlugin;
    const failures: Error[] = [];
    const runner = new SourceTaskRunner({
      ...runnerTask(plugin, 'refused-it'),
      pipeline,
      producer,
      ...quietSourceRunnerDeps(),
      offsets: { get: () => null, write: () => Promise.resolve() } as unknown as OffsetStore,
      onFailure: (err) => failures.push(err),
    });
    await runner.start();
    const acks: (string | undefined)[] = [];
    const values = ['good-1', 'x'.repeat(10_000), 'good-3'];
    values.forEach((value, i) => {
      const done: RecordCallback = (err) => void (acks[i] = err ? err.message : 'ok');
      ctx!.send({ topic, key: `k${i}`, value, headers: [], sourcePartition: { p: 0 }, sourceOffset: { seq: i } }, done);
    });
    try {
      await eventually(() => acks.filter((a) => a !== undefined).length === 3, { what: 'an answer for every record' });
      expect(acks).toEqual(['ok', 'ok', 'ok']);
      expect(failures).toEqual([]);
      const good = await readTopic(kafka, topic, { count: 2 });
      expect(good.map((m) => m.value?.toString())).toEqual(['good-1', 'good-3']);
      expect(counts).toEqual(['failed:KAFKA_PRODUCE', 'skipped:KAFKA_PRODUCE']);
    } finally {
      await runner.stop(5000);
      await producer.stop();
    }
  });
});
