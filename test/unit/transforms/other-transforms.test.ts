import { LogicalTypes, RecordError, SchemaBuilder, Schemas } from '../../../runtime/api';
import { applyChain, compileDateFormat, parseTransformChain, SettingsReader } from '../../../runtime/transforms';
import { issuesOf, sinkRecord, transform } from './helpers';

describe('Cast', () => {
  const s = SchemaBuilder.struct()
    .field('n', Schemas.STRING)
    .field('f', Schemas.OPTIONAL_FLOAT64)
    .field('b', Schemas.INT8)
    .build();

  it('casts struct fields and updates their schemas', () => {
    const out = transform('Cast$Value', { spec: 'n:int32,f:string,b:boolean' })(
      sinkRecord({ valueSchema: s, value: { n: '17', f: 2.5, b: 0 } }),
    );
    expect(out?.value).toEqual({ n: 17, f: '2.5', b: false });
    expect(out?.valueSchema?.fields?.map((f) => [f.name, f.schema.type, f.schema.optional])).toEqual([
      ['n', 'int32', false],
      ['f', 'string', true],
      ['b', 'boolean', false],
    ]);
  });

  it('casts a whole schemaless key and schemaless map fields', () => {
    expect(transform('Cast$Key', { spec: 'int64' })(sinkRecord({ key: '12' }))?.key).toBe(12);
    expect(transform('Cast$Value', { spec: 'a:float64' })(sinkRecord({ value: { a: '1.5', b: 'x' } }))?.value).toEqual({
      a: 1.5,
      b: 'x',
    });
  });

  it('fails a record whose value cannot be cast', () => {
    const t = transform('Cast$Value', { spec: 'n:int8' });
    expect(() => t(sinkRecord({ value: { n: 'abc' } }))).toThrow(RecordError);
    expect(() => t(sinkRecord({ value: { n: 300 } }))).toThrow(/out of range/);
  });

  it('reports a bad spec naming the key', () => {
    expect(issuesOf({ transforms: 'c', 'transforms.c.type': 'Cast$Value', 'transforms.c.spec': 'a:int33' })).toEqual([
      { key: 'transforms.c.spec', message: expect.stringMatching(/invalid cast 'a:int33'/) },
    ]);
    expect(issuesOf({ transforms: 'c', 'transforms.c.type': 'Cast$Value' })[0]?.key).toBe('transforms.c.spec');
  });
});

describe('TimestampConverter', () => {
  const at = Date.UTC(2026, 10, 25, 10, 30, 15, 123);

  it('converts a struct field from unix millis to a formatted string', () => {
    const s = SchemaBuilder.struct().field('at', Schemas.INT64).build();
    const out = transform('TimestampConverter$Value', {
      field: 'at',
      'target.type': 'string',
      format: "yyyy-MM-dd'T'HH:mm:ss.SSSX",
    })(sinkRecord({ valueSchema: s, value: { at } }));
    expect(out?.value).toEqual({ at: '2026-11-25T10:30:15.123Z' });
    expect(out?.valueSchema?.fields?.[0]?.schema.type).toBe('string');
  });

  it('parses strings to Timestamp and converts to Date, Time and unix seconds', () => {
    const toTs = transform('TimestampConverter$Value', {
      field: 'at',
      'target.type': 'Timestamp',
      format: 'yyyy-MM-dd HH:mm:ss',
    });
    expect(toTs(sinkRecord({ value: { at: '2026-11-25 10:30:15' } }))?.value).toEqual({
      at: new Date(Date.UTC(2026, 10, 25, 10, 30, 15)),
    });
    const ts = SchemaBuilder.timestamp().build();
    const toDate = transform('TimestampConverter$Value', { 'target.type': 'Date' })(
      sinkRecord({ valueSchema: ts, value: new Date(at) }),
    );
    expect(toDate?.value).toEqual(new Date(Date.UTC(2026, 10, 25)));
    expect(toDate?.valueSchema?.name).toBe(LogicalTypes.Date);
    const toTime = transform('TimestampConverter$Value', { 'target.type': 'Time' })(
      sinkRecord({ valueSchema: ts, value: new Date(at) }),
    );
    expect((toTime?.value as Date).getTime()).toBe(((10 * 60 + 30) * 60 + 15) * 1000 + 123);
    const toUnix = transform('TimestampConverter$Key', { 'target.type': 'unix', 'unix.precision': 'seconds' })(
      sinkRecord({ key: new Date(at) }),
    );
    expect(toUnix?.key).toBe(Math.floor(at / 1000));
  });

  it('requires a format for string targets and validates patterns', () => {
    const issues = issuesOf({
      transforms: 't',
      'transforms.t.type': 'TimestampConverter$Value',
      'transforms.t.target.type': 'string',
    });
    expect(issues.map((i) => i.key)).toEqual(['transforms.t.format']);
    const bad = issuesOf({
      transforms: 't',
      'transforms.t.type': 'TimestampConverter$Value',
      'transforms.t.target.type': 'wrong',
      'transforms.t.format': 'yyyy-QQ',
    });
    expect(bad.map((i) => i.key).sort()).toEqual(['transforms.t.format', 'transforms.t.target.type']);
  });

  it('fails a record whose string does not match the format', () => {
    const t = transform('TimestampConverter$Value', { field: 'at', 'target.type': 'unix', format: 'yyyy-MM-dd' });
    expect(() => t(sinkRecord({ value: { at: 'yesterday' } }))).toThrow(RecordError);
  });

  it('formats and parses with the date format subset', () => {
    const f = compileDateFormat('dd/MMM/yy hh:mm a');
    expect(f.format(new Date(at))).toBe('25/Nov/26 10:30 AM');
    expect(f.parse('25/Nov/26 10:30 PM').getTime()).toBe(Date.UTC(2026, 10, 25, 22, 30));
  });
});

describe('RegexRouter and TimestampRouter', () => {
  it('rewrites a topic that matches the whole regex', () => {
    const t = transform('RegexRouter', { regex: 'factory\\.(.*)', replacement: 'plant-$1' });
    expect(t(sinkRecord({ topic: 'factory.press7' }))?.topic).toBe('plant-press7');
    expect(t(sinkRecord({ topic: 'xfactory.press7' }))?.topic).toBe('xfactory.press7');
  });

  it('reports an invalid regex naming the key', () => {
    const issues = issuesOf({
      transforms: 'route',
      'transforms.route.type': 'RegexRouter',
      'transforms.route.regex': '(',
      'transforms.route.replacement': 'x',
    });
    expect(issues).toEqual([{ key: 'transforms.route.regex', message: expect.stringMatching(/^invalid regex/) }]);
  });

  it('routes by timestamp', () => {
    const t = transform('org.apache.kafka.connect.transforms.TimestampRouter', { 'timestamp.format': 'yyyy.MM' });
    expect(t(sinkRecord())?.topic).toBe('factory.press7-2026.11');
    expect(() => t(sinkRecord({ timestamp: undefined }))).toThrow(/no timestamp/);
  });
});

describe('header transforms', () => {
  it('HeaderFrom copies and moves struct fields with their schemas', () => {
    const s = SchemaBuilder.struct().field('device', Schemas.STRING).field('t', Schemas.FLOAT64).build();
    const rec = sinkRecord({ valueSchema: s, value: { device: 'p7', t: 1.5 } });
    const copied = transform('HeaderFrom$Value', { fields: 'device', headers: 'dev', operation: 'copy' })(rec);
    expect(copied?.headers).toEqual([{ key: 'dev', value: 'p7', schema: Schemas.STRING }]);
    expect(copied?.value).toEqual({ device: 'p7', t: 1.5 });
    const moved = transform('HeaderFrom$Value', { fields: 'device', headers: 'dev', operation: 'move' })(rec);
    expect(moved?.value).toEqual({ t: 1.5 });
    expect(moved?.valueSchema?.fields?.map((f) => f.name)).toEqual(['t']);
  });

  it('HeaderFrom works schemaless on keys and checks list lengths', () => {
    const out = transform('HeaderFrom$Key', { fields: 'a', headers: 'h', operation: 'move' })(
      sinkRecord({ key: { a: 1, b: 2 } }),
    );
    expect(out?.key).toEqual({ b: 2 });
    expect(out?.headers).toEqual([{ key: 'h', value: 1 }]);
    const issues = issuesOf({
      transforms: 'h',
      'transforms.h.type': 'HeaderFrom$Value',
      'transforms.h.fields': 'a,b',
      'transforms.h.headers': 'x',
      'transforms.h.operation': 'copy',
    });
    expect(issues.map((i) => i.key)).toEqual(['transforms.h.headers']);
  });

  it('InsertHeader adds and DropHeaders removes headers', () => {
    const ins = transform('InsertHeader', { header: 'site', 'value.literal': 'plant-1' })(sinkRecord());
    expect(ins?.headers).toEqual([{ key: 'site', value: 'plant-1', schema: Schemas.STRING }]);
    const drop = transform('DropHeaders', { headers: 'a,c' })(
      sinkRecord({
        headers: [
          { key: 'a', value: 1 },
          { key: 'b', value: 2 },
          { key: 'c', value: 3 },
        ],
      }),
    );
    expect(drop?.headers.map((h) => h.key)).toEqual(['b']);
  });
});

describe('Filter and predicates', () => {
  const raw = (predicate: Record<string, string>, negate = 'false'): Record<string, string> => ({
    transforms: 'drop',
    'transforms.drop.type': 'Filter',
    'transforms.drop.predicate': 'p',
    'transforms.drop.negate': negate,
    predicates: 'p',
    ...Object.fromEntries(Object.entries(predicate).map(([k, v]) => [`predicates.p.${k}`, v])),
  });
  const run = (r: Record<string, string>, rec = sinkRecord()) => {
    const chain = parseTransformChain(r);
    expect(chain.issues).toEqual([]);
    return applyChain(chain.steps, rec);
  };

  it('Filter drops every record without a predicate', () => {
    expect(transform('Filter')(sinkRecord())).toBeNull();
  });

  it('TopicNameMatches matches the whole topic; negate inverts', () => {
    const p = { type: 'TopicNameMatches', pattern: 'factory\\..*' };
    expect(run(raw(p), sinkRecord({ topic: 'factory.x' }))).toBeNull();
    expect(run(raw(p), sinkRecord({ topic: 'other' }))).not.toBeNull();
    expect(run(raw(p, 'true'), sinkRecord({ topic: 'factory.x' }))).not.toBeNull();
    expect(run(raw(p, 'true'), sinkRecord({ topic: 'other' }))).toBeNull();
  });

  it('HasHeaderKey and RecordIsTombstone', () => {
    const h = raw({ type: 'org.apache.kafka.connect.transforms.predicates.HasHeaderKey', name: 'skip' });
    expect(run(h, sinkRecord({ headers: [{ key: 'skip', value: null }] }))).toBeNull();
    expect(run(h, sinkRecord())).not.toBeNull();
    const t = raw({ type: 'RecordIsTombstone' });
    expect(run(t, sinkRecord({ value: null }))).toBeNull();
    expect(run(t, sinkRecord({ value: 'x' }))).not.toBeNull();
  });

  it('reports unknown types, unknown predicates and missing keys', () => {
    const issues = issuesOf({
      transforms: 'a,b,c',
      'transforms.a.type': 'Foo',
      'transforms.b.type': 'Filter',
      'transforms.b.predicate': 'nope',
      predicates: 'p',
      'predicates.p.type': 'TopicNameMatches',
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        { key: 'transforms.a.type', message: "unknown transformation 'Foo'" },
        { key: 'transforms.b.predicate', message: expect.stringMatching(/unknown predicate 'nope'/) },
        { key: 'transforms.c.type', message: 'is required' },
        { key: 'predicates.p.pattern', message: 'is required' },
      ]),
    );
  });

  it('runs transforms in order', () => {
    const r = {
      transforms: 'hoist,insert',
      'transforms.hoist.type': 'HoistField$Value',
      'transforms.hoist.field': 'v',
      'transforms.insert.type': 'InsertField$Value',
      'transforms.insert.topic.field': 't',
    };
    expect(run(r, sinkRecord({ value: 5 }))?.value).toEqual({ v: 5, t: 'factory.press7' });
  });

  it('fails records of the wrong shape with RecordError, never another error', () => {
    expect(() =>
      transform('ExtractField$Value', { field: 'x' })(sinkRecord({ valueSchema: Schemas.STRING, value: 'a' })),
    ).toThrow(RecordError);
  });
});

describe('transform settings defaults', () => {
  const keys = {
    delimiter: { type: 'string', default: '_', description: 'Joins' },
    unit: { type: 'string', enum: ['s', 'ms'], default: 'ms', description: 'Unit' },
  } as const;

  it('takes an unset key, or one given empty, from the default its configKeys declare', () => {
    const read = new SettingsReader({ unit: '' }, 'transforms.t.', keys);
    expect(read.string('delimiter')).toBe('_');
    expect(read.oneOf('unit', ['s', 'ms'] as const)).toBe('ms');
    expect(read.issues).toEqual([]);
  });

  it('still prefers a given value and names the full key of a bad one', () => {
    const read = new SettingsReader({ delimiter: '.', unit: 'h' }, 'transforms.t.', keys);
    expect(read.string('delimiter')).toBe('.');
    read.oneOf('unit', ['s', 'ms'] as const);
    expect(read.issues.map((i) => i.key)).toEqual(['transforms.t.unit']);
  });
});
