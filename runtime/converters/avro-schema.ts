/**
 * Translation between Kafka Connect schemas and Avro schemas, following Confluent's AvroData conventions so that
 * schemas Ferry registers look like the ones Kafka Connect registers. Values are translated in ./avro-data.
 * Plugins reach {@link avroToConnectSchema} through the plugin API's `SchemaReader`, not by importing this module.
 *
 * @packageDocumentation
 */
import * as avro from 'avsc';
import { LogicalTypes, type Field, type Schema } from '../api';
import { avroToConnectValue, connectToAvroValue } from './avro-data';
import {
  AVRO_DEFAULT_NAMESPACE,
  AVRO_DEFAULT_RECORD_NAME,
  AVRO_MAP_ENTRY_NAME,
  DECIMAL_PRECISION_PARAMETER,
  decimalPrecision,
  decimalScale,
  required,
} from './avro-names';

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

/** An avsc type for a Connect schema (its Avro translation), for encoding `connectToAvroValue` output. */
export function avroTypeForConnect(schema: Schema): avro.Type {
  return avro.Type.forSchema(connectToAvroSchema(schema) as avro.Schema, { wrapUnions: false });
}
