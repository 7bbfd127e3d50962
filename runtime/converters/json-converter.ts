import { decimalToBytes, bytesToDecimal } from './avro-data';
import { scalarText } from './simple-converters';
import { LogicalTypes, RecordError, type Field, type Schema, type SchemaAndValue, type SchemaType } from '../api';
import type { Converter, ConverterDefinition, ConverterSettings } from './types';

const MILLIS_PER_DAY = 86_400_000;

/** Connect's JSON schema type names (JsonSchema.*_TYPE_NAME). */
const TO_JSON_TYPE: Record<SchemaType, string> = {
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  float32: 'float',
  float64: 'double',
  boolean: 'boolean',
  string: 'string',
  bytes: 'bytes',
  array: 'array',
  map: 'map',
  struct: 'struct',
};
const FROM_JSON_TYPE: Record<string, SchemaType> = Object.fromEntries(
  Object.entries(TO_JSON_TYPE).map(([k, v]) => [v, k as SchemaType]),
);

const jsonSchemaCache = new WeakMap<Schema, Record<string, unknown>>();

/** A Connect schema in Connect's JSON envelope format. */
export function connectSchemaToJson(schema: Schema): Record<string, unknown> {
  const cached = jsonSchemaCache.get(schema);
  if (cached) return cached;
  const out: Record<string, unknown> = { type: TO_JSON_TYPE[schema.type] };
  if (schema.type === 'struct') {
    out['fields'] = (schema.fields ?? []).map((f) => ({ ...connectSchemaToJson(f.schema), field: f.name }));
  } else if (schema.type === 'array' && schema.valueSchema) {
    out['items'] = connectSchemaToJson(schema.valueSchema);
  } else if (schema.type === 'map' && schema.keySchema && schema.valueSchema) {
    out['keys'] = connectSchemaToJson(schema.keySchema);
    out['values'] = connectSchemaToJson(schema.valueSchema);
  }
  out['optional'] = schema.optional;
  if (schema.name !== undefined) out['name'] = schema.name;
  if (schema.version !== undefined) out['version'] = schema.version;
  if (schema.doc !== undefined) out['doc'] = schema.doc;
  if (schema.parameters !== undefined) out['parameters'] = schema.parameters;
  if (schema.defaultValue !== undefined) out['default'] = connectValueToJson(schema, schema.defaultValue);
  jsonSchemaCache.set(schema, out);
  return out;
}

/** Connect's JSON schema format back to a Connect schema. */
export function jsonToConnectSchema(json: unknown, path = 'schema'): Schema {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new RecordError(`${path}: a schema must be a JSON object`);
  }
  const o = json as Record<string, unknown>;
  const type = typeof o['type'] === 'string' ? FROM_JSON_TYPE[o['type']] : undefined;
  if (type === undefined) throw new RecordError(`${path}.type: unknown schema type ${JSON.stringify(o['type'])}`);
  const s: { -readonly [K in keyof Schema]: Schema[K] } = { type, optional: o['optional'] === true };
  if (typeof o['name'] === 'string') s.name = o['name'];
  if (typeof o['version'] === 'number') s.version = o['version'];
  if (typeof o['doc'] === 'string') s.doc = o['doc'];
  if (o['parameters'] !== null && typeof o['parameters'] === 'object') {
    s.parameters = Object.fromEntries(Object.entries(o['parameters']).map(([k, v]) => [k, String(v)]));
  }
  if (type === 'struct') {
    const fields = Array.isArray(o['fields']) ? (o['fields'] as unknown[]) : [];
    s.fields = fields.map((f, i): Field => {
      const name = (f as Record<string, unknown> | null)?.['field'];
      if (typeof name !== 'string') throw new RecordError(`${path}.fields[${i}].field: missing field name`);
      return { name, schema: jsonToConnectSchema(f, `${path}.fields[${i}]`) };
    });
  } else if (type === 'array') {
    s.valueSchema = jsonToConnectSchema(o['items'], `${path}.items`);
  } else if (type === 'map') {
    s.keySchema = jsonToConnectSchema(o['keys'], `${path}.keys`);
    s.valueSchema = jsonToConnectSchema(o['values'], `${path}.values`);
  }
  if (o['default'] !== undefined) s.defaultValue = jsonToConnectValue(s, o['default'], `${path}.default`);
  return s;
}

/** A Connect value as JSON-able data, following the schema (bytes base64, logical types as numbers). */
export function connectValueToJson(schema: Schema | undefined, value: unknown): unknown {
  if (value === null || value === undefined) {
    if (schema?.defaultValue !== undefined && schema.defaultValue !== null) {
      return connectValueToJson(schema, schema.defaultValue);
    }
    return null;
  }
  if (schema === undefined) return schemalessToJson(value);
  switch (schema.name) {
    case LogicalTypes.Timestamp:
      return value instanceof Date ? value.getTime() : value;
    case LogicalTypes.Date:
      return value instanceof Date ? Math.floor(value.getTime() / MILLIS_PER_DAY) : value;
    case LogicalTypes.Time:
      return value instanceof Date ? ((value.getTime() % MILLIS_PER_DAY) + MILLIS_PER_DAY) % MILLIS_PER_DAY : value;
    case LogicalTypes.Decimal:
      return Buffer.isBuffer(value)
        ? value.toString('base64')
        : decimalToBytes(scalarText(value), Number(schema.parameters?.['scale'] ?? 0)).toString('base64');
    default:
      break;
  }
  switch (schema.type) {
    case 'bytes':
      if (Buffer.isBuffer(value)) return value.toString('base64');
      throw new RecordError(`expected bytes, got ${typeof value}`);
    case 'array':
      if (!Array.isArray(value)) throw new RecordError(`expected an array, got ${typeof value}`);
      return value.map((v) => connectValueToJson(schema.valueSchema, v));
    case 'map': {
      const entries = value instanceof Map ? [...(value as Map<unknown, unknown>)] : Object.entries(value);
      if (schema.keySchema?.type === 'string') {
        return Object.fromEntries(entries.map(([k, v]) => [k, connectValueToJson(schema.valueSchema, v)]));
      }
      // Connect writes maps with non-string keys as arrays of [key, value] pairs.
      return entries.map(([k, v]) => [
        connectValueToJson(schema.keySchema, k),
        connectValueToJson(schema.valueSchema, v),
      ]);
    }
    case 'struct': {
      if (typeof value !== 'object') throw new RecordError(`expected a struct, got ${typeof value}`);
      const src = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of schema.fields ?? []) {
        const v = connectValueToJson(f.schema, src[f.name]);
        if (v === null && !f.schema.optional) throw new RecordError(`${f.name}: null value for a required field`);
        out[f.name] = v;
      }
      return out;
    }
    default:
      return value;
  }
}

function schemalessToJson(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Date) return value.getTime();
  if (value instanceof Map)
    return Object.fromEntries([...(value as Map<unknown, unknown>)].map(([k, v]) => [String(k), schemalessToJson(v)]));
  if (Array.isArray(value)) return value.map(schemalessToJson);
  if (typeof value === 'bigint') return Number(value);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = schemalessToJson(v);
    return out;
  }
  return value;
}

/** JSON data as a Connect value of the schema. */
export function jsonToConnectValue(schema: Schema, json: unknown, path = 'payload'): unknown {
  if (json === null || json === undefined) {
    if (schema.defaultValue !== undefined) return schema.defaultValue;
    if (schema.optional) return null;
    throw new RecordError(`${path}: null value for a required schema`);
  }
  switch (schema.name) {
    case LogicalTypes.Timestamp:
      return new Date(Number(json));
    case LogicalTypes.Date:
      return new Date(Number(json) * MILLIS_PER_DAY);
    case LogicalTypes.Time:
      return new Date(Number(json));
    case LogicalTypes.Decimal:
      if (typeof json === 'number') return String(json);
      return bytesToDecimal(
        Buffer.from(typeof json === 'string' ? json : '', 'base64'),
        Number(schema.parameters?.['scale'] ?? 0),
      );
    default:
      break;
  }
  const bad = (what: string): never => {
    throw new RecordError(`${path}: expected ${what}, got ${Array.isArray(json) ? 'array' : typeof json}`);
  };
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return typeof json === 'number' && Number.isInteger(json) ? json : bad(schema.type);
    case 'float32':
    case 'float64':
      return typeof json === 'number' ? json : bad(schema.type);
    case 'boolean':
      return typeof json === 'boolean' ? json : bad('boolean');
    case 'string':
      return typeof json === 'string' ? json : bad('string');
    case 'bytes':
      return typeof json === 'string' ? Buffer.from(json, 'base64') : bad('base64 bytes');
    case 'array':
      if (!Array.isArray(json)) return bad('array');
      return json.map((v, i) => jsonToConnectValue(schema.valueSchema as Schema, v, `${path}[${i}]`));
    case 'map':
      if (schema.keySchema?.type === 'string') {
        if (typeof json !== 'object' || Array.isArray(json)) return bad('object');
        return Object.fromEntries(
          Object.entries(json).map(([k, v]) => [
            k,
            jsonToConnectValue(schema.valueSchema as Schema, v, `${path}.${k}`),
          ]),
        );
      }
      if (!Array.isArray(json)) return bad('array of [key, value]');
      return new Map(
        json.map((e, i) => {
          if (!Array.isArray(e) || e.length !== 2) throw new RecordError(`${path}[${i}]: expected [key, value]`);
          return [
            jsonToConnectValue(schema.keySchema as Schema, e[0], `${path}[${i}][0]`),
            jsonToConnectValue(schema.valueSchema as Schema, e[1], `${path}[${i}][1]`),
          ];
        }),
      );
    case 'struct': {
      if (typeof json !== 'object' || Array.isArray(json)) return bad('object');
      const src = json as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of schema.fields ?? []) out[f.name] = jsonToConnectValue(f.schema, src[f.name], `${path}.${f.name}`);
      return out;
    }
  }
}

/** Connect's JsonConverter: with `schemas.enable` (default true) the `{"schema","payload"}` envelope, else plain JSON. */
export class JsonConverter implements Converter {
  private readonly schemasEnable: boolean;

  constructor(settings: ConverterSettings = {}) {
    this.schemasEnable = (settings['schemas.enable'] ?? 'true').toLowerCase() !== 'false';
  }

  fromConnect(_topic: string, schema: Schema | undefined, value: unknown): Buffer | null {
    if (value === null || value === undefined) {
      if (!this.schemasEnable) return null;
      // Connect writes a null value with a schema as an envelope; without one as a Kafka null (tombstone).
      if (schema === undefined) return null;
    }
    const payload = connectValueToJson(schema, value);
    const doc = this.schemasEnable
      ? { schema: schema === undefined ? null : connectSchemaToJson(schema), payload }
      : payload;
    return Buffer.from(JSON.stringify(doc), 'utf8');
  }

  toConnect(_topic: string, bytes: Buffer | null): SchemaAndValue {
    if (bytes === null) return { value: null };
    let doc: unknown;
    try {
      doc = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      // Node's message quotes the input; the payload is logged only with errors.log.include.messages.
      const reason = (err as Error).message.replace(/,? ".*" is not valid JSON$/s, '');
      throw new RecordError(`not valid JSON: ${reason}`);
    }
    if (!this.schemasEnable) return { value: doc };
    if (
      doc === null ||
      typeof doc !== 'object' ||
      Array.isArray(doc) ||
      !('schema' in doc) ||
      !('payload' in doc) ||
      Object.keys(doc).length !== 2
    ) {
      throw new RecordError(
        'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields; ' +
          'set schemas.enable=false for plain JSON',
      );
    }
    const env = doc;
    if (env.schema === null) return { value: env.payload };
    const schema = jsonToConnectSchema(env.schema);
    return { schema, value: jsonToConnectValue(schema, env.payload) };
  }
}

export const jsonConverterDefinition: ConverterDefinition = {
  className: 'org.apache.kafka.connect.json.JsonConverter',
  aliases: ['json', 'JsonConverter'],
  headerConverter: true,
  configKeys: {
    'schemas.enable': {
      type: 'boolean',
      description: 'Wrap each value in Connect\'s {"schema","payload"} envelope.',
      default: true,
    },
  },
  validate: (settings) => {
    const v = settings['schemas.enable'];
    return v !== undefined && !['true', 'false'].includes(v.toLowerCase())
      ? [{ key: 'schemas.enable', message: `must be true or false, got '${v}'` }]
      : [];
  },
  create: (settings) => new JsonConverter(settings),
};
