import * as avro from 'avsc';
import {
  avroToConnectSchema,
  avroToConnectValue,
  avroTypeForConnect,
  bytesToDecimal,
  connectToAvroSchema,
  connectToAvroValue,
  decimalToBytes,
  AvroValueError,
} from '../../../runtime/converters';
import { SchemaBuilder, Schemas, LogicalTypes } from '../../../runtime/api/schema';

const reading = SchemaBuilder.struct()
  .name('io.ferry.test.Reading')
  .doc('a reading')
  .field('device', Schemas.STRING)
  .field('temp', Schemas.OPTIONAL_FLOAT64)
  .field('level', SchemaBuilder.int8().build())
  .field('count', SchemaBuilder.int16().defaultValue(3).build())
  .field('n', Schemas.INT32)
  .field('big', Schemas.INT64)
  .field('ratio', Schemas.FLOAT32)
  .field('ok', Schemas.BOOLEAN)
  .field('raw', Schemas.OPTIONAL_BYTES)
  .field('at', SchemaBuilder.timestamp().build())
  .field('day', SchemaBuilder.int32().name(LogicalTypes.Date).version(1).build())
  .field('time', SchemaBuilder.int32().name(LogicalTypes.Time).version(1).build())
  .field('price', SchemaBuilder.decimal(2).build())
  .field('tags', SchemaBuilder.array(Schemas.STRING).build())
  .field('attrs', SchemaBuilder.map(Schemas.STRING, Schemas.INT32).optional().build())
  .field('byId', SchemaBuilder.map(Schemas.INT32, Schemas.STRING).build())
  .build();

describe('connectToAvroSchema', () => {
  it('translates a struct with every type following the documented rules', () => {
    expect(connectToAvroSchema(reading)).toEqual({
      type: 'record',
      name: 'Reading',
      namespace: 'io.ferry.test',
      doc: 'a reading',
      fields: [
        { name: 'device', type: 'string' },
        { name: 'temp', type: ['null', 'double'], default: null },
        { name: 'level', type: { type: 'int', 'connect.type': 'int8' } },
        { name: 'count', type: { type: 'int', 'connect.type': 'int16' }, default: 3 },
        { name: 'n', type: 'int' },
        { name: 'big', type: 'long' },
        { name: 'ratio', type: 'float' },
        { name: 'ok', type: 'boolean' },
        { name: 'raw', type: ['null', 'bytes'], default: null },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'day', type: { type: 'int', logicalType: 'date' } },
        { name: 'time', type: { type: 'int', logicalType: 'time-millis' } },
        { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 64, scale: 2 } },
        { name: 'tags', type: { type: 'array', items: 'string' } },
        { name: 'attrs', type: ['null', { type: 'map', values: 'int' }], default: null },
        {
          name: 'byId',
          type: {
            type: 'array',
            items: {
              type: 'record',
              name: 'MapEntry',
              namespace: 'io.confluent.connect.avro',
              fields: [
                { name: 'key', type: 'int' },
                { name: 'value', type: 'string' },
              ],
            },
          },
        },
      ],
    });
  });

  it('names an unnamed struct ConnectDefault and gives nested repeats distinct names', () => {
    const inner = SchemaBuilder.struct().field('a', Schemas.INT32).build();
    const outer = SchemaBuilder.struct().field('x', inner).field('y', inner).build();
    const avsc = connectToAvroSchema(outer) as {
      name: string;
      namespace: string;
      fields: { type: { name: string } }[];
    };
    expect(avsc.name).toBe('ConnectDefault');
    expect(avsc.namespace).toBe('io.confluent.connect.avro');
    expect(avsc.fields.map((f) => f.type.name)).toEqual(['ConnectDefault2', 'ConnectDefault3']);
    expect(() => avro.Type.forSchema(avsc as avro.Schema)).not.toThrow();
  });

  it('puts an optional top-level schema in a null union and keeps a name without namespace', () => {
    const s = SchemaBuilder.struct().name('Plain').optional().field('a', Schemas.STRING).build();
    expect(connectToAvroSchema(s)).toEqual([
      'null',
      { type: 'record', name: 'Plain', fields: [{ name: 'a', type: 'string' }] },
    ]);
    expect(connectToAvroSchema(Schemas.STRING)).toBe('string');
  });
});

describe('avroToConnectSchema', () => {
  it('round-trips the Connect schema through Avro', () => {
    const back = avroToConnectSchema(JSON.stringify(connectToAvroSchema(reading)));
    expect(connectToAvroSchema(back)).toEqual(connectToAvroSchema(reading));
    expect(back.name).toBe('io.ferry.test.Reading');
    expect(back.fields?.map((f) => f.schema.type)).toEqual(reading.fields?.map((f) => f.schema.type));
    expect(back.fields?.find((f) => f.name === 'temp')?.schema.optional).toBe(true);
    expect(back.fields?.find((f) => f.name === 'count')?.schema.defaultValue).toBe(3);
    expect(back.fields?.find((f) => f.name === 'price')?.schema.parameters).toEqual({
      scale: '2',
      'connect.decimal.precision': '64',
    });
    expect(back.fields?.find((f) => f.name === 'byId')?.schema.keySchema?.type).toBe('int32');
  });

  it('reads enums as strings, fixed as bytes and named references', () => {
    const s = avroToConnectSchema({
      type: 'record',
      name: 'R',
      namespace: 'n',
      fields: [
        { name: 'e', type: { type: 'enum', name: 'Color', symbols: ['RED'] } },
        { name: 'f', type: { type: 'fixed', name: 'Four', size: 4 } },
        { name: 'again', type: 'Color' },
        { name: 'withDefault', type: 'string', default: 'x', doc: 'd' },
      ],
    });
    expect(s.fields?.map((f) => f.schema.type)).toEqual(['string', 'bytes', 'string', 'string']);
    expect(s.fields?.[3]?.schema.defaultValue).toBe('x');
    expect(s.fields?.[3]?.schema.doc).toBe('d');
  });

  it('refuses unions other than null + one type', () => {
    expect(() =>
      avroToConnectSchema({ type: 'record', name: 'R', fields: [{ name: 'u', type: ['int', 'string'] }] }),
    ).toThrow(/union/);
  });
});

describe('values', () => {
  const value = {
    device: 'press7',
    temp: null,
    level: -3,
    n: 42,
    big: 2 ** 40,
    ratio: 0.5,
    ok: true,
    raw: Buffer.from([1, 2, 3]),
    at: new Date('2026-11-25T10:00:00.123Z'),
    day: new Date('2026-11-25T00:00:00Z'),
    time: new Date(45_000_123 - 86_400_000 * 0),
    price: '-12.34',
    tags: ['a', 'b'],
    attrs: new Map([['x', 1]]),
    byId: new Map([[7, 'seven']]),
  };

  it('encodes with avsc and decodes back to the same Connect value', () => {
    const type = avroTypeForConnect(reading);
    const avroValue = connectToAvroValue(reading, value) as Record<string, unknown>;
    expect(avroValue['count']).toBe(3);
    expect(avroValue['at']).toBe(value.at.getTime());
    expect(avroValue['day']).toBe(Math.floor(value.day.getTime() / 86_400_000));
    const decoded = type.fromBuffer(type.toBuffer(avroValue));
    const back = avroToConnectValue(reading, decoded) as Record<string, unknown>;
    expect(back).toEqual({ ...value, count: 3, attrs: { x: 1 } });
  });

  it('names the field that does not fit', () => {
    expect(() => connectToAvroValue(reading, { ...value, n: 'forty' })).toThrow(AvroValueError);
    expect(() => connectToAvroValue(reading, { ...value, n: 'forty' })).toThrow(/^n: expected int32, got string/);
    expect(() => connectToAvroValue(reading, { ...value, device: undefined })).toThrow(/device: null value/);
    expect(() => connectToAvroValue(reading, { ...value, level: 300 })).toThrow(/level/);
    expect(() => connectToAvroValue(reading, { ...value, price: '1.234' })).toThrow(/price/);
  });

  it('encodes decimals as Java BigInteger bytes', () => {
    expect(decimalToBytes('1.00', 2)).toEqual(Buffer.from([0x64]));
    expect(decimalToBytes('2.00', 2)).toEqual(Buffer.from([0x00, 0xc8]));
    expect(decimalToBytes('-1', 0)).toEqual(Buffer.from([0xff]));
    expect(decimalToBytes('128', 0)).toEqual(Buffer.from([0x00, 0x80]));
    for (const s of ['0.00', '12.34', '-12.34', '99999999999999999999.99', '-0.01']) {
      expect(bytesToDecimal(decimalToBytes(s, 2), 2)).toBe(s === '-0.00' ? '0.00' : s);
    }
  });
});
