import { ConfigError, RecordError } from '../../../../runtime/api';
import { compileTemplate, resolvePath, type TemplatePath } from '../../../../connectors/mqtt-common';

const SINK_ROOTS = ['key', 'kafka.topic', 'kafka.partition', 'kafka.offset', 'value', 'header', 'timestamp'];
const SOURCE_ROOTS = ['mqtt.topic', 'payload', 'mqtt.qos'];

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('compileTemplate', () => {
  it('splits literals and placeholders, with roots that contain dots', () => {
    const t = compileTemplate('devices/${key}/from/${kafka.topic}/${value.deviceId}', SINK_ROOTS, 'mqtt.topic');
    expect(t.isConstant).toBe(false);
    expect(t.single).toBeUndefined();
    expect(t.placeholders).toEqual([
      { root: 'key', path: [], text: 'key' },
      { root: 'kafka.topic', path: [], text: 'kafka.topic' },
      { root: 'value', path: ['deviceId'], text: 'value.deviceId' },
    ]);
    const values: Record<string, unknown> = { key: 'd1', 'kafka.topic': 'cmds', value: { deviceId: 42 } };
    const out = t.render((p) => resolvePath(values[p.root], p.path));
    expect(out).toBe('devices/d1/from/cmds/42');
  });

  it('parses topic levels, nested fields and quoted names', () => {
    const t = compileTemplate(
      '${mqtt.topic[1]}:${payload.a.b}:${payload["x.y"]}:${payload.list[2]}',
      SOURCE_ROOTS,
      'k',
    );
    expect(t.placeholders.map((p) => [p.root, p.path])).toEqual([
      ['mqtt.topic', [1]],
      ['payload', ['a', 'b']],
      ['payload', ['x.y']],
      ['payload', ['list', 2]],
    ]);
    const payload = { a: { b: 'B' }, 'x.y': true, list: [0, 1, 'two'] };
    const levels = ['factory', 'line7', 'temp'];
    const out = t.render((p) => (p.root === 'mqtt.topic' ? resolvePath(levels, p.path) : resolvePath(payload, p.path)));
    expect(out).toBe('line7:B:true:two');
  });

  it('is constant without placeholders and keeps a lone $ and an escaped $${', () => {
    const t = compileTemplate('price $5 and $${literal}', SINK_ROOTS, 'k');
    expect(t.isConstant).toBe(true);
    expect(t.render(() => 'unused')).toBe('price $5 and ${literal}');
    expect(compileTemplate('', SINK_ROOTS, 'k').render(() => 'x')).toBe('');
  });

  it('exposes the placeholder when the template is exactly one', () => {
    const t = compileTemplate('${header.retain}', SINK_ROOTS, 'mqtt.retain');
    expect(t.single).toEqual({ root: 'header', path: ['retain'], text: 'header.retain' });
  });

  it('renders structs as JSON, bytes as UTF-8 and dates as ISO text', () => {
    const t = compileTemplate('{"d":${value},"k":"${key}","t":"${timestamp}"}', SINK_ROOTS, 'mqtt.payload.template');
    const values: Record<string, unknown> = {
      value: { a: 1, m: new Map([['x', 2]]) },
      key: Buffer.from('k1'),
      timestamp: new Date(0),
    };
    expect(t.render((p) => values[p.root])).toBe('{"d":{"a":1,"m":{"x":2}},"k":"k1","t":"1970-01-01T00:00:00.000Z"}');
  });

  it('throws a RecordError naming the placeholder when a value is missing or null', () => {
    const t = compileTemplate('a/${value.missing}', SINK_ROOTS, 'mqtt.topic');
    expect(() => t.render(() => undefined)).toThrow(RecordError);
    expect(() => t.render(() => null)).toThrow('${value.missing}');
  });

  it.each([
    ['${nope}', 'unknown placeholder ${nope}'],
    ['${keyx}', 'unknown placeholder'],
    ['${}', 'empty placeholder'],
    ['a/${value.x', 'unterminated placeholder'],
    ['${value..x}', 'malformed placeholder'],
    ['${value[x]}', 'malformed index'],
    ['${value[1}', 'malformed index'],
    ['${value x}', 'unknown placeholder'],
    ['${value.a x[}', 'malformed index'],
  ])('rejects %s naming the key', (source, message) => {
    const err = configError(() => compileTemplate(source, SINK_ROOTS, 'mqtt.topic'));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]?.key).toBe('mqtt.topic');
    expect(err.issues[0]?.message).toContain(message);
  });

  it('allows only the roots given for the key', () => {
    expect(() => compileTemplate('${payload.x}', SINK_ROOTS, 'mqtt.topic')).toThrow(ConfigError);
    expect(() => compileTemplate('${payload.x}', SOURCE_ROOTS, 'kafka.key')).not.toThrow();
  });

  it('passes the same TemplatePath object on every render (callers may cache per placeholder)', () => {
    const t = compileTemplate('${key}', SINK_ROOTS, 'k');
    const seen: TemplatePath[] = [];
    t.render((p) => (seen.push(p), 'a'));
    t.render((p) => (seen.push(p), 'b'));
    expect(seen[0]).toBe(seen[1]);
  });
});

describe('resolvePath', () => {
  it('walks objects, maps and arrays and stops at missing steps', () => {
    const v = { a: new Map<string, unknown>([['b', [10, { c: 'deep' }]]]) };
    expect(resolvePath(v, ['a', 'b', 1, 'c'])).toBe('deep');
    expect(resolvePath(v, ['a', 'zz', 1])).toBeUndefined();
    expect(resolvePath(v, ['a', 'b', 'notIndex'])).toBeUndefined();
    expect(resolvePath('text', ['length'])).toBeUndefined();
    expect(resolvePath({ toString: 1 }, ['toString'])).toBe(1);
    expect(resolvePath({}, ['toString'])).toBeUndefined();
  });
});
