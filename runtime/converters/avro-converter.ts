import * as avro from 'avsc';
import { AVRO_DEFAULT_NAMESPACE, AVRO_DEFAULT_RECORD_NAME } from './avro-names';
import { avroToConnectSchema, connectToAvroSchema } from './avro-schema';
import { AvroValueError, avroToConnectValue, connectToAvroValue } from './avro-data';
import { FerryError, RecordError, Schemas, type ConfigIssue, type Schema, type SchemaAndValue } from '../api';
import { RegistryClient } from './registry-client';
import {
  SUBJECT_NAME_STRATEGIES,
  parseSubjectNameStrategy,
  subjectName,
  type SubjectNameStrategy,
} from './subject-strategy';
import type { Converter, ConverterDefinition, ConverterSettings } from './types';

const MAGIC_BYTE = 0;
const HEADER_LENGTH = 5;
const MAX_CACHED_SCHEMAS = 1000;

/** The resolved settings of one Avro converter. */
export interface AvroConverterOptions {
  readonly url: string;
  readonly userInfo?: string;
  readonly autoRegister: boolean;
  readonly useLatestVersion: boolean;
  readonly strategy: SubjectNameStrategy;
  readonly isKey: boolean;
}

/** Everything derived from one Connect schema: computed once, then reused by every record with that schema. */
interface SchemaEntry {
  readonly schema: Schema;
  readonly avroJson: string;
  readonly type: avro.Type;
  readonly fullName: string;
  readonly subjectByTopic: Map<string, string>;
  /** Schema id and writer type per subject (the writer differs from `type` only with use.latest.version). */
  readonly ids: Map<string, { id: number; writer: avro.Type }>;
  readonly pending: Map<string, Promise<{ id: number; writer: avro.Type }>>;
}

interface WriterEntry {
  readonly type: avro.Type;
  readonly schema: Schema;
}

/** Parses an Avro converter's settings, listing every problem (keys relative to the converter prefix). */
export function parseAvroConverterSettings(
  settings: ConverterSettings,
  isKey: boolean,
): { options?: AvroConverterOptions; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const bool = (key: string, dflt: boolean): boolean => {
    const v = settings[key];
    if (v === undefined || v === '') return dflt;
    if (!['true', 'false'].includes(v.toLowerCase()))
      issues.push({ key, message: `must be true or false, got '${v}'` });
    return v.toLowerCase() === 'true';
  };
  let url = (settings['schema.registry.url'] ?? '').split(',')[0]?.trim() ?? '';
  let userInfo: string | undefined;
  const source = (settings['basic.auth.credentials.source'] ?? 'USER_INFO').toUpperCase();
  if (url === '') {
    issues.push({ key: 'schema.registry.url', message: 'required by the Avro converter' });
  } else {
    try {
      const u = new URL(url);
      if (!['http:', 'https:'].includes(u.protocol)) throw new Error('not http(s)');
      if (u.username !== '' || u.password !== '') {
        // fetch refuses URLs with credentials; they become basic auth when the source is URL.
        if (source === 'URL') userInfo = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
        u.username = '';
        u.password = '';
        url = u.toString();
      }
    } catch {
      issues.push({ key: 'schema.registry.url', message: 'must be an http(s) URL' });
    }
  }
  if (!['USER_INFO', 'URL', 'SASL_INHERIT'].includes(source)) {
    issues.push({ key: 'basic.auth.credentials.source', message: `must be USER_INFO or URL, got '${source}'` });
  } else if (
    source === 'USER_INFO' &&
    settings['basic.auth.user.info'] !== undefined &&
    settings['basic.auth.user.info'] !== ''
  ) {
    userInfo = settings['basic.auth.user.info'];
    if (!userInfo.includes(':')) issues.push({ key: 'basic.auth.user.info', message: 'must be user:password' });
  }
  const autoRegister = bool('auto.register.schemas', true);
  const useLatestVersion = bool('use.latest.version', false);
  const strategyKey = isKey ? 'key.subject.name.strategy' : 'value.subject.name.strategy';
  const strategy = parseSubjectNameStrategy(settings[strategyKey]);
  if (strategy === undefined) {
    issues.push({
      key: strategyKey,
      message: `unknown subject name strategy '${settings[strategyKey]}' (one of ${SUBJECT_NAME_STRATEGIES.join(', ')})`,
    });
  }
  if (issues.length > 0 || strategy === undefined) return { issues };
  return {
    issues,
    options: { url, ...(userInfo !== undefined ? { userInfo } : {}), autoRegister, useLatestVersion, strategy, isKey },
  };
}

/**
 * Confluent's AvroConverter: Connect data ↔ magic byte 0, 4-byte schema id, Avro binary. Schema ids are cached per
 * (subject, schema), so once a schema is known a record is encoded synchronously with no registry call.
 */
export class AvroConverter implements Converter {
  private readonly client: RegistryClient;
  private readonly byObject = new WeakMap<Schema, SchemaEntry>();
  /** Schemas equal in content but built anew per record share an entry through their Avro text. */
  private readonly byText = new Map<string, SchemaEntry>();
  private readonly writers = new Map<number, WriterEntry>();
  private readonly pendingWriters = new Map<number, Promise<WriterEntry>>();

  constructor(private readonly options: AvroConverterOptions) {
    this.client = new RegistryClient({ url: options.url, ...(options.userInfo ? { userInfo: options.userInfo } : {}) });
  }

  fromConnect(topic: string, schema: Schema | undefined, value: unknown): Buffer | null | Promise<Buffer | null> {
    if (value === null || value === undefined) return null;
    const entry = this.entryFor(schema ?? inferSchema(value));
    let subject = entry.subjectByTopic.get(topic);
    if (subject === undefined) {
      subject = subjectName(this.options.strategy, topic, this.options.isKey, entry.fullName);
      entry.subjectByTopic.set(topic, subject);
    }
    const known = entry.ids.get(subject);
    if (known !== undefined) return encode(entry.schema, known.id, known.writer, value);
    return this.resolveId(entry, subject).then((r) => encode(entry.schema, r.id, r.writer, value));
  }

  toConnect(_topic: string, bytes: Buffer | null): SchemaAndValue | Promise<SchemaAndValue> {
    if (bytes === null) return { value: null };
    if (bytes.length < HEADER_LENGTH || bytes[0] !== MAGIC_BYTE) {
      throw new RecordError('not Avro in the Confluent wire format (unknown magic byte or too short)');
    }
    const id = bytes.readInt32BE(1);
    const known = this.writers.get(id);
    if (known !== undefined) return decode(known, bytes, id);
    return this.writerFor(id).then((w) => decode(w, bytes, id));
  }

  private entryFor(schema: Schema): SchemaEntry {
    const cached = this.byObject.get(schema);
    if (cached !== undefined) return cached;
    let avroSchema: object;
    try {
      avroSchema = connectToAvroSchema(schema);
    } catch (err) {
      throw new RecordError(`schema cannot be translated to Avro: ${(err as Error).message}`, { cause: err });
    }
    const avroJson = JSON.stringify(avroSchema);
    let entry = this.byText.get(avroJson);
    if (entry === undefined) {
      const type = avro.Type.forSchema(avroSchema as avro.Schema, { wrapUnions: false });
      entry = {
        schema,
        avroJson,
        type,
        fullName: fullNameOf(schema, type),
        subjectByTopic: new Map(),
        ids: new Map(),
        pending: new Map(),
      };
      // Bounded: a connector inventing a new schema per record must not grow memory without limit.
      if (this.byText.size >= MAX_CACHED_SCHEMAS) this.byText.clear();
      this.byText.set(avroJson, entry);
    }
    this.byObject.set(schema, entry);
    return entry;
  }

  private resolveId(entry: SchemaEntry, subject: string): Promise<{ id: number; writer: avro.Type }> {
    let p = entry.pending.get(subject);
    if (p === undefined) {
      p = this.lookupId(entry, subject).then(
        (r) => {
          entry.ids.set(subject, r);
          entry.pending.delete(subject);
          return r;
        },
        (err: unknown) => {
          // Forget the failure so the pipeline's retry asks the registry again.
          entry.pending.delete(subject);
          throw err;
        },
      );
      entry.pending.set(subject, p);
    }
    return p;
  }

  private async lookupId(entry: SchemaEntry, subject: string): Promise<{ id: number; writer: avro.Type }> {
    if (this.options.useLatestVersion) {
      const latest = await this.client.latest(subject);
      if (latest === undefined) throw new RecordError(`subject '${subject}' has no version (use.latest.version=true)`);
      const writer = this.writers.get(latest.id)?.type ?? parseAvro(latest.schema, latest.id);
      return { id: latest.id, writer };
    }
    if (this.options.autoRegister) {
      return { id: await this.client.register(subject, entry.avroJson), writer: entry.type };
    }
    const id = await this.client.lookup(subject, entry.avroJson);
    if (id === undefined) {
      throw new RecordError(`schema is not registered under subject '${subject}' and auto.register.schemas=false`);
    }
    return { id, writer: entry.type };
  }

  private writerFor(id: number): Promise<WriterEntry> {
    let p = this.pendingWriters.get(id);
    if (p === undefined) {
      p = this.client
        .schemaById(id)
        .then((text) => {
          const type = parseAvro(text, id);
          let schema: Schema;
          try {
            schema = avroToConnectSchema(text);
          } catch (err) {
            throw new RecordError(`schema id ${id} has no Connect equivalent: ${(err as Error).message}`, {
              cause: err,
            });
          }
          const w = { type, schema };
          this.writers.set(id, w);
          return w;
        })
        .finally(() => this.pendingWriters.delete(id));
      this.pendingWriters.set(id, p);
    }
    return p;
  }
}

function parseAvro(text: string, id: number): avro.Type {
  try {
    return avro.Type.forSchema(JSON.parse(text) as avro.Schema, { wrapUnions: false });
  } catch (err) {
    throw new RecordError(`schema id ${id} from the registry is not valid Avro: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Where records are encoded before their one copy out. avsc's toBuffer() encodes into its own scratch space too, but
 * then copies into a fresh zero-filled buffer that is not taken from Node's pool, which we then copied again behind
 * the 5-byte header: per record, one unpooled allocation and one copy more than needed. A record larger than this
 * takes that longer path (the space does not grow to the largest record ever seen).
 */
const SCRATCH = Buffer.allocUnsafe(64 * 1024);

function encode(schema: Schema, id: number, writer: avro.Type, value: unknown): Buffer {
  let out: Buffer;
  try {
    const avroValue = connectToAvroValue(schema, value);
    const end = writer.encode(avroValue, SCRATCH, HEADER_LENGTH);
    if (end >= 0) {
      out = Buffer.allocUnsafe(end);
      SCRATCH.copy(out, 0, 0, end);
    } else {
      const body = writer.toBuffer(avroValue);
      out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
      body.copy(out, HEADER_LENGTH);
    }
  } catch (err) {
    if (err instanceof AvroValueError)
      throw new RecordError(`value does not fit its schema: ${err.message}`, { cause: err });
    if (err instanceof FerryError) throw err;
    throw new RecordError(`value does not fit Avro schema id ${id}: ${(err as Error).message}`, { cause: err });
  }
  out[0] = MAGIC_BYTE;
  out.writeInt32BE(id, 1);
  return out;
}

function decode(w: WriterEntry, bytes: Buffer, id: number): SchemaAndValue {
  try {
    const raw: unknown = w.type.fromBuffer(bytes.subarray(HEADER_LENGTH));
    return { schema: w.schema, value: avroToConnectValue(w.schema, raw) };
  } catch (err) {
    throw new RecordError(`cannot decode Avro with schema id ${id}: ${(err as Error).message}`, { cause: err });
  }
}

function fullNameOf(schema: Schema, type: avro.Type): string {
  if (schema.type === 'struct') return schema.name ?? `${AVRO_DEFAULT_NAMESPACE}.${AVRO_DEFAULT_RECORD_NAME}`;
  return type.name ?? type.typeName;
}

/** Schemaless primitives get the schema Connect would infer; structured data needs a schema for Avro. */
function inferSchema(value: unknown): Schema {
  if (typeof value === 'string') return Schemas.STRING;
  if (typeof value === 'boolean') return Schemas.BOOLEAN;
  if (typeof value === 'number') return Number.isInteger(value) ? Schemas.INT64 : Schemas.FLOAT64;
  if (Buffer.isBuffer(value)) return Schemas.BYTES;
  throw new RecordError(
    `the Avro converter needs a schema for ${Array.isArray(value) ? 'array' : typeof value} values ` +
      '(schemaless structured data: use the JSON converter with schemas.enable=false)',
  );
}

export const avroConverterDefinition: ConverterDefinition = {
  className: 'io.confluent.connect.avro.AvroConverter',
  aliases: ['avro', 'AvroConverter'],
  headerConverter: false,
  configKeys: {
    'schema.registry.url': { type: 'string', description: 'URL of the Confluent-compatible schema registry.' },
    'auto.register.schemas': { type: 'boolean', description: 'Register new schemas automatically.', default: true },
    'use.latest.version': {
      type: 'boolean',
      description: "Write with the subject's latest schema instead of the record's own.",
      default: false,
    },
    'key.subject.name.strategy': {
      type: 'string',
      description: 'Subject name strategy for keys.',
      default: 'TopicNameStrategy',
      'x-connect-type': 'CLASS',
    },
    'value.subject.name.strategy': {
      type: 'string',
      description: 'Subject name strategy for values.',
      default: 'TopicNameStrategy',
      'x-connect-type': 'CLASS',
    },
    'basic.auth.credentials.source': {
      type: 'string',
      description: 'Where registry credentials come from: USER_INFO or URL.',
      default: 'USER_INFO',
      enum: ['USER_INFO', 'URL', 'SASL_INHERIT'],
    },
    'basic.auth.user.info': {
      type: 'string',
      description: 'user:password for the registry.',
      'x-connect-type': 'PASSWORD',
      'x-secret': true,
    },
  },
  validate: (settings, isKey) => parseAvroConverterSettings(settings, isKey).issues,
  create: (settings, isKey) => {
    const { options, issues } = parseAvroConverterSettings(settings, isKey);
    if (options === undefined) {
      throw new FerryError('CONFIG_INVALID', issues.map((i) => `${i.key}: ${i.message}`).join('; '));
    }
    return new AvroConverter(options);
  },
};
