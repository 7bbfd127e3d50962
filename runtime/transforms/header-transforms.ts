import { RecordError, Schemas, fieldOf, type ConnectRecord, type Header } from '../api';
import type { SettingsReader, TransformDefinition, Transformation } from './types';
import { SchemaCache, requireMap, requireStruct, sideNames, sideOf, structLike, withSide, type Side } from './util';

/** Connect's HeaderFrom: copies or moves fields of the key or value into headers. */
class HeaderFrom implements Transformation {
  private readonly cache = new SchemaCache();
  private readonly fields: string[];
  private readonly headers: string[];
  private readonly move: boolean;

  constructor(
    private readonly side: Side,
    settings: SettingsReader,
  ) {
    this.fields = settings.list('fields', { required: true });
    this.headers = settings.list('headers', { required: true });
    if (this.fields.length !== this.headers.length) {
      settings.issue(
        'headers',
        `must have as many entries as fields (${this.fields.length}), has ${this.headers.length}`,
      );
    }
    this.move = settings.oneOf('operation', ['copy', 'move'] as const, { required: true }) === 'move';
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    const { schema, value } = sideOf(record, this.side);
    if (value === null || value === undefined) return record;
    const added: Header[] = [];
    if (schema === undefined) {
      const src = requireMap(value, 'header extraction');
      this.fields.forEach((f, i) => added.push({ key: this.headers[i] as string, value: src[f] ?? null }));
      let out: Record<string, unknown> = src;
      if (this.move) {
        out = { ...src };
        for (const f of this.fields) delete out[f];
      }
      return { ...withSide(record, this.side, undefined, out), headers: [...record.headers, ...added] };
    }
    const struct = requireStruct(schema, value, 'header extraction');
    this.fields.forEach((name, i) => {
      const f = fieldOf(schema, name);
      if (f === undefined) throw new RecordError(`HeaderFrom: unknown field '${name}'`);
      added.push({ key: this.headers[i] as string, value: struct[name] ?? null, schema: f.schema });
    });
    if (!this.move) return { ...record, headers: [...record.headers, ...added] };
    const moved = new Set(this.fields);
    const newSchema = this.cache.get(schema, (s) =>
      structLike(
        s,
        (s.fields ?? []).filter((f) => !moved.has(f.name)),
      ),
    );
    const out: Record<string, unknown> = { ...struct };
    for (const f of this.fields) delete out[f];
    return { ...withSide(record, this.side, newSchema, out), headers: [...record.headers, ...added] };
  }
}

/** Connect's InsertHeader: adds a header with a literal string value. */
class InsertHeader implements Transformation {
  private readonly header: Header;

  constructor(settings: SettingsReader) {
    const key = settings.string('header', { required: true });
    const literal = settings.raw('value.literal');
    if (literal === undefined) settings.issue('value.literal', 'is required');
    this.header = { key, value: literal ?? '', schema: Schemas.STRING };
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    return { ...record, headers: [...record.headers, this.header] };
  }
}

/** Connect's DropHeaders: removes every header with one of the names. */
class DropHeaders implements Transformation {
  private readonly names: Set<string>;

  constructor(settings: SettingsReader) {
    this.names = new Set(settings.list('headers', { required: true }));
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    if (!record.headers.some((h) => this.names.has(h.key))) return record;
    return { ...record, headers: record.headers.filter((h) => !this.names.has(h.key)) };
  }
}

export const headerTransformDefinitions: TransformDefinition[] = [
  ...(['key', 'value'] as const).map((side): TransformDefinition => ({
    ...sideNames('HeaderFrom', side),
    description: `Copies or moves fields of the record ${side} into headers.`,
    configKeys: {
      fields: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'Fields to take.' },
      headers: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'Header names, one per field.' },
      operation: { type: 'string', enum: ['copy', 'move'], description: 'copy or move.' },
    },
    create: (settings) => new HeaderFrom(side, settings),
  })),
  {
    className: 'org.apache.kafka.connect.transforms.InsertHeader',
    aliases: ['InsertHeader'],
    description: 'Adds a header with a literal value.',
    configKeys: {
      header: { type: 'string', minLength: 1, description: 'Header name.' },
      'value.literal': { type: 'string', description: 'Header value.' },
    },
    create: (settings) => new InsertHeader(settings),
  },
  {
    className: 'org.apache.kafka.connect.transforms.DropHeaders',
    aliases: ['DropHeaders'],
    description: 'Removes headers by name.',
    configKeys: {
      headers: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'Header names to drop.' },
    },
    create: (settings) => new DropHeaders(settings),
  },
];
