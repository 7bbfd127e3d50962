/**
 * Translation between Kafka Connect's data model and Avro, following Confluent's AvroData conventions so that
 * schemas Ferry registers look like the ones Kafka Connect registers. Connectors may use it to ship `.avsc` files
 * that equal what the converter registers. Imports nothing but avsc and ./schema.
 *
 * @packageDocumentation
 */
import * as avro from 'avsc';
import { LogicalTypes, type Field, type Schema } from './schema';

/** Record name Connect uses for a struct without a name. */
export const AVRO_DEFAULT_RECORD_NAME = 'ConnectDefault';
/** Namespace of Connect's generated Avro names. */
export const AVRO_DEFAULT_NAMESPACE = 'io.confluent.connect.avro';
/** Record name of the entries of a map whose keys are not strings. */
export const AVRO_MAP_ENTRY_NAME = 'MapEntry';
/** Connect schema parameter holding a Decimal's precision (Avro needs one). */
export const DECIMAL_PRECISION_PARAMETER = 'connect.decimal.precision';
const DEFAULT_DECIMAL_PRECISION = 64;
const MILLIS_PER_DAY = 86_400_000;

type AvroJson = string | Record<string, unknown> | unknown[];

/** A Connect schema as an Avro schema (JSON object form). Structs become records; see the module docs for rules. */
export function connectToAvroSchema(schema: Schema): object {
  const names = new Map<string, number>();
  const t = toAvroType(schema, names);
  return (schema.optional ? ['null', t] : t) as object;
}

function uniqueName(fullName: string, names: Map<string, number>): string {
  // Avro forbids redefining a name inside one schema; Connect numbers repeats the same way.
  const n = (names.get(fullName) ?? 0) + 1;
  names.set(fullName, n);
  return n === 1 ? fullName : `${fullName}${n}`;
}

function splitName(fullName: string): { name: string; namespace?: string } {
  const dot = fullName.lastIndexOf('.');
  return dot < 0 ? { name: fullName } : { name: fullName.slice(dot + 1), namespace: fullName.slice(0, dot) };
}

function toAvroType(schema: Schema, names: Map<string, number>): AvroJson {
  switch (schema.name) {
    case LogicalTypes.Timestamp:
      return { type: 'long', logicalType: 'timestamp-millis' };
    case LogicalTypes.Date:
      return { type: 'int', logicalType: 'date' };
    case LogicalTypes.Time:
      return { type: 'int', logicalType: 'time-millis' };
    case LogicalTypes.Decimal:
      return {
        type: 'bytes',
        logicalType: 'decimal',
        precision: decimalPrecision(schema),
        scale: decimalScale(schema),
      };
    default:
      break;
  }
  switch (schema.type) {
    case 'int8':
    case 'int16':
      return { type: 'int', 'connect.type': schema.type };
    case 'int32':
      return 'int';
    case 'int64':
      return 'long';
    case 'float32':
      return 'float';
    case 'float64':
      return 'double';
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'bytes':
      return 'bytes';
    case 'array':
      return { type: 'array', items: fieldType(required(schema.valueSchema, 'array value schema'), names) };
    case 'map': {
      const keySchema = required(schema.keySchema, 'map key schema');
      const valueSchema = required(schema.valueSchema, 'map value schema');
      if (keySchema.type === 'string' && !keySchema.optional && keySchema.name === undefined) {
        return { type: 'map', values: fieldType(valueSchema, names) };
      }
      const entryName = uniqueName(`${AVRO_DEFAULT_NAMESPACE}.${AVRO_MAP_ENTRY_NAME}`, names);
      return {
        type: 'array',
        items: {
          type: 'record',
          ...splitName(entryName),
          fields: [
            { name: 'key', type: fieldType(keySchema, names) },
            { name: 'value', type: fieldType(valueSchema, names) },
          ],
        },
      };
    }
    case 'struct': {
      const full = uniqueName(schema.name ?? `${AVRO_DEFAULT_NAMESPACE}.${AVRO_DEFAULT_RECORD_NAME}`, names);
      const record: Record<string, unknown> = { type: 'record', ...splitName(full) };
      if (schema.doc !== undefined) record['doc'] = schema.doc;
      record['fields'] = (schema.fields ?? []).map((f) => toAvroField(f, names));
      return record;
    }
  }
}

function required<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`schema has no ${what}`);
  return v;
}

/** Type of a nested position (field, array item, map value): optional → ["null", T]. */
function fieldType(schema: Schema, names: Map<string, number>): AvroJson {
  const t = toAvroType(schema, names);
  return schema.optional ? ['null', t] : t;
}

function toAvroField(field: Field, names: Map<string, number>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: field.name, type: fieldType(field.schema, names) };
  if (field.schema.optional) {
    // Avro only allows a default of the union's first branch, which is null.
    out['default'] = null;
  } else if (field.schema.defaultValue !== undefined && field.schema.defaultValue !== null) {
    out['default'] = avroJsonDefault(field.schema, field.schema.defaultValue);
  }
  if (field.schema.doc !== undefined && field.schema.type !== 'struct') out['doc'] = field.schema.doc;
  return out;
}

/** A Connect default value in Avro's JSON encoding of defaults. */
function avroJsonDefault(schema: Schema, value: unknown): unknown {
  const v = connectToAvroValue({ ...schema, optional: false }, value);
  return jsonifyAvroValue(v);
}

function jsonifyAvroValue(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (Array.isArray(v)) return v.map(jsonifyAvroValue);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonifyAvroValue(x);
    return out;
  }
  return v;
}

function decimalScale(schema: Schema): number {
  const s = Number(schema.parameters?.['scale'] ?? 0);
  return Number.isInteger(s) ? s : 0;
}

function decimalPrecision(schema: Schema): number {
  const p = Number(schema.parameters?.[DECIMAL_PRECISION_PARAMETER] ?? schema.parameters?.['precision']);
  return Number.isInteger(p) && p > 0 ? p : DEFAULT_DECIMAL_PRECISION;
}

// ---------------------------------------------------------------------------------------------------------------
// Avro → Connect schema

/** An Avro schema (object or JSON string) as a Connect schema. Unions other than `["null", T]` are not supported. */
export function avroToConnectSchema(avsc: object | string): Schema {
  const parsed: unknown = typeof avsc === 'string' ? parseAvroJson(avsc) : avsc;
  return fromAvroType(parsed, new Map(), undefined);
}

function parseAvroJson(text: string): unknown {
  const trimmed = text.trim();
  // A bare primitive name is a valid Avro schema too.
  if (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(trimmed)) return trimmed;
  return JSON.parse(trimmed);
}

const PRIMITIVE_NAMES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

function fromAvroType(t: unknown, named: Map<string, Schema>, namespace: string | undefined): Schema {
  if (Array.isArray(t)) {
    const branches = t.filter((b) => b !== 'null');
    if (branches.length === 1 && t.length === 2) {
      return { ...fromAvroType(branches[0], named, namespace), optional: true };
    }
    throw new Error(`Avro union ${JSON.stringify(t)} is not supported: only ["null", T]`);
  }
  if (typeof t === 'string') {
    if (PRIMITIVE_NAMES.has(t)) return fromAvroType({ type: t }, named, namespace);
    const ref = named.get(t) ?? (namespace !== undefined ? named.get(`${namespace}.${t}`) : undefined);
    if (ref === undefined) throw new Error(`unknown Avro type name '${t}'`);
    return ref;
  }
  if (t === null || typeof t !== 'object') throw new Error(`invalid Avro schema: ${JSON.stringify(t)}`);
  const o = t as Record<string, unknown>;
  const type = o['type'];
  if (
    typeof type !== 'string' ||
    (!PRIMITIVE_NAMES.has(type) && !['record', 'array', 'map', 'enum', 'fixed', 'error'].includes(type))
  ) {
    // `{"type": <complex>}` wraps another schema.
    if (type !== undefined && typeof type !== 'string') return fromAvroType(type, named, namespace);
    if (typeof type === 'string') return fromAvroType(type, named, namespace);
    throw new Error(`invalid Avro schema: ${JSON.stringify(t)}`);
  }
  const doc = typeof o['doc'] === 'string' ? o['doc'] : undefined;
  const base = (s: Omit<Schema, 'optional'>): Schema => ({
    optional: false,
    ...(doc !== undefined ? { doc } : {}),
    ...s,
  });
  const logical = o['logicalType'];
  switch (type) {
    case 'null':
      throw new Error('Avro type "null" on its own has no Connect equivalent');
    case 'boolean':
      return base({ type: 'boolean' });
    case 'int':
      if (logical === 'date') return base({ type: 'int32', name: LogicalTypes.Date, version: 1 });
      if (logical === 'time-millis') return base({ type: 'int32', name: LogicalTypes.Time, version: 1 });
      if (o['connect.type'] === 'int8') return base({ type: 'int8' });
      if (o['connect.type'] === 'int16') return base({ type: 'int16' });
      return base({ type: 'int32' });
    case 'long':
      if (logical === 'timestamp-millis') return base({ type: 'int64', name: LogicalTypes.Timestamp, version: 1 });
      return base({ type: 'int64' });
    case 'float':
      return base({ type: 'float32' });
    case 'double':
      return base({ type: 'float64' });
    case 'bytes':
    case 'fixed':
      if (logical === 'decimal') {
        const parameters: Record<string, string> = { scale: String(Number(o['scale'] ?? 0)) };
        if (o['precision'] !== undefined) parameters[DECIMAL_PRECISION_PARAMETER] = String(Number(o['precision']));
        const s = base({ type: 'bytes', name: LogicalTypes.Decimal, version: 1, parameters });
        if (type === 'fixed') registerNamed(o, s, named, namespace);
        return s;
      }
      if (type === 'fixed') {
        const s = base({ type: 'bytes' });
        registerNamed(o, s, named, namespace);
        return s;
      }
      return base({ type: 'bytes' });
    case 'string':
      return base({ type: 'string' });
    case 'enum': {
      const s = base({ type: 'string' });
      registerNamed(o, s, named, namespace);
      return s;
    }
    case 'array': {
      const items = o['items'];
      const entry = mapEntryOf(items, named, namespace);
      if (entry) return base({ type: 'map', keySchema: entry.key, valueSchema: entry.value });
      return base({ type: 'array', valueSchema: fromAvroType(items, named, namespace) });
    }
    case 'map':
      return base({
        type: 'map',
        keySchema: { type: 'string', optional: false },
        valueSchema: fromAvroType(o['values'], named, namespace),
      });
    case 'record':
    case 'error': {
      const full = fullNameOf(o, namespace);
      const ns = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : undefined;
      const isDefault = full === `${AVRO_DEFAULT_NAMESPACE}.${AVRO_DEFAULT_RECORD_NAME}`;
      const fieldsIn = Array.isArray(o['fields']) ? (o['fields'] as Record<string, unknown>[]) : [];
      // Register before the fields so recursive references resolve (they see no fields yet; recursion is rare).
      const placeholder: { -readonly [K in keyof Schema]: Schema[K] } = base({ type: 'struct', fields: [] });
      if (!isDefault) placeholder.name = full;
      named.set(full, placeholder);
      const fields: Field[] = fieldsIn.map((f) => {
        const name = String(f['name']);
        let fs = fromAvroType(f['type'], named, ns);
        if (typeof f['doc'] === 'string' && fs.doc === undefined) fs = { ...fs, doc: f['doc'] };
        if ('default' in f && f['default'] !== null && f['default'] !== undefined) {
          fs = { ...fs, defaultValue: avroJsonDefaultToConnect(fs, f['default']) };
        }
        return { name, schema: fs };
      });
      placeholder.fields = fields;
      return placeholder;
    }
    default:
      throw new Error(`unsupported Avro type '${type}'`);
  }
}

function fullNameOf(o: Record<string, unknown>, namespace: string | undefined): string {
  const name = typeof o['name'] === 'string' ? o['name'] : '';
  if (name.includes('.')) return name;
  const ns = typeof o['namespace'] === 'string' && o['namespace'] !== '' ? o['namespace'] : namespace;
  return ns !== undefined ? `${ns}.${name}` : name;
}

function registerNamed(
  o: Record<string, unknown>,
  s: Schema,
  named: Map<string, Schema>,
  namespace: string | undefined,
): void {
  if (typeof o['name'] === 'string') named.set(fullNameOf(o, namespace), s);
}

function mapEntryOf(
  items: unknown,
  named: Map<string, Schema>,
  namespace: string | undefined,
): { key: Schema; value: Schema } | undefined {
  if (items === null || typeof items !== 'object' || Array.isArray(items)) return undefined;
  const o = items as Record<string, unknown>;
  if (o['type'] !== 'record') return undefined;
  const full = fullNameOf(o, namespace);
  if (!full.startsWith(`${AVRO_DEFAULT_NAMESPACE}.${AVRO_MAP_ENTRY_NAME}`)) return undefined;
  const fields = o['fields'];
  if (!Array.isArray(fields) || fields.length !== 2) return undefined;
  const [k, v] = fields as Record<string, unknown>[];
  if (k?.['name'] !== 'key' || v?.['name'] !== 'value') return undefined;
  return { key: fromAvroType(k['type'], named, namespace), value: fromAvroType(v['type'], named, namespace) };
}

function avroJsonDefaultToConnect(schema: Schema, value: unknown): unknown {
  return avroToConnectValue(schema, unjsonify(schema, value));
}

/** Avro JSON defaults encode bytes as latin1 strings. */
function unjsonify(schema: Schema, v: unknown): unknown {
  if (v === null || v === undefined) return v;
  switch (schema.type) {
    case 'bytes':
      return typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
    case 'array':
      return Array.isArray(v) && schema.valueSchema ? v.map((x) => unjsonify(schema.valueSchema as Schema, x)) : v;
    case 'struct': {
      if (typeof v !== 'object') return v;
      const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
      for (const f of schema.fields ?? []) out[f.name] = unjsonify(f.schema, out[f.name]);
      return out;
    }
    default:
      return v;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Values

/** Why a Connect value does not fit its schema; `path` is the dotted field path. */
export class AvroValueError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(path === '' ? message : `${path}: ${message}`);
    this.name = 'AvroValueError';
  }
}

/**
 * A Connect value as the value avsc writes for `connectToAvroSchema(schema)`: Dates become numbers, decimal
 * strings two's-complement bytes, maps plain objects (or MapEntry arrays), absent struct fields their default.
 * Throws {@link AvroValueError} when the value does not fit the schema.
 */
export function connectToAvroValue(schema: Schema, value: unknown): unknown {
  return compiledToAvro(schema)(value, '');
}

/** An avsc-decoded value (of the Avro translation of `schema`) as a Connect value. */
export function avroToConnectValue(schema: Schema, value: unknown): unknown {
  return compiledToConnect(schema)(value);
}

type ToAvro = (v: unknown, path: string) => unknown;
type ToConnect = (v: unknown) => unknown;

const toAvroCache = new WeakMap<Schema, ToAvro>();
const toConnectCache = new WeakMap<Schema, ToConnect>();

/** Converters are compiled once per schema object: the hot path is a tree of small closures, no schema lookups. */
function compiledToAvro(schema: Schema): ToAvro {
  let fn = toAvroCache.get(schema);
  if (!fn) {
    fn = compileToAvro(schema);
    toAvroCache.set(schema, fn);
  }
  return fn;
}

function compiledToConnect(schema: Schema): ToConnect {
  let fn = toConnectCache.get(schema);
  if (!fn) {
    fn = compileToConnect(schema);
    toConnectCache.set(schema, fn);
  }
  return fn;
}

function compileToAvro(schema: Schema): ToAvro {
  const inner = compileRequiredToAvro(schema);
  const optional = schema.optional;
  const dflt = schema.defaultValue;
  return (v, path) => {
    if (v === undefined || v === null) {
      if (dflt !== undefined && dflt !== null) return inner(dflt, path);
      if (optional) return null;
      throw new AvroValueError(path, 'null value for a required field');
    }
    return inner(v, path);
  };
}

function fail(path: string, expected: string, v: unknown): never {
  const got = Buffer.isBuffer(v) ? 'bytes' : v instanceof Date ? 'Date' : Array.isArray(v) ? 'array' : typeof v;
  throw new AvroValueError(path, `expected ${expected}, got ${got}`);
}

function intIn(min: number, max: number, what: string): ToAvro {
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, what, v);
    return v;
  };
}

function compileRequiredToAvro(schema: Schema): ToAvro {
  switch (schema.name) {
    case LogicalTypes.Timestamp:
      return (v, path) => {
        if (v instanceof Date) return v.getTime();
        if (typeof v === 'number' && Number.isInteger(v)) return v;
        return fail(path, 'Date', v);
      };
    case LogicalTypes.Date:
      return (v, path) => {
        if (v instanceof Date) return Math.floor(v.getTime() / MILLIS_PER_DAY);
        if (typeof v === 'number' && Number.isInteger(v)) return v;
        return fail(path, 'Date', v);
      };
    case LogicalTypes.Time:
      return (v, path) => {
        if (v instanceof Date) return ((v.getTime() % MILLIS_PER_DAY) + MILLIS_PER_DAY) % MILLIS_PER_DAY;
        if (typeof v === 'number' && Number.isInteger(v)) return v;
        return fail(path, 'Date', v);
      };
    case LogicalTypes.Decimal: {
      const scale = decimalScale(schema);
      return (v, path) => {
        if (Buffer.isBuffer(v)) return v;
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint') fail(path, 'decimal string', v);
        try {
          return decimalToBytes(String(v), scale);
        } catch (err) {
          throw new AvroValueError(path, (err as Error).message);
        }
      };
    }
    default:
      break;
  }
  switch (schema.type) {
    case 'int8':
      return intIn(-128, 127, 'int8');
    case 'int16':
      return intIn(-32768, 32767, 'int16');
    case 'int32':
      return intIn(-2147483648, 2147483647, 'int32');
    case 'int64':
      return (v, path) => {
        if (typeof v === 'bigint') {
          if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
            fail(path, 'int64 within ±2^53', v);
          return Number(v);
        }
        if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(path, 'int64', v);
        return v;
      };
    case 'float32':
    case 'float64':
      return (v, path) => {
        if (typeof v !== 'number') fail(path, schema.type, v);
        return v;
      };
    case 'boolean':
      return (v, path) => {
        if (typeof v !== 'boolean') fail(path, 'boolean', v);
        return v;
      };
    case 'string':
      return (v, path) => {
        if (typeof v !== 'string') fail(path, 'string', v);
        return v;
      };
    case 'bytes':
      return (v, path) => {
        if (Buffer.isBuffer(v)) return v;
        if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
        return fail(path, 'bytes', v);
      };
    case 'array': {
      const item = compiledToAvro(required(schema.valueSchema, 'array value schema'));
      return (v, path) => {
        if (!Array.isArray(v)) fail(path, 'array', v);
        return v.map((x, i) => item(x, `${path}[${i}]`));
      };
    }
    case 'map': {
      const keySchema = required(schema.keySchema, 'map key schema');
      const val = compiledToAvro(required(schema.valueSchema, 'map value schema'));
      const key = compiledToAvro(keySchema);
      const stringKeys = keySchema.type === 'string' && !keySchema.optional && keySchema.name === undefined;
      return (v, path) => {
        const entries = mapEntries(v, path);
        if (stringKeys) {
          const out: Record<string, unknown> = {};
          for (const [k, x] of entries) {
            if (typeof k !== 'string') fail(`${path}.${String(k)}`, 'string key', k);
            out[k] = val(x, `${path}.${k}`);
          }
          return out;
        }
        return entries.map(([k, x]) => ({ key: key(k, `${path}.key`), value: val(x, `${path}.${String(k)}`) }));
      };
    }
    case 'struct': {
      const fields = (schema.fields ?? []).map((f) => ({ name: f.name, conv: compiledToAvro(f.schema) }));
      return (v, path) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v) || Buffer.isBuffer(v) || v instanceof Date) {
          fail(path, 'struct', v);
        }
        const src = v as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const f of fields) out[f.name] = f.conv(src[f.name], path === '' ? f.name : `${path}.${f.name}`);
        return out;
      };
    }
  }
}

function mapEntries(v: unknown, path: string): [unknown, unknown][] {
  if (v instanceof Map) return [...(v as Map<unknown, unknown>).entries()];
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Date)) {
    return Object.entries(v);
  }
  return fail(path, 'map', v);
}

function compileToConnect(schema: Schema): ToConnect {
  const inner = compileRequiredToConnect(schema);
  return (v) => (v === null || v === undefined ? null : inner(v));
}

function compileRequiredToConnect(schema: Schema): ToConnect {
  switch (schema.name) {
    case LogicalTypes.Timestamp:
      return (v) => new Date(Number(v));
    case LogicalTypes.Date:
      return (v) => new Date(Number(v) * MILLIS_PER_DAY);
    case LogicalTypes.Time:
      return (v) => new Date(Number(v));
    case LogicalTypes.Decimal: {
      const scale = decimalScale(schema);
      return (v) => (Buffer.isBuffer(v) ? bytesToDecimal(v, scale) : v);
    }
    default:
      break;
  }
  switch (schema.type) {
    case 'array': {
      const item = compiledToConnect(required(schema.valueSchema, 'array value schema'));
      return (v) => (v as unknown[]).map(item);
    }
    case 'map': {
      const keySchema = required(schema.keySchema, 'map key schema');
      const val = compiledToConnect(required(schema.valueSchema, 'map value schema'));
      if (keySchema.type === 'string' && !keySchema.optional && keySchema.name === undefined) {
        return (v) => {
          const out: Record<string, unknown> = {};
          for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = val(x);
          return out;
        };
      }
      const key = compiledToConnect(keySchema);
      return (v) => new Map((v as { key: unknown; value: unknown }[]).map((e) => [key(e.key), val(e.value)]));
    }
    case 'struct': {
      const fields = (schema.fields ?? []).map((f) => ({ name: f.name, conv: compiledToConnect(f.schema) }));
      return (v) => {
        const src = v as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const f of fields) out[f.name] = f.conv(src[f.name]);
        return out;
      };
    }
    default:
      return (v) => v;
  }
}

/** A decimal string (e.g. "-12.30") as the big-endian two's-complement bytes of its unscaled value. */
export function decimalToBytes(text: string, scale: number): Buffer {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error('not a decimal number');
  const sign = m[1] === '-' ? -1n : 1n;
  let frac = m[3] ?? '';
  if (frac.length > scale) {
    if (/[1-9]/.test(frac.slice(scale))) throw new Error(`more than ${scale} decimal places`);
    frac = frac.slice(0, scale);
  }
  frac = frac.padEnd(scale, '0');
  let n = sign * BigInt(`${m[2] === '' ? '0' : m[2]}${frac}` || '0');
  // Minimal two's-complement encoding, as Java's BigInteger.toByteArray.
  const bytes: number[] = [];
  for (;;) {
    const b = Number(n & 0xffn);
    bytes.unshift(b);
    n >>= 8n;
    if ((n === 0n && (b & 0x80) === 0) || (n === -1n && (b & 0x80) !== 0)) break;
  }
  return Buffer.from(bytes);
}

/** The inverse of {@link decimalToBytes}. */
export function bytesToDecimal(bytes: Buffer, scale: number): string {
  if (bytes.length === 0) return '0';
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if ((bytes[0] ?? 0) & 0x80) n -= 1n << BigInt(bytes.length * 8);
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(scale + 1, '0');
  const intPart = scale === 0 ? digits : digits.slice(0, digits.length - scale);
  const fracPart = scale === 0 ? '' : `.${digits.slice(digits.length - scale)}`;
  return `${negative ? '-' : ''}${intPart}${fracPart}`;
}

/** An avsc type for a Connect schema (its Avro translation), for encoding `connectToAvroValue` output. */
export function avroTypeForConnect(schema: Schema): avro.Type {
  return avro.Type.forSchema(connectToAvroSchema(schema) as avro.Schema, { wrapUnions: false });
}
