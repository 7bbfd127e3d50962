import { RecordError } from '../../runtime/api';

/**
 * JSON text of a value in Connect's data model: structs and maps (plain objects or `Map`) become objects, `Buffer`
 * becomes base64 text, `Date` ISO-8601 text, `bigint` a number when exact and text otherwise. Throws a
 * {@link RecordError} for what JSON cannot hold (cycles, functions).
 */
export function jsonText(value: unknown): string {
  try {
    const text = JSON.stringify(value, replacer);
    if (text === undefined) throw new Error(`a ${typeof value} has no JSON form`);
    return text;
  } catch (err) {
    throw new RecordError(`value cannot be written as JSON: ${(err as Error).message}`, { cause: err });
  }
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
