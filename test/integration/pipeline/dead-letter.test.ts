import { SchemaBuilder, Schemas, type SourceRecord } from '../../../runtime/api';
import { createSinkPipeline, createSourcePipeline } from '../../../runtime/pipeline';
import { createTopic, headerValue, readTopic, stackEnv, uniqueId } from '../../helpers';
import { deadLetterProducer, pipelineContext } from './helpers';

describe('dead-letter queue on real Kafka', () => {
  const { kafka, registry } = stackEnv();
  let producer: Awaited<ReturnType<typeof deadLetterProducer>>;

  beforeAll(async () => {
    producer = await deadLetterProducer(kafka);
  });
  afterAll(async () => {
    await producer.close();
  });

  it('writes a failed source record with its original bytes and the context headers', async () => {
    const dlq = uniqueId('dlq-source');
    await createTopic(kafka, dlq);
    const counts: string[] = [];
    const p = await createSourcePipeline(
      {
        'value.converter': 'avro',
        'value.converter.schema.registry.url': registry,
        transforms: 'cast',
        'transforms.cast.type': 'org.apache.kafka.connect.transforms.Cast$Value',
        'transforms.cast.spec': 'temp:float64',
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': dlq,
        'errors.deadletterqueue.context.headers.enable': 'true',
      },
      {},
      pipelineContext(producer.write, counts),
    );
    const schema = SchemaBuilder.struct().name('ferry.it.Reading').field('temp', Schemas.STRING).build();
    const record: SourceRecord = {
      topic: 'factory.press7',
      key: 'factory/press7',
      valueSchema: schema,
      value: { temp: 'warm' },
      headers: [{ key: 'mqtt.qos', value: '1' }],
      sourcePartition: { filter: 'factory/#' },
      sourceOffset: {},
      originalBytes: Buffer.from('{"temp":"warm"}'),
    };
    // process() resolves only once the dead-letter record is durable in Kafka.
    expect(await p.process(record)).toBeNull();
    expect(counts).toEqual(['failed:TRANSFORMATION', 'dead_lettered:TRANSFORMATION']);

    const [m] = await readTopic(kafka, dlq, { count: 1 });
    expect(m?.value?.toString()).toBe('{"temp":"warm"}');
    expect(m?.key?.toString()).toBe('factory/press7');
    expect(headerValue(m!, 'mqtt.qos')).toBe('1');
    expect(headerValue(m!, '__connect.errors.topic')).toBe('factory.press7');
    expect(headerValue(m!, '__connect.errors.connector.name')).toBe('pipeline-it');
    expect(headerValue(m!, '__connect.errors.task.id')).toBe('0');
    expect(headerValue(m!, '__connect.errors.stage')).toBe('TRANSFORMATION');
    expect(headerValue(m!, '__connect.errors.class.name')).toBe('org.apache.kafka.connect.transforms.Cast$Value');
    expect(headerValue(m!, '__connect.errors.exception.class.name')).toBe('RecordError');
    expect(headerValue(m!, '__connect.errors.exception.message')).toMatch(/cannot cast this string to float64/);
    expect(headerValue(m!, '__connect.errors.exception.stacktrace')).toMatch(/RecordError/);
  });

  it('writes a sink record that fails conversion with the consumed bytes, partition and offset', async () => {
    const dlq = uniqueId('dlq-sink');
    await createTopic(kafka, dlq);
    const p = await createSinkPipeline(
      {
        'value.converter': 'json',
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': dlq,
        'errors.deadletterqueue.context.headers.enable': 'true',
      },
      {},
      pipelineContext(producer.write),
    );
    const out = await p.process({
      topic: 'commands',
      partition: 0,
      offset: 1234,
      key: Buffer.from('dev-1'),
      value: Buffer.from('{"payload": broken'),
      headers: [{ key: 'origin', value: Buffer.from('test') }],
    });
    expect(out).toBeNull();

    const [m] = await readTopic(kafka, dlq, { count: 1 });
    expect(m?.value?.toString()).toBe('{"payload": broken');
    expect(m?.key?.toString()).toBe('dev-1');
    expect(headerValue(m!, 'origin')).toBe('test');
    expect(headerValue(m!, '__connect.errors.topic')).toBe('commands');
    expect(headerValue(m!, '__connect.errors.partition')).toBe('0');
    expect(headerValue(m!, '__connect.errors.offset')).toBe('1234');
    expect(headerValue(m!, '__connect.errors.stage')).toBe('VALUE_CONVERTER');
    expect(headerValue(m!, '__connect.errors.class.name')).toBe('org.apache.kafka.connect.json.JsonConverter');
    expect(headerValue(m!, '__connect.errors.exception.message')).toMatch(/not valid JSON/);
  });
});
