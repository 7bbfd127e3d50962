import type { ConnectRecord, Schema } from '../api';
import type { TransformDefinition } from './types';
import { OneFieldTransform, SchemaCache, sideNames, sideOf, withSide } from './util';

/** Connect's HoistField: wraps the key or value in a struct (or map) with one field. */
class HoistField extends OneFieldTransform {
  private readonly cache = new SchemaCache();

  apply<R extends ConnectRecord>(record: R): R | null {
    const { schema, value } = sideOf(record, this.side);
    if (schema === undefined) return withSide(record, this.side, undefined, { [this.field]: value });
    const newSchema = this.cache.get(schema, (s): Schema =>
      Object.freeze({ type: 'struct', optional: false, fields: [{ name: this.field, schema: s }] }),
    );
    return withSide(record, this.side, newSchema, { [this.field]: value });
  }
}

export const hoistFieldDefinitions: TransformDefinition[] = (['key', 'value'] as const).map((side) => ({
  ...sideNames('HoistField', side),
  description: `Wraps the record ${side} in a struct with one field.`,
  configKeys: { field: { type: 'string', minLength: 1, description: 'Name of the wrapping field.' } },
  create: (settings) => new HoistField(side, settings),
}));
