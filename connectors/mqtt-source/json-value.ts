import { LogicalTypes, RecordError, type Schema } from '../../runtime/api';

/**
 * Types a parsed JSON payload by a Connect schema (from the `.avsc` of `mqtt.value.schema.file`): structs become
 * plain objects with exactly the schema's fields, numbers are range-checked, Timestamp/Date/Time accept epoch
 * milliseconds (or days for Date) or ISO-8601 text, bytes accept base64 text. A value that does not fit throws a
 * {@link RecordError} naming the JSON path.
 */
export function jsonToConnect(schema: Schema, value: unknown, at = '$'): unknown {
  if (value === undefined || value === null) {
    if (schema.optional) return null;
    if (schema.defaultValue !== undefined) return schema.defaultValue;
    throw new RecordError(`${at} is required but missing`);
  }
  const fail = (expected: string): never => {
    throw new RecordError(`${at} must be ${expected}, got ${describe(value)}`);
  };
  switch (schema.name) {
    case LogicalTypes.Timestamp:
    case LogicalTypes.Time:
      return toDate(value, at, 1);
    case LogicalTypes.Date:
      return toDate(value, at, 86_400_000);
    case LogicalTypes.Decimal:
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return value;
      return fail('a decimal number');
    default:
      break;
  }
  switch (schema.type) {
    case 'int8':
      return integer(value, at, -128, 127);
    case 'int16':
      return integer(value, at, -32768, 32767);
    case 'int32':
      return integer(value, at, -2147483648, 2147483647);
    case 'int64':
      return integer(value, at, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    case 'float32':
    case 'float64':
      return typeof value === 'number' ? value : fail('a number');
    case 'boolean':
      return typeof value === 'boolean' ? value : fail('true or false');
    case 'string':
      return typeof value === 'string' ? value : fail('a string');
    case 'bytes':
      return typeof value === 'string' ? Buffer.from(value, 'base64') : fail('base64 text');
    case 'array': {
      if (!Array.isArray(value)) return fail('an array');
      const items = schema.valueSchema;
      return items ? value.map((v, i) => jsonToConnect(items, v, `${at}[${i}]`)) : value;
    }
    case 'map': {
      if (!isObject(value)) return fail('an object');
      const values = schema.valueSchema;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = values ? jsonToConnect(values, v, `${at}.${k}`) : v;
      return out;
    }
    case 'struct': {
      if (!isObject(value)) return fail('an object');
      const out: Record<string, unknown> = {};
      for (const field of schema.fields ?? []) {
        out[field.name] = jsonToConnect(field.schema, value[field.name], `${at}.${field.name}`);
      }
      return out;
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function integer(value: unknown, at: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RecordError(`${at} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

function toDate(value: unknown, at: string, unitMs: number): Date {
  const d =
    typeof value === 'number' ? new Date(value * unitMs) : typeof value === 'string' ? new Date(value) : undefined;
  if (!d || Number.isNaN(d.getTime())) {
    throw new RecordError(`${at} must be a time (epoch number or ISO-8601 text), got ${describe(value)}`);
  }
  return d;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  const text = JSON.stringify(v);
  return typeof v === 'object' ? 'an object' : text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
