/**
 * Kafka Connect's data model: a schema describes a key or value so converters and transforms can work on typed
 * data. Values are plain JavaScript: structs are plain objects, arrays arrays, maps `Map` or plain objects,
 * bytes `Buffer`, int64 `number` (exact up to 2^53), logical types as described on each constant below.
 *
 * @packageDocumentation
 */

/** Connect's schema types. */
export type SchemaType =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'boolean'
  | 'string'
  | 'bytes'
  | 'array'
  | 'map'
  | 'struct';

/** A field of a struct schema. */
export interface Field {
  readonly name: string;
  readonly schema: Schema;
}

/** A schema in Connect's model. Immutable: build new ones with {@link SchemaBuilder}. */
export interface Schema {
  readonly type: SchemaType;
  readonly optional: boolean;
  /** Default value, used when a struct field is absent. */
  readonly defaultValue?: unknown;
  /** Fully-qualified name; logical types are named like Connect's (`org.apache.kafka.connect.data.Timestamp`). */
  readonly name?: string;
  readonly version?: number;
  readonly doc?: string;
  readonly parameters?: Readonly<Record<string, string>>;
  /** Struct fields, in order. */
  readonly fields?: readonly Field[];
  /** Array element schema. */
  readonly valueSchema?: Schema;
  /** Map key schema (with `valueSchema` for the values). */
  readonly keySchema?: Schema;
}

/** A schema with the value it describes; `schema` is undefined for schemaless data. */
export interface SchemaAndValue {
  readonly schema?: Schema;
  readonly value: unknown;
}

/** Names of Connect's logical types. */
export const LogicalTypes = {
  /** int64 milliseconds since the epoch; the value is a `Date`. */
  Timestamp: 'org.apache.kafka.connect.data.Timestamp',
  /** int32 days since the epoch; the value is a `Date` at midnight UTC. */
  Date: 'org.apache.kafka.connect.data.Date',
  /** int32 milliseconds since midnight; the value is a `Date` on 1970-01-01 UTC. */
  Time: 'org.apache.kafka.connect.data.Time',
  /** bytes holding a two's-complement unscaled integer, parameter `scale`; the value is a decimal string. */
  Decimal: 'org.apache.kafka.connect.data.Decimal',
} as const;

/** Builds schemas fluently, as Connect's SchemaBuilder does. */
export class SchemaBuilder {
  private readonly s: {
    type: SchemaType;
    optional: boolean;
    defaultValue?: unknown;
    name?: string;
    version?: number;
    doc?: string;
    parameters?: Record<string, string>;
    fields?: Field[];
    valueSchema?: Schema;
    keySchema?: Schema;
  };

  constructor(type: SchemaType) {
    this.s = { type, optional: false };
  }

  static int8(): SchemaBuilder {
    return new SchemaBuilder('int8');
  }
  static int16(): SchemaBuilder {
    return new SchemaBuilder('int16');
  }
  static int32(): SchemaBuilder {
    return new SchemaBuilder('int32');
  }
  static int64(): SchemaBuilder {
    return new SchemaBuilder('int64');
  }
  static float32(): SchemaBuilder {
    return new SchemaBuilder('float32');
  }
  static float64(): SchemaBuilder {
    return new SchemaBuilder('float64');
  }
  static bool(): SchemaBuilder {
    return new SchemaBuilder('boolean');
  }
  static string(): SchemaBuilder {
    return new SchemaBuilder('string');
  }
  static bytes(): SchemaBuilder {
    return new SchemaBuilder('bytes');
  }
  static struct(): SchemaBuilder {
    const b = new SchemaBuilder('struct');
    b.s.fields = [];
    return b;
  }
  static array(valueSchema: Schema): SchemaBuilder {
    const b = new SchemaBuilder('array');
    b.s.valueSchema = valueSchema;
    return b;
  }
  static map(keySchema: Schema, valueSchema: Schema): SchemaBuilder {
    const b = new SchemaBuilder('map');
    b.s.keySchema = keySchema;
    b.s.valueSchema = valueSchema;
    return b;
  }
  /** Timestamp logical type (int64 millis, value a `Date`). */
  static timestamp(): SchemaBuilder {
    return SchemaBuilder.int64().name(LogicalTypes.Timestamp).version(1);
  }
  /** Decimal logical type with the given scale (value a decimal string). */
  static decimal(scale: number): SchemaBuilder {
    return SchemaBuilder.bytes().name(LogicalTypes.Decimal).version(1).parameter('scale', String(scale));
  }

  optional(): this {
    this.s.optional = true;
    return this;
  }
  defaultValue(v: unknown): this {
    this.s.defaultValue = v;
    return this;
  }
  name(n: string): this {
    this.s.name = n;
    return this;
  }
  version(v: number): this {
    this.s.version = v;
    return this;
  }
  doc(d: string): this {
    this.s.doc = d;
    return this;
  }
  parameter(k: string, v: string): this {
    this.s.parameters = { ...(this.s.parameters ?? {}), [k]: v };
    return this;
  }
  field(name: string, schema: Schema): this {
    if (this.s.type !== 'struct' || !this.s.fields) throw new Error(`field() on a ${this.s.type} schema`);
    if (this.s.fields.some((f) => f.name === name)) throw new Error(`duplicate field ${name}`);
    this.s.fields.push({ name, schema });
    return this;
  }
  build(): Schema {
    return Object.freeze({ ...this.s, fields: this.s.fields ? Object.freeze([...this.s.fields]) : undefined });
  }
}

/** Ready-made primitive schemas, as Connect's `Schema.STRING_SCHEMA` and friends. */
export const Schemas = {
  INT8: SchemaBuilder.int8().build(),
  INT16: SchemaBuilder.int16().build(),
  INT32: SchemaBuilder.int32().build(),
  INT64: SchemaBuilder.int64().build(),
  FLOAT32: SchemaBuilder.float32().build(),
  FLOAT64: SchemaBuilder.float64().build(),
  BOOLEAN: SchemaBuilder.bool().build(),
  STRING: SchemaBuilder.string().build(),
  BYTES: SchemaBuilder.bytes().build(),
  OPTIONAL_INT32: SchemaBuilder.int32().optional().build(),
  OPTIONAL_INT64: SchemaBuilder.int64().optional().build(),
  OPTIONAL_FLOAT64: SchemaBuilder.float64().optional().build(),
  OPTIONAL_BOOLEAN: SchemaBuilder.bool().optional().build(),
  OPTIONAL_STRING: SchemaBuilder.string().optional().build(),
  OPTIONAL_BYTES: SchemaBuilder.bytes().optional().build(),
} as const;

/** Finds a struct field by name. */
export function fieldOf(schema: Schema, name: string): Field | undefined {
  return schema.fields?.find((f) => f.name === name);
}
