import * as avro from 'avsc';
import { LogicalTypes, RecordError, SchemaBuilder, Schemas, type Schema } from '../../../runtime/api';
import { RegistryClient } from '../../../runtime/converters/registry-client';
import {
  AvroConverter,
  ByteArrayConverter,
  JsonConverter,
  StringConverter,
  connectToAvroSchema,
  findConverter,
  parseAvroConverterSettings,
  parseSubjectNameStrategy,
  subjectName,
} from '../../../runtime/converters';

const schema = SchemaBuilder.struct()
  .name('ferry.Reading')
  .field('device', Schemas.STRING)
  .field('temp', Schemas.OPTIONAL_FLOAT64)
  .field('raw', Schemas.BYTES)
  .field('at', SchemaBuilder.timestamp().build())
  .field('price', SchemaBuilder.decimal(2).build())
  .field('tags', SchemaBuilder.array(Schemas.STRING).build())
  .field('byId', SchemaBuilder.map(Schemas.INT32, Schemas.STRING).build())
  .build();
const value = {
  device: 'p7',
  temp: null,
  raw: Buffer.from('hi'),
  at: new Date(1_700_000_000_000),
  price: '12.30',
  tags: ['a'],
  byId: new Map([[1, 'one']]),
};

describe('JsonConverter', () => {
  it('writes the Connect envelope with the Connect JSON schema format', () => {
    const bytes = new JsonConverter().fromConnect('t', schema, value);
    const doc = JSON.parse(bytes?.toString() ?? '') as {
      schema: Record<string, unknown>;
      payload: Record<string, unknown>;
    };
    expect(doc.schema).toMatchObject({ type: 'struct', name: 'ferry.Reading', optional: false });
    expect((doc.schema['fields'] as Record<string, unknown>[])[1]).toEqual({
      type: 'double',
      optional: true,
      field: 'temp',
    });
    expect((doc.schema['fields'] as Record<string, unknown>[])[3]).toMatchObject({
      type: 'int64',
      name: LogicalTypes.Timestamp,
      field: 'at',
    });
    expect(doc.payload).toEqual({
      device: 'p7',
      temp: null,
      raw: Buffer.from('hi').toString('base64'),
      at: 1_700_000_000_000,
      price: Buffer.from([0x04, 0xce]).toString('base64'),
      tags: ['a'],
      byId: [[1, 'one']],
    });
  });

  it('round-trips schema and value through the envelope', () => {
    const c = new JsonConverter();
    const back = c.toConnect('t', c.fromConnect('t', schema, value));
    expect(back.value).toEqual(value);
    expect(back.schema?.fields?.map((f) => [f.name, f.schema.type, f.schema.optional])).toEqual(
      schema.fields?.map((f) => [f.name, f.schema.type, f.schema.optional]),
    );
  });

  it('with schemas.enable=false writes and reads plain JSON', () => {
    const c = new JsonConverter({ 'schemas.enable': 'false' });
    expect(c.fromConnect('t', undefined, { a: 1, b: [true] })?.toString()).toBe('{"a":1,"b":[true]}');
    expect(c.toConnect('t', Buffer.from('{"a":1}'))).toEqual({ value: { a: 1 } });
    expect(c.fromConnect('t', undefined, null)).toBeNull();
  });

  it('rejects invalid JSON and missing envelopes with RecordError', () => {
    expect(() => new JsonConverter().toConnect('t', Buffer.from('{nope'))).toThrow(RecordError);
    expect(() => new JsonConverter().toConnect('t', Buffer.from('{"a":1}'))).toThrow(/schema.*payload/);
  });
});

describe('StringConverter and ByteArrayConverter', () => {
  it('writes text as UTF-8 and reads it back as an optional string', () => {
    const c = new StringConverter();
    expect(c.fromConnect('t', undefined, 'grüße')).toEqual(Buffer.from('grüße', 'utf8'));
    expect(c.fromConnect('t', undefined, 42)?.toString()).toBe('42');
    expect(c.fromConnect('t', undefined, { a: 1 })?.toString()).toBe('{"a":1}');
    expect(c.fromConnect('t', undefined, null)).toBeNull();
    expect(c.toConnect('t', Buffer.from('x'))).toEqual({ schema: Schemas.OPTIONAL_STRING, value: 'x' });
  });

  it('passes bytes through and refuses other values', () => {
    const c = new ByteArrayConverter();
    const b = Buffer.from([1, 2]);
    expect(c.fromConnect('t', undefined, b)).toBe(b);
    expect(c.toConnect('t', b)).toEqual({ schema: Schemas.OPTIONAL_BYTES, value: b });
    expect(() => c.fromConnect('t', undefined, 'text')).toThrow(RecordError);
  });

  it('finds converters by Connect class name and alias', () => {
    expect(findConverter('io.confluent.connect.avro.AvroConverter')?.className).toBe(
      'io.confluent.connect.avro.AvroConverter',
    );
    expect(findConverter('avro')).toBe(findConverter('AvroConverter'));
    expect(findConverter('json')?.className).toBe('org.apache.kafka.connect.json.JsonConverter');
    expect(findConverter('string')?.className).toBe('org.apache.kafka.connect.storage.StringConverter');
    expect(findConverter('bytes')?.className).toBe('org.apache.kafka.connect.converters.ByteArrayConverter');
    expect(findConverter('org.apache.kafka.connect.storage.SimpleHeaderConverter')).toBe(findConverter('string'));
    expect(findConverter('protobuf')).toBeUndefined();
  });
});

describe('Avro converter settings and subjects', () => {
  it('derives subjects with each strategy, accepting Confluent class names', () => {
    expect(parseSubjectNameStrategy('io.confluent.kafka.serializers.subject.RecordNameStrategy')).toBe(
      'RecordNameStrategy',
    );
    expect(parseSubjectNameStrategy(undefined)).toBe('TopicNameStrategy');
    expect(parseSubjectNameStrategy('Nope')).toBeUndefined();
    expect(subjectName('TopicNameStrategy', 'tp', true, 'a.B')).toBe('tp-key');
    expect(subjectName('TopicNameStrategy', 'tp', false, 'a.B')).toBe('tp-value');
    expect(subjectName('RecordNameStrategy', 'tp', false, 'a.B')).toBe('a.B');
    expect(subjectName('TopicRecordNameStrategy', 'tp', false, 'a.B')).toBe('tp-a.B');
  });

  it('lists every bad setting and never echoes the credentials', () => {
    const { issues } = parseAvroConverterSettings(
      { 'auto.register.schemas': 'maybe', 'value.subject.name.strategy': 'Nope', 'basic.auth.user.info': 's3cr3t' },
      false,
    );
    expect(issues.map((i) => i.key).sort()).toEqual([
      'auto.register.schemas',
      'basic.auth.user.info',
      'schema.registry.url',
      'value.subject.name.strategy',
    ]);
    expect(JSON.stringify(issues)).not.toContain('s3cr3t');
  });

  it('moves credentials out of the URL', () => {
    const { options } = parseAvroConverterSettings(
      { 'schema.registry.url': 'http://u:p@127.0.0.1:1/x', 'basic.auth.credentials.source': 'URL' },
      true,
    );
    expect(options).toMatchObject({ url: 'http://127.0.0.1:1/x', userInfo: 'u:p', isKey: true, autoRegister: true });
  });

  it('turns an unreachable registry into a retriable error and bad data into a RecordError', async () => {
    const { options } = parseAvroConverterSettings(
      { 'schema.registry.url': 'http://127.0.0.1:9/apis/ccompat/v7' },
      false,
    );
    const c = new AvroConverter(options!);
    await expect(Promise.resolve(c.fromConnect('t', schema, value))).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      retriable: true,
    });
    expect(() => c.toConnect('t', Buffer.from([1, 2, 3, 4, 5, 6]))).toThrow(RecordError);
    expect(() => c.fromConnect('t', undefined, { a: 1 })).toThrow(RecordError);
    expect(c.fromConnect('t', schema, null)).toBeNull();
  });
});

describe('Avro converter encoding', () => {
  const big = SchemaBuilder.struct().name('ferry.Blob').field('raw', Schemas.BYTES).build();

  async function converter(): Promise<AvroConverter> {
    jest.spyOn(RegistryClient.prototype, 'register').mockResolvedValue(42);
    jest.spyOn(RegistryClient.prototype, 'lookup').mockResolvedValue(42);
    const { options } = parseAvroConverterSettings({ 'schema.registry.url': 'http://127.0.0.1:9/x' }, false);
    const c = new AvroConverter(options!);
    await c.fromConnect('t', schema, value); // the schema's id, cached from now on
    return c;
  }

  afterEach(() => jest.restoreAllMocks());

  function body(bytes: Buffer | null, s: Schema): unknown {
    expect(bytes!.subarray(0, 5)).toEqual(Buffer.from([0, 0, 0, 0, 42]));
    return avro.Type.forSchema(connectToAvroSchema(s) as avro.Schema, { wrapUnions: false }).fromBuffer(
      bytes!.subarray(5),
    );
  }

  it('encodes a known schema without avsc allocating a buffer per record', async () => {
    const c = await converter();
    const toBuffer = jest.spyOn(avro.Type.prototype, 'toBuffer');
    const bytes = c.fromConnect('t', schema, value) as Buffer;
    expect(toBuffer).not.toHaveBeenCalled();
    expect(body(bytes, schema)).toMatchObject({ device: 'p7', temp: null, raw: Buffer.from('hi'), tags: ['a'] });
  });

  it('gives every record bytes of its own, however large', async () => {
    const c = await converter();
    const small = Buffer.from('first');
    const large = Buffer.alloc(200_000, 7); // larger than the encoder's scratch space
    await c.fromConnect('t', big, { raw: Buffer.from('x') }); // the new schema's id
    const first = c.fromConnect('t', big, { raw: small }) as Buffer;
    const second = c.fromConnect('t', big, { raw: large }) as Buffer;
    const third = c.fromConnect('t', big, { raw: Buffer.from('third') }) as Buffer;
    expect(body(first, big)).toEqual({ raw: small });
    expect(body(second, big)).toEqual({ raw: large });
    expect(body(third, big)).toEqual({ raw: Buffer.from('third') });
  });
});
