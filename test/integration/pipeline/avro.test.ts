import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { SchemaBuilder, Schemas, type Schema, type SourceRecord } from '../../../runtime/api';
import { createSinkPipeline, createSourcePipeline } from '../../../runtime/pipeline';
import { freePort, stackEnv, uniqueId } from '../../helpers';
import { Forwarder, pipelineContext } from './helpers';

describe('Avro converter against the real schema registry', () => {
  const { registry } = stackEnv();
  const client = new SchemaRegistry({ host: registry });
  const noDlq = () => Promise.reject(new Error('no dead-letter queue in this test'));
  const avroConfig = (extra: Record<string, string> = {}) => ({
    'key.converter': 'string',
    'value.converter': 'io.confluent.connect.avro.AvroConverter',
    'value.converter.schema.registry.url': registry,
    ...extra,
  });

  function reading(name: string, withUnit = false): Schema {
    const b = SchemaBuilder.struct()
      .name(name)
      .field('device', Schemas.STRING)
      .field('temp', Schemas.OPTIONAL_FLOAT64)
      .field('at', SchemaBuilder.timestamp().build())
      .field('level', SchemaBuilder.int8().build());
    if (withUnit) b.field('unit', SchemaBuilder.string().defaultValue('C').build());
    return b.build();
  }

  function record(topic: string, valueSchema: Schema, value: unknown): SourceRecord {
    return { topic, key: 'press7', valueSchema, value, headers: [], sourcePartition: {}, sourceOffset: {} };
  }

  const at = new Date(Date.UTC(2026, 10, 25, 12, 0, 0));

  it('writes the Confluent wire format that the registry client alone decodes (TopicNameStrategy)', async () => {
    const topic = uniqueId('avro-topic');
    const p = await createSourcePipeline(avroConfig(), {}, pipelineContext(noDlq));
    const schema = reading(`ferry.it.${topic.replace(/-/g, '_')}.Reading`);
    const out = await p.process(record(topic, schema, { device: 'press7', temp: 21.5, at, level: 3 }));
    const bytes = out?.value as Buffer;
    expect(bytes[0]).toBe(0);
    const id = bytes.readInt32BE(1);
    expect(await client.getLatestSchemaId(`${topic}-value`)).toBe(id);
    expect(await client.decode(bytes)).toEqual({ device: 'press7', temp: 21.5, at: at.getTime(), level: 3 });
    expect(out?.key).toEqual(Buffer.from('press7'));

    // The second record of the same schema needs no registry call: encoding is synchronous from the cache.
    const again = await p.process(record(topic, schema, { device: 'press8', temp: null, at, level: -1 }));
    expect((again?.value as Buffer).readInt32BE(1)).toBe(id);
    expect(await client.decode(again?.value as Buffer)).toEqual({
      device: 'press8',
      temp: null,
      at: at.getTime(),
      level: -1,
    });
    await p.close();
  });

  it('names subjects with RecordNameStrategy and TopicRecordNameStrategy, keys included', async () => {
    const topic = uniqueId('avro-strategy');
    const name = `ferry.it.${topic.replace(/-/g, '_')}.Reading`;
    const value = { device: 'p', temp: 1, at, level: 1 };

    const byRecord = await createSourcePipeline(
      avroConfig({
        'value.converter.value.subject.name.strategy': 'io.confluent.kafka.serializers.subject.RecordNameStrategy',
      }),
      {},
      pipelineContext(noDlq),
    );
    const r1 = await byRecord.process(record(topic, reading(name), value));
    expect(await client.getLatestSchemaId(name)).toBe((r1?.value as Buffer).readInt32BE(1));

    const byTopicRecord = await createSourcePipeline(
      avroConfig({ 'value.converter.value.subject.name.strategy': 'TopicRecordNameStrategy' }),
      {},
      pipelineContext(noDlq),
    );
    const r2 = await byTopicRecord.process(record(topic, reading(name), value));
    expect(await client.getLatestSchemaId(`${topic}-${name}`)).toBe((r2?.value as Buffer).readInt32BE(1));

    const keyed = await createSourcePipeline(
      avroConfig({ 'key.converter': 'avro', 'key.converter.schema.registry.url': registry }),
      {},
      pipelineContext(noDlq),
    );
    const r3 = await keyed.process({
      ...record(topic, reading(name), value),
      keySchema: Schemas.STRING,
      key: 'press7',
    });
    expect(await client.getLatestSchemaId(`${topic}-key`)).toBe((r3?.key as Buffer).readInt32BE(1));
    expect(await client.decode(r3?.key as Buffer)).toBe('press7');
  });

  it('evolves a schema by adding a field with a default; old and new records decode', async () => {
    const topic = uniqueId('avro-evolve');
    const name = `ferry.it.${topic.replace(/-/g, '_')}.Reading`;
    const p = await createSourcePipeline(avroConfig(), {}, pipelineContext(noDlq));
    const v1 = await p.process(record(topic, reading(name), { device: 'a', temp: 1, at, level: 1 }));
    const v2 = await p.process(record(topic, reading(name, true), { device: 'b', temp: 2, at, level: 2, unit: 'F' }));
    const id1 = (v1?.value as Buffer).readInt32BE(1);
    const id2 = (v2?.value as Buffer).readInt32BE(1);
    expect(id2).not.toBe(id1);
    expect(await client.getLatestSchemaId(`${topic}-value`)).toBe(id2);

    // A v2 reader reads a v1 record with the default.
    const v2Schema = await client.getSchema(id2);
    expect(await client.decode(v1?.value as Buffer, { [SchemaType.AVRO]: { readerSchema: v2Schema } })).toEqual({
      device: 'a',
      temp: 1,
      at: at.getTime(),
      level: 1,
      unit: 'C',
    });

    // Ferry's own sink side reads both back to Connect data with their writer schemas.
    const sink = await createSinkPipeline(avroConfig(), {}, pipelineContext(noDlq));
    const consumed = (value: Buffer, offset: number) => ({
      topic,
      partition: 0,
      offset,
      key: null,
      value,
      headers: [],
    });
    const back1 = await sink.process(consumed(v1?.value as Buffer, 0));
    const back2 = await sink.process(consumed(v2?.value as Buffer, 1));
    expect(back1?.value).toEqual({ device: 'a', temp: 1, at, level: 1 });
    expect(back2?.value).toEqual({ device: 'b', temp: 2, at, level: 2, unit: 'F' });
    expect(back2?.valueSchema?.name).toBe(name);
    expect(back2?.valueSchema?.fields?.find((f) => f.name === 'level')?.schema.type).toBe('int8');
  });

  it('with auto.register.schemas=false uses only registered schemas, and use.latest.version writes with the latest', async () => {
    const topic = uniqueId('avro-noreg');
    const name = `ferry.it.${topic.replace(/-/g, '_')}.Reading`;
    const value = { device: 'a', temp: 1, at, level: 1 };
    const strict = await createSourcePipeline(
      avroConfig({ 'value.converter.auto.register.schemas': 'false', 'errors.tolerance': 'all' }),
      {},
      pipelineContext(noDlq),
    );
    // Not registered yet: a record error (skipped under tolerance=all), not a silent registration.
    expect(await strict.process(record(topic, reading(name), value))).toBeNull();
    await expect(client.getLatestSchemaId(`${topic}-value`)).rejects.toBeDefined();

    const registering = await createSourcePipeline(avroConfig(), {}, pipelineContext(noDlq));
    const registered = await registering.process(record(topic, reading(name, true), { ...value, unit: 'K' }));
    const latestId = (registered?.value as Buffer).readInt32BE(1);

    const latest = await createSourcePipeline(
      avroConfig({ 'value.converter.auto.register.schemas': 'false', 'value.converter.use.latest.version': 'true' }),
      {},
      pipelineContext(noDlq),
    );
    const out = await latest.process(record(topic, reading(name), value));
    expect((out?.value as Buffer).readInt32BE(1)).toBe(latestId);
    expect(await client.decode(out?.value as Buffer)).toEqual({ ...value, at: at.getTime(), unit: 'C' });
  });

  it('fails a value that does not fit its schema as a record error, dead-lettered under tolerance=all', async () => {
    const topic = uniqueId('avro-bad');
    const dead: unknown[] = [];
    const p = await createSourcePipeline(
      avroConfig({ 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': 'dlq-x' }),
      {},
      pipelineContext((r) => {
        dead.push(r);
        return Promise.resolve();
      }),
    );
    const out = await p.process({
      ...record(topic, reading(`ferry.it.${topic.replace(/-/g, '_')}.R`), { device: 'a', temp: 1, at, level: 500 }),
      originalBytes: Buffer.from('raw'),
    });
    expect(out).toBeNull();
    expect(dead).toHaveLength(1);
  });
});

describe('Avro converter registry credentials', () => {
  const { registry } = stackEnv();
  const target = new URL(registry);

  it('sends basic.auth.user.info as HTTP basic auth (through a forwarder to the real registry)', async () => {
    const forwarder = new Forwarder(await freePort(), target);
    await forwarder.up();
    try {
      const p = await createSourcePipeline(
        {
          'value.converter': 'avro',
          'value.converter.schema.registry.url': `http://127.0.0.1:${forwarder.port}${target.pathname}`,
          'value.converter.basic.auth.credentials.source': 'USER_INFO',
          'value.converter.basic.auth.user.info': 'ferry:pa55',
        },
        {},
        pipelineContext(() => Promise.reject(new Error('no dead-letter queue in this test'))),
      );
      const topic = uniqueId('avro-auth');
      const out = await p.process({
        topic,
        key: null,
        valueSchema: Schemas.STRING,
        value: 'hello',
        headers: [],
        sourcePartition: {},
        sourceOffset: {},
      });
      expect(await new SchemaRegistry({ host: registry }).decode(out?.value as Buffer)).toBe('hello');
      const expected = `Basic ${Buffer.from('ferry:pa55').toString('base64')}`;
      expect(forwarder.requests.some((r) => r.toLowerCase().includes(`authorization: ${expected.toLowerCase()}`))).toBe(
        true,
      );
    } finally {
      await forwarder.down();
    }
  });
});
