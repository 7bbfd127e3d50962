import { RecordError, fieldOf, type ConnectRecord, type Field, type Schema } from '../api';
import type { SettingsReader, TransformDefinition, Transformation } from './types';
import { SchemaCache, requireMap, requireStruct } from './util';

/** Connect's ValueToKey: the key becomes a struct (or map) of some value fields. */
class ValueToKey implements Transformation {
  private readonly cache = new SchemaCache();
  private readonly fields: string[];

  constructor(settings: SettingsReader) {
    this.fields = settings.list('fields', { required: true });
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    const { valueSchema: schema, value } = record;
    if (schema === undefined) {
      const src = requireMap(value, 'copying fields from value to key');
      const key: Record<string, unknown> = {};
      for (const f of this.fields) key[f] = src[f];
      return { ...record, key, keySchema: undefined };
    }
    const struct = requireStruct(schema, value, 'copying fields from value to key');
    const keySchema = this.cache.get(schema, (s): Schema => {
      const fields = this.fields.map((name): Field => {
        const f = fieldOf(s, name);
        if (f === undefined) throw new RecordError(`ValueToKey: field '${name}' does not exist in the value schema`);
        return f;
      });
      return Object.freeze({ type: 'struct', optional: false, fields });
    });
    const key: Record<string, unknown> = {};
    for (const f of this.fields) key[f] = struct[f];
    return { ...record, key, keySchema };
  }
}

export const valueToKeyDefinitions: TransformDefinition[] = [
  {
    className: 'org.apache.kafka.connect.transforms.ValueToKey',
    aliases: ['ValueToKey'],
    description: 'Replaces the record key with a struct of fields from the value.',
    configKeys: {
      fields: {
        type: 'array',
        items: { type: 'string' },
        minItems: 1,
        description: 'Value fields to copy into the key.',
      },
    },
    create: (settings) => new ValueToKey(settings),
  },
];
