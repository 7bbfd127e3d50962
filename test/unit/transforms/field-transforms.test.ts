import { LogicalTypes, RecordError, SchemaBuilder, Schemas, type SourceRecord } from '../../../runtime/api';
import { issuesOf, transform, sinkRecord } from './helpers';

const valueSchema = SchemaBuilder.struct()
  .name('ferry.Reading')
  .field('device', Schemas.STRING)
  .field('temp', Schemas.FLOAT64)
  .field('secret', Schemas.OPTIONAL_STRING)
  .build();
const value = { device: 'press7', temp: 21.5, secret: 'pw' };

describe('InsertField', () => {
  const settings = {
    'topic.field': 'topic',
    'partition.field': 'partition',
    'offset.field': 'offset!',
    'timestamp.field': 'ts',
    'static.field': 'site',
    'static.value': 'plant-1',
  };

  it('adds metadata fields to a struct and its schema', () => {
    const out = transform('InsertField$Value', settings)(sinkRecord({ valueSchema, value }));
    expect(out?.value).toEqual({
      ...value,
      topic: 'factory.press7',
      partition: 2,
      offset: 41,
      ts: new Date(Date.UTC(2026, 10, 25, 10, 30, 0)),
      site: 'plant-1',
    });
    const fields = out?.valueSchema?.fields ?? [];
    expect(fields.map((f) => f.name)).toEqual([
      'device',
      'temp',
      'secret',
      'topic',
      'partition',
      'offset',
      'ts',
      'site',
    ]);
    expect(fields.find((f) => f.name === 'offset')?.schema).toMatchObject({ type: 'int64', optional: false });
    expect(fields.find((f) => f.name === 'topic')?.schema).toMatchObject({ type: 'string', optional: true });
    expect(fields.find((f) => f.name === 'ts')?.schema.name).toBe(LogicalTypes.Timestamp);
    expect(out?.valueSchema?.name).toBe('ferry.Reading');
  });

  it('adds fields to a schemaless map and passes tombstones', () => {
    const t = transform('org.apache.kafka.connect.transforms.InsertField$Value', { 'topic.field': 'topic' });
    expect(t(sinkRecord({ value: { a: 1 } }))?.value).toEqual({ a: 1, topic: 'factory.press7' });
    const tombstone = sinkRecord({ value: null });
    expect(t(tombstone)).toBe(tombstone);
  });

  it('works on the key, and refuses offset.field on a source record', () => {
    expect(
      transform('InsertField$Key', { 'static.field': 's', 'static.value': 'v' })(sinkRecord({ key: {} }))?.key,
    ).toEqual({
      s: 'v',
    });
    const source: SourceRecord = {
      topic: 't',
      key: null,
      value: {},
      headers: [],
      sourcePartition: {},
      sourceOffset: {},
    };
    expect(() => transform('InsertField$Value', { 'offset.field': 'o' })(source)).toThrow(RecordError);
  });

  it('refuses a schemaless value that is not a map', () => {
    expect(() => transform('InsertField$Value', { 'topic.field': 't' })(sinkRecord({ value: 'text' }))).toThrow(
      /Only Map/,
    );
  });
});

describe('ReplaceField', () => {
  it('excludes, includes and renames on structs', () => {
    const t = transform('ReplaceField$Value', { exclude: 'secret', renames: 'temp:temperature' });
    const out = t(sinkRecord({ valueSchema, value }));
    expect(out?.value).toEqual({ device: 'press7', temperature: 21.5 });
    expect(out?.valueSchema?.fields?.map((f) => f.name)).toEqual(['device', 'temperature']);
    const inc = transform('ReplaceField$Value', { include: 'device' })(sinkRecord({ valueSchema, value }));
    expect(inc?.value).toEqual({ device: 'press7' });
  });

  it('works schemaless and on keys', () => {
    expect(
      transform('ReplaceField$Key', { exclude: 'b', renames: 'a:x' })(sinkRecord({ key: { a: 1, b: 2, c: 3 } }))?.key,
    ).toEqual({
      x: 1,
      c: 3,
    });
  });
});

describe('MaskField', () => {
  it('masks struct fields with empty values by type', () => {
    const s = SchemaBuilder.struct()
      .field('n', Schemas.INT32)
      .field('s', Schemas.STRING)
      .field('b', Schemas.BOOLEAN)
      .field('ts', SchemaBuilder.timestamp().build())
      .field('keep', Schemas.STRING)
      .build();
    const out = transform('MaskField$Value', { fields: 'n,s,b,ts' })(
      sinkRecord({ valueSchema: s, value: { n: 5, s: 'x', b: true, ts: new Date(5), keep: 'k' } }),
    );
    expect(out?.value).toEqual({ n: 0, s: '', b: false, ts: new Date(0), keep: 'k' });
    expect(out?.valueSchema).toBe(s);
  });

  it('uses a replacement for strings and numbers, schemaless too', () => {
    const out = transform('MaskField$Value', { fields: 'secret,n', replacement: '42' })(
      sinkRecord({ value: { secret: 'pw', n: 7 } }),
    );
    expect(out?.value).toEqual({ secret: '42', n: 42 });
    expect(() =>
      transform('MaskField$Value', { fields: 'n', replacement: 'abc' })(
        sinkRecord({ valueSchema: SchemaBuilder.struct().field('n', Schemas.INT32).build(), value: { n: 1 } }),
      ),
    ).toThrow(RecordError);
  });
});

describe('ValueToKey', () => {
  it('builds a struct key from value fields', () => {
    const out = transform('ValueToKey', { fields: 'device' })(sinkRecord({ valueSchema, value }));
    expect(out?.key).toEqual({ device: 'press7' });
    expect(out?.keySchema?.fields?.map((f) => [f.name, f.schema.type])).toEqual([['device', 'string']]);
  });

  it('builds a map key schemaless, and names a missing field', () => {
    expect(transform('ValueToKey', { fields: 'a,b' })(sinkRecord({ value: { a: 1, b: 2, c: 3 } }))?.key).toEqual({
      a: 1,
      b: 2,
    });
    expect(() => transform('ValueToKey', { fields: 'nope' })(sinkRecord({ valueSchema, value }))).toThrow(/nope/);
  });
});

describe('ExtractField', () => {
  it('extracts a struct field with its schema', () => {
    const out = transform('ExtractField$Value', { field: 'temp' })(sinkRecord({ valueSchema, value }));
    expect(out?.value).toBe(21.5);
    expect(out?.valueSchema).toBe(Schemas.FLOAT64);
  });

  it('extracts from maps and keys', () => {
    expect(transform('ExtractField$Key', { field: 'id' })(sinkRecord({ key: { id: 'a' } }))?.key).toBe('a');
    expect(transform('ExtractField$Value', { field: 'x' })(sinkRecord({ value: { y: 1 } }))?.value).toBeNull();
  });
});

describe('HoistField', () => {
  it('wraps a schemaful value in a one-field struct', () => {
    const out = transform('HoistField$Value', { field: 'reading' })(sinkRecord({ valueSchema, value }));
    expect(out?.value).toEqual({ reading: value });
    expect(out?.valueSchema?.fields?.[0]).toEqual({ name: 'reading', schema: valueSchema });
  });

  it('wraps a schemaless key in a map', () => {
    expect(transform('HoistField$Key', { field: 'id' })(sinkRecord({ key: 'k1' }))?.key).toEqual({ id: 'k1' });
  });
});

describe('Flatten', () => {
  it('flattens nested structs, keeping optionality of the parent', () => {
    const inner = SchemaBuilder.struct().field('x', Schemas.INT32).field('y', Schemas.INT32).optional().build();
    const s = SchemaBuilder.struct().field('id', Schemas.STRING).field('pos', inner).build();
    const out = transform('Flatten$Value', { delimiter: '_' })(
      sinkRecord({ valueSchema: s, value: { id: 'a', pos: { x: 1, y: 2 } } }),
    );
    expect(out?.value).toEqual({ id: 'a', pos_x: 1, pos_y: 2 });
    expect(out?.valueSchema?.fields?.map((f) => [f.name, f.schema.optional])).toEqual([
      ['id', false],
      ['pos_x', true],
      ['pos_y', true],
    ]);
    const nulls = transform('Flatten$Value', {})(sinkRecord({ valueSchema: s, value: { id: 'a', pos: null } }));
    expect(nulls?.value).toEqual({ id: 'a', 'pos.x': null, 'pos.y': null });
  });

  it('flattens schemaless maps and keeps arrays', () => {
    const out = transform('Flatten$Value')(sinkRecord({ value: { a: { b: { c: 1 } }, list: [1, 2] } }));
    expect(out?.value).toEqual({ 'a.b.c': 1, list: [1, 2] });
  });
});

describe('field transforms refuse what they cannot reshape, naming it', () => {
  const schema = SchemaBuilder.struct()
    .field('id', Schemas.STRING)
    .field('at', Schemas.INT64)
    .field('inner', SchemaBuilder.struct().field('x', Schemas.INT32).build())
    .build();
  const value = { id: 'a', at: 1, inner: { x: 1 } };
  const rec = sinkRecord({ valueSchema: schema, value });

  it('TimestampConverter: an unknown field of a struct', () => {
    const t = transform('TimestampConverter$Value', { field: 'nope', 'target.type': 'unix' });
    expect(() => t(rec)).toThrow("TimestampConverter: unknown field 'nope'");
    expect(t(sinkRecord({ valueSchema: schema, value: null }))?.value).toBeNull();
  });

  it('InsertField: a field that already exists', () => {
    expect(() => transform('InsertField$Value', { 'static.field': 'id', 'static.value': 'x' })(rec)).toThrow(
      "InsertField: field 'id' already exists",
    );
  });

  it('Cast: a struct field', () => {
    expect(() => transform('Cast$Value', { spec: 'inner:string' })(rec)).toThrow(/only primitive types can be cast/);
  });

  it('a value that is neither a map nor a struct', () => {
    expect(() => transform('ReplaceField$Value', { exclude: 'id' })(sinkRecord({ value: 'text' }))).toThrow(
      RecordError,
    );
  });
});

describe('ExtractField and HoistField settings', () => {
  it.each(['ExtractField$Value', 'HoistField$Key'])('%s requires its field, naming the full key', (type) => {
    expect(issuesOf({ transforms: 'f', 'transforms.f.type': type })).toEqual([
      { key: 'transforms.f.field', message: 'is required' },
    ]);
  });
});
