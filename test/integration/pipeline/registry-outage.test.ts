import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { SchemaBuilder, Schemas } from '../../../runtime/api';
import { createSourcePipeline, type ProducerRecord } from '../../../runtime/pipeline';
import { eventually, freePort, stackEnv, uniqueId } from '../../helpers';
import { Forwarder, pipelineContext } from './helpers';

describe('schema registry outage', () => {
  const { registry } = stackEnv();
  const target = new URL(registry);
  let forwarder: Forwarder;

  beforeAll(async () => {
    forwarder = new Forwarder(await freePort(), target);
    await forwarder.up();
  });
  afterAll(async () => {
    await forwarder.down();
  });

  it('retries while the registry is unreachable and delivers once it is back: nothing dead-lettered or dropped', async () => {
    const counts: string[] = [];
    const dead: ProducerRecord[] = [];
    const p = await createSourcePipeline(
      {
        'value.converter': 'avro',
        'value.converter.schema.registry.url': `http://127.0.0.1:${forwarder.port}${target.pathname}`,
        'errors.retry.timeout': '-1',
        'errors.retry.delay.max.ms': '500',
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': 'never-used',
      },
      {},
      pipelineContext((r) => {
        dead.push(r);
        return Promise.resolve();
      }, counts),
    );
    const topic = uniqueId('outage');
    const schema = SchemaBuilder.struct().name('ferry.it.Outage').field('n', Schemas.INT32).build();

    await forwarder.down();
    const pending = p.process({
      topic,
      key: null,
      valueSchema: schema,
      value: { n: 7 },
      headers: [],
      sourcePartition: {},
      sourceOffset: {},
    });
    // Let the pipeline retry a few times against the unreachable registry.
    await eventually(() => counts.filter((c) => c.startsWith('retried')).length >= 3, {
      what: 'three retries against the unreachable registry',
      intervalMs: 50,
    });
    await forwarder.up();

    const out = await pending;
    expect(out).not.toBeNull();
    expect(dead).toEqual([]);
    expect(counts.filter((c) => !c.startsWith('retried'))).toEqual([]);
    expect(await new SchemaRegistry({ host: registry }).decode(out?.value as Buffer)).toEqual({ n: 7 });
  });

  it('with a bounded retry timeout an outage fails the task instead of skipping the record', async () => {
    const dead: ProducerRecord[] = [];
    const p = await createSourcePipeline(
      {
        'value.converter': 'avro',
        'value.converter.schema.registry.url': `http://127.0.0.1:${forwarder.port}${target.pathname}`,
        'errors.retry.timeout': '1000',
        'errors.retry.delay.max.ms': '200',
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': 'never-used',
      },
      {},
      pipelineContext((r) => {
        dead.push(r);
        return Promise.resolve();
      }),
    );
    await forwarder.down();
    try {
      const schema = SchemaBuilder.struct().name('ferry.it.Outage2').field('n', Schemas.INT32).build();
      await expect(
        p.process({
          topic: uniqueId('outage'),
          key: null,
          valueSchema: schema,
          value: { n: 1 },
          headers: [],
          sourcePartition: {},
          sourceOffset: {},
        }),
      ).rejects.toMatchObject({ code: 'TASK_FAILED', message: expect.stringMatching(/unreachable/) });
      expect(dead).toEqual([]);
    } finally {
      await forwarder.up();
    }
  });
});
