import { RecordError, type ConnectRecord, type Field, type Header, type Schema } from '../api';
import type { SettingsReader, Transformation } from './types';

/** Which part of a record a `$Key`/`$Value` transform works on. */
export type Side = 'key' | 'value';

export function sideOf<R extends ConnectRecord>(record: R, side: Side): { schema: Schema | undefined; value: unknown } {
  return side === 'key'
    ? { schema: record.keySchema, value: record.key }
    : { schema: record.valueSchema, value: record.value };
}

export function withSide<R extends ConnectRecord>(
  record: R,
  side: Side,
  schema: Schema | undefined,
  value: unknown,
): R {
  // Records are immutable: copy, then set the two properties.
  const out = { ...record } as Record<string, unknown>;
  if (side === 'key') {
    out['keySchema'] = schema;
    out['key'] = value;
  } else {
    out['valueSchema'] = schema;
    out['value'] = value;
  }
  if (schema === undefined) delete out[side === 'key' ? 'keySchema' : 'valueSchema'];
  return out as unknown as R;
}

export function withHeaders<R extends ConnectRecord>(record: R, headers: readonly Header[]): R {
  return { ...record, headers };
}

/** A plain object usable as a struct or schemaless map (not an array, Buffer, Date or Map). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !Buffer.isBuffer(v) &&
    !(v instanceof Date) &&
    !(v instanceof Map)
  );
}

/** A schemaless value as a map (plain object); Connect requires a Map here. */
export function requireMap(value: unknown, purpose: string): Record<string, unknown> {
  if (value instanceof Map)
    return Object.fromEntries([...(value as Map<unknown, unknown>)].map(([k, v]) => [String(k), v]));
  if (!isPlainObject(value))
    throw new RecordError(`Only Map objects supported in absence of schema for [${purpose}], found: ${kindOf(value)}`);
  return value;
}

export function requireStruct(schema: Schema, value: unknown, purpose: string): Record<string, unknown> {
  if (schema.type !== 'struct')
    throw new RecordError(`Only Struct objects supported for [${purpose}], found: ${schema.type}`);
  if (!isPlainObject(value))
    throw new RecordError(`Only Struct objects supported for [${purpose}], found: ${kindOf(value)}`);
  return value;
}

export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Buffer.isBuffer(v)) return 'bytes';
  if (v instanceof Date) return 'Date';
  if (v instanceof Map) return 'Map';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** A struct schema like `base` (name, version, doc, optional) with other fields. */
export function structLike(base: Schema, fields: readonly Field[]): Schema {
  const s: { -readonly [K in keyof Schema]: Schema[K] } = { type: 'struct', optional: base.optional, fields };
  if (base.name !== undefined) s.name = base.name;
  if (base.version !== undefined) s.version = base.version;
  if (base.doc !== undefined) s.doc = base.doc;
  if (base.parameters !== undefined) s.parameters = base.parameters;
  return Object.freeze(s);
}

export function optionalOf(schema: Schema): Schema {
  return schema.optional ? schema : Object.freeze({ ...schema, optional: true });
}

/** Derived schemas are computed once per input schema, as Connect's transforms keep a schema cache. */
export class SchemaCache {
  private readonly map = new WeakMap<Schema, Schema>();
  get(schema: Schema, derive: (s: Schema) => Schema): Schema {
    let out = this.map.get(schema);
    if (out === undefined) {
      out = derive(schema);
      this.map.set(schema, out);
    }
    return out;
  }
}

/** How a field transform rebuilds a map (schemaless) or a struct, and the struct's schema. */
export interface Reshaping {
  /** A schemaless map's fields, rebuilt. */
  map(src: Record<string, unknown>): Record<string, unknown>;
  /** The schema a struct of `schema` gets; computed once per schema. */
  schema(schema: Schema): Schema;
  /** A struct's fields, rebuilt; `schema` is its own, not the reshaped one. */
  struct(src: Record<string, unknown>, schema: Schema): Record<string, unknown>;
}

/**
 * The step every field transform shares: the key or value, when not null, rebuilt by `how` — a schemaless map, or a
 * struct under its reshaped schema (`purpose` names the transform in the error when it is neither). Null or absent
 * values pass through unchanged, as tombstones do in Connect.
 */
export function reshapeSide<R extends ConnectRecord>(
  record: R,
  side: Side,
  purpose: string,
  cache: SchemaCache,
  how: Reshaping,
): R {
  const { schema, value } = sideOf(record, side);
  if (value === null || value === undefined) return record;
  if (schema === undefined) return withSide(record, side, undefined, how.map(requireMap(value, purpose)));
  const struct = requireStruct(schema, value, purpose);
  const newSchema = cache.get(schema, (s) => how.schema(s));
  return withSide(record, side, newSchema, how.struct(struct, schema));
}

/** `Foo$Key` and `Foo$Value` class names and aliases. */
export function sideNames(simple: string, side: Side): { className: string; aliases: string[] } {
  const suffix = side === 'key' ? '$Key' : '$Value';
  return {
    className: `org.apache.kafka.connect.transforms.${simple}${suffix}`,
    aliases: [`${simple}${suffix}`],
  };
}

/** A transform of the key or value that names one field in its required `field` setting (ExtractField, HoistField). */
export abstract class OneFieldTransform implements Transformation {
  protected readonly field: string;

  constructor(
    protected readonly side: Side,
    settings: SettingsReader,
  ) {
    this.field = settings.string('field', { required: true });
  }

  abstract apply<R extends ConnectRecord>(record: R): R | null;
}
