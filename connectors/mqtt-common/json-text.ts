import { RecordError } from '../../runtime/api';

/**
 * JSON text of a value in Connect's data model: structs and maps (plain objects or `Map`) become objects, `Buffer`
 * becomes base64 text, `Date` ISO-8601 text, `bigint` a number when exact and text otherwise. Throws a
 * {@link RecordError} for what JSON cannot hold (cycles, functions).
 */
export function jsonText(value: unknown): string {
  try {
    // A replacer function takes JSON.stringify off its fast path (a call per key): use it only when needed.
    const text = JSON.stringify(value, plainJson(value, 0) ? undefined : replacer);
    if (text === undefined) throw new Error(`a ${typeof value} has no JSON form`);
    return text;
  } catch (err) {
    throw new RecordError(`value cannot be written as JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Nesting beyond which a value is handed to the replacer path (which also reports cycles). */
const MAX_PLAIN_DEPTH = 64;

/** True when JSON.stringify alone writes `value` as {@link jsonText} means it: no bytes, maps or bigints inside. */
function plainJson(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'bigint';
  if (depth > MAX_PLAIN_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const v of value) if (!plainJson(v, depth + 1)) return false;
    return true;
  }
  if (value instanceof Uint8Array || value instanceof Map) return false;
  if (value instanceof Date) return true;
  for (const k in value) {
    if (!plainJson((value as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

function replacer(this: unknown, key: string, value: unknown): unknown {
  // JSON.stringify has already called Buffer#toJSON / Date#toJSON; look at the original through `this`.
  const original = (this as Record<string, unknown>)[key];
  if (Buffer.isBuffer(original)) return original.toString('base64');
  if (original instanceof Uint8Array) return Buffer.from(original).toString('base64');
  if (original instanceof Map) return Object.fromEntries(original);
  if (typeof original === 'bigint') {
    return original <= BigInt(Number.MAX_SAFE_INTEGER) && original >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(original)
      : original.toString();
  }
  return value;
}

/**
 * The text of one template placeholder: strings as they are, numbers and booleans as written, bytes as UTF-8
 * text, dates as ISO-8601, structs, maps and arrays as JSON.
 */
export function placeholderText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      if (Buffer.isBuffer(value)) return value.toString('utf8');
      if (value instanceof Date) return value.toISOString();
      return jsonText(value);
  }
}
