import { RecordError, Schemas, SchemaBuilder, type ConnectRecord, type Field, type Schema } from '../api';
import type { SettingsReader, TransformDefinition, Transformation } from './types';
import { SchemaCache, reshapeSide, sideNames, structLike, type Side } from './util';

interface FieldSpec {
  readonly name: string;
  readonly optional: boolean;
}

/** `name`, `name?` (optional, the default) or `name!` (required), as Connect's InsertField. */
function parseSpec(text: string): FieldSpec | undefined {
  if (text === '') return undefined;
  if (text.endsWith('!')) return { name: text.slice(0, -1), optional: false };
  if (text.endsWith('?')) return { name: text.slice(0, -1), optional: true };
  return { name: text, optional: true };
}

const TIMESTAMP = SchemaBuilder.timestamp().build();
const OPTIONAL_TIMESTAMP = SchemaBuilder.timestamp().optional().build();

class InsertField implements Transformation {
  private readonly cache = new SchemaCache();
  private readonly inserted: { spec: FieldSpec; schema: Schema; read: (r: ConnectRecord) => unknown }[] = [];

  constructor(
    private readonly side: Side,
    settings: SettingsReader,
  ) {
    const add = (key: string, schema: Schema, optionalSchema: Schema, read: (r: ConnectRecord) => unknown): void => {
      const spec = parseSpec(settings.string(key));
      if (spec) this.inserted.push({ spec, schema: spec.optional ? optionalSchema : schema, read });
    };
    add('topic.field', Schemas.STRING, Schemas.OPTIONAL_STRING, (r) => r.topic);
    add('partition.field', Schemas.INT32, Schemas.OPTIONAL_INT32, (r) => r.kafkaPartition ?? null);
    add('offset.field', Schemas.INT64, Schemas.OPTIONAL_INT64, (r) => {
      const offset = (r as { kafkaOffset?: number }).kafkaOffset;
      if (offset === undefined) throw new RecordError('InsertField: offset.field is only available on sink records');
      return offset;
    });
    add('timestamp.field', TIMESTAMP, OPTIONAL_TIMESTAMP, (r) =>
      r.timestamp === undefined ? null : new Date(r.timestamp),
    );
    const staticValue = settings.string('static.value');
    const staticSpec = parseSpec(settings.string('static.field'));
    if (staticSpec) {
      this.inserted.push({
        spec: staticSpec,
        schema: staticSpec.optional ? Schemas.OPTIONAL_STRING : Schemas.STRING,
        read: () => (staticValue === '' ? null : staticValue),
      });
    }
    if (this.inserted.length === 0) {
      settings.issue(
        'static.field',
        'no field to insert: set one of topic.field, partition.field, offset.field, timestamp.field, static.field',
      );
    }
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    const insert = (src: Record<string, unknown>): Record<string, unknown> => {
      const out = { ...src };
      for (const f of this.inserted) out[f.spec.name] = this.read(f, record);
      return out;
    };
    return reshapeSide(record, this.side, 'field insertion', this.cache, {
      map: insert,
      schema: (s) => {
        const fields: Field[] = [...(s.fields ?? [])];
        for (const f of this.inserted) {
          if (fields.some((x) => x.name === f.spec.name))
            throw new RecordError(`InsertField: field '${f.spec.name}' already exists`);
          fields.push({ name: f.spec.name, schema: f.schema });
        }
        return structLike(s, fields);
      },
      struct: insert,
    });
  }

  private read(f: { spec: FieldSpec; read: (r: ConnectRecord) => unknown }, record: ConnectRecord): unknown {
    const v = f.read(record);
    if ((v === null || v === undefined) && !f.spec.optional) {
      throw new RecordError(`InsertField: required field '${f.spec.name}' has no value on this record`);
    }
    return v;
  }
}

const configKeys = {
  'topic.field': { type: 'string', description: 'Field for the Kafka topic; suffix ! for required, ? for optional.' },
  'partition.field': { type: 'string', description: 'Field for the Kafka partition.' },
  'offset.field': { type: 'string', description: 'Field for the Kafka offset (sink records only).' },
  'timestamp.field': { type: 'string', description: 'Field for the record timestamp.' },
  'static.field': { type: 'string', description: 'Field for a static value.' },
  'static.value': { type: 'string', description: 'The static value.' },
} as const;

export const insertFieldDefinitions: TransformDefinition[] = (['key', 'value'] as const).map((side) => ({
  ...sideNames('InsertField', side),
  description: `Inserts fields from record metadata or a static value into the record ${side}.`,
  configKeys,
  create: (settings) => new InsertField(side, settings),
}));
