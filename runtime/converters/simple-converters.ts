import { RecordError, Schemas, type ConfigIssue, type SchemaAndValue } from '../api';
import type { Converter, ConverterDefinition, ConverterSettings } from './types';

const ENCODINGS = ['utf8', 'utf-8', 'ascii', 'latin1', 'utf16le', 'ucs2', 'base64', 'hex'] as const;

function encodingOf(settings: ConverterSettings): BufferEncoding {
  const e = (settings['converter.encoding'] ?? settings['encoding'] ?? 'utf8').toLowerCase();
  return (ENCODINGS as readonly string[]).includes(e) ? (e as BufferEncoding) : 'utf8';
}

function validateEncoding(settings: ConverterSettings): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const key of ['converter.encoding', 'encoding']) {
    const e = settings[key];
    if (e !== undefined && !(ENCODINGS as readonly string[]).includes(e.toLowerCase())) {
      issues.push({ key, message: `unknown encoding '${e}' (one of ${ENCODINGS.join(', ')})` });
    }
  }
  return issues;
}

/** Text of any Connect value, as Connect's StringConverter (toString) but with JSON for structured values. */
export function stringOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Map) return JSON.stringify(Object.fromEntries(value));
  if (typeof value === 'object') return JSON.stringify(value);
  return scalarText(value);
}

/** Text of a string, number, boolean or bigint; undefined for anything else. */
function scalarTextOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v.toString();
  return undefined;
}

/** Text of a primitive; anything else as JSON. */
export function scalarText(v: unknown): string {
  return scalarTextOf(v) ?? JSON.stringify(v) ?? 'undefined';
}

/** Connect's StringConverter: any value as text; reads bytes as an optional string. */
export class StringConverter implements Converter {
  private readonly encoding: BufferEncoding;

  constructor(settings: ConverterSettings = {}) {
    this.encoding = encodingOf(settings);
  }

  fromConnect(_topic: string, _schema: unknown, value: unknown): Buffer | null {
    if (value === null || value === undefined) return null;
    if (Buffer.isBuffer(value)) return value;
    return Buffer.from(stringOf(value), this.encoding);
  }

  toConnect(_topic: string, bytes: Buffer | null): SchemaAndValue {
    return { schema: Schemas.OPTIONAL_STRING, value: bytes === null ? null : bytes.toString(this.encoding) };
  }

  headerText(_schema: unknown, value: unknown): string | null | undefined {
    // Scalars only, which cannot fail: bytes stay bytes, structures and other encodings than UTF-8 go through
    // fromConnect (and so through the error policy).
    if (this.encoding !== 'utf8' && this.encoding !== 'utf-8') return undefined;
    if (value === null || value === undefined) return null;
    return scalarTextOf(value);
  }
}

/** Connect's ByteArrayConverter: bytes pass through unchanged. */
export class ByteArrayConverter implements Converter {
  fromConnect(_topic: string, schema: { type: string } | undefined, value: unknown): Buffer | null {
    if (schema !== undefined && schema.type !== 'bytes') {
      throw new RecordError(`ByteArrayConverter needs a bytes schema, got ${schema.type}`);
    }
    if (value === null || value === undefined) return null;
    if (Buffer.isBuffer(value)) return value;
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    throw new RecordError(`ByteArrayConverter needs bytes, got ${typeof value}`);
  }

  toConnect(_topic: string, bytes: Buffer | null): SchemaAndValue {
    return { schema: Schemas.OPTIONAL_BYTES, value: bytes };
  }
}

export const stringConverterDefinition: ConverterDefinition = {
  className: 'org.apache.kafka.connect.storage.StringConverter',
  aliases: [
    'string',
    'StringConverter',
    'org.apache.kafka.connect.storage.SimpleHeaderConverter',
    'SimpleHeaderConverter',
  ],
  headerConverter: true,
  configKeys: {
    'converter.encoding': { type: 'string', description: 'Character encoding of the text.', default: 'utf8' },
  },
  validate: (settings) => validateEncoding(settings),
  create: (settings) => new StringConverter(settings),
};

export const byteArrayConverterDefinition: ConverterDefinition = {
  className: 'org.apache.kafka.connect.converters.ByteArrayConverter',
  aliases: ['bytes', 'ByteArrayConverter'],
  headerConverter: true,
  configKeys: {},
  validate: () => [],
  create: () => new ByteArrayConverter(),
};
