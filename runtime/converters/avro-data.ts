/**
 * Translation between Kafka Connect values and the values avsc reads and writes for the Avro translation of their
 * schema (./avro-schema). Converters are compiled once per schema object.
 *
 * @packageDocumentation
 */
import { LogicalTypes, type Schema } from '../api';
import { MILLIS_PER_DAY, decimalScale, required } from './avro-names';

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
