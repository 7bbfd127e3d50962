import { LogicalTypes, RecordError, type Schema } from '../../runtime/api';

/**
 * Types a parsed JSON payload by a Connect schema (from the `.avsc` of `mqtt.value.schema.file`): structs become
 * plain objects with exactly the schema's fields, numbers are range-checked, Timestamp/Date/Time accept epoch
 * milliseconds (or days for Date) or ISO-8601 text, bytes accept base64 text. A value that does not fit throws a
 * {@link RecordError} naming the JSON path.
 */
export function jsonToConnect(schema: Schema, value: unknown, at = '$'): unknown {
  try {
    return typed(schema, value);
  } catch (err) {
    if (!(err instanceof Misfit)) throw err;
    throw new RecordError(`${at}${err.path.reverse().join('')} ${err.problem}`);
  }
}

/**
 * A value that does not fit, on its way up to {@link jsonToConnect}: each struct, array or map it passes through
 * adds its own step to the path. Paths are built only for a value that fails, never for every field of every record.
 */
class Misfit extends Error {
  readonly path: string[] = [];
  constructor(readonly problem: string) {
    super(problem);
  }
}

function fail(expected: string, value: unknown): never {
  throw new Misfit(`must be ${expected}, got ${describe(value)}`);
}

/** `typed()` of a nested value, adding `step` to the path of a misfit inside it. */
function typedAt(schema: Schema, value: unknown, step: string): unknown {
  try {
    return typed(schema, value);
  } catch (err) {
    if (err instanceof Misfit) err.path.push(step);
    throw err;
  }
}

function typed(schema: Schema, value: unknown): unknown {
  if (value === undefined || value === null) {
    if (schema.optional) return null;
    if (schema.defaultValue !== undefined) return schema.defaultValue;
    throw new Misfit('is required but missing');
  }
  switch (schema.name) {
    case LogicalTypes.Timestamp:
    case LogicalTypes.Time:
      return toDate(value, 1);
    case LogicalTypes.Date:
      return toDate(value, 86_400_000);
    case LogicalTypes.Decimal:
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return value;
      return fail('a decimal number', value);
    default:
      break;
  }
  switch (schema.type) {
    case 'int8':
      return integer(value, -128, 127);
    case 'int16':
      return integer(value, -32768, 32767);
    case 'int32':
      return integer(value, -2147483648, 2147483647);
    case 'int64':
      return integer(value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    case 'float32':
    case 'float64':
      return typeof value === 'number' ? value : fail('a number', value);
    case 'boolean':
      return typeof value === 'boolean' ? value : fail('true or false', value);
    case 'string':
      return typeof value === 'string' ? value : fail('a string', value);
    case 'bytes':
      return typeof value === 'string' ? Buffer.from(value, 'base64') : fail('base64 text', value);
    case 'array': {
      if (!Array.isArray(value)) return fail('an array', value);
      const items = schema.valueSchema;
      return items ? value.map((v, i) => typedAt(items, v, `[${i}]`)) : value;
    }
    case 'map': {
      if (!isObject(value)) return fail('an object', value);
      const values = schema.valueSchema;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = values ? typedAt(values, v, `.${k}`) : v;
      return out;
    }
    case 'struct': {
      if (!isObject(value)) return fail('an object', value);
      const out: Record<string, unknown> = {};
      for (const field of schema.fields ?? []) {
        out[field.name] = typedAt(field.schema, value[field.name], `.${field.name}`);
      }
      return out;
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function integer(value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`an integer from ${min} to ${max}`, value);
  }
  return value;
}

function toDate(value: unknown, unitMs: number): Date {
  const d =
    typeof value === 'number' ? new Date(value * unitMs) : typeof value === 'string' ? new Date(value) : undefined;
  if (!d || Number.isNaN(d.getTime())) {
    fail('a time (epoch number or ISO-8601 text)', value);
  }
  return d;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  const text = JSON.stringify(v);
  return typeof v === 'object' ? 'an object' : text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
