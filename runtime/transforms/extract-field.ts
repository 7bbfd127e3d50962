import { RecordError, fieldOf, type ConnectRecord } from '../api';
import type { TransformDefinition } from './types';
import { OneFieldTransform, requireMap, requireStruct, sideNames, sideOf, withSide } from './util';

/** Connect's ExtractField: the key or value becomes one of its fields. */
class ExtractField extends OneFieldTransform {
  apply<R extends ConnectRecord>(record: R): R | null {
    const { schema, value } = sideOf(record, this.side);
    if (schema === undefined) {
      if (value === null || value === undefined) return withSide(record, this.side, undefined, null);
      return withSide(record, this.side, undefined, requireMap(value, 'field extraction')[this.field] ?? null);
    }
    const f = fieldOf(schema, this.field);
    if (f === undefined) throw new RecordError(`ExtractField: unknown field '${this.field}'`);
    if (value === null || value === undefined) return withSide(record, this.side, f.schema, null);
    return withSide(record, this.side, f.schema, requireStruct(schema, value, 'field extraction')[this.field] ?? null);
  }
}

export const extractFieldDefinitions: TransformDefinition[] = (['key', 'value'] as const).map((side) => ({
  ...sideNames('ExtractField', side),
  description: `Replaces the record ${side} with one of its fields.`,
  configKeys: { field: { type: 'string', minLength: 1, description: 'Field to extract.' } },
  create: (settings) => new ExtractField(side, settings),
}));
