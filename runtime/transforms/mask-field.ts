import { LogicalTypes, RecordError, type ConnectRecord, type Schema } from '../api';
import type { SettingsReader, TransformDefinition, Transformation } from './types';
import { kindOf, requireMap, requireStruct, sideNames, sideOf, withSide, type Side } from './util';

const NUMERIC = new Set(['int8', 'int16', 'int32', 'int64', 'float32', 'float64']);

/** The value a masked field gets when no replacement is set, by type (Connect's MaskField table). */
function emptyFor(schemaOrValue: unknown, isSchema: boolean): unknown {
  if (isSchema) {
    const s = schemaOrValue as Schema;
    if (s.name === LogicalTypes.Decimal) return '0';
    if (s.name === LogicalTypes.Timestamp || s.name === LogicalTypes.Date || s.name === LogicalTypes.Time)
      return new Date(0);
    switch (s.type) {
      case 'boolean':
        return false;
      case 'string':
        return '';
      case 'bytes':
        return Buffer.alloc(0);
      case 'array':
        return [];
      case 'map':
        return {};
      case 'struct':
        throw new RecordError('MaskField cannot mask a struct field');
      default:
        return 0;
    }
  }
  const v = schemaOrValue;
  if (typeof v === 'number') return 0;
  if (typeof v === 'bigint') return 0n;
  if (typeof v === 'boolean') return false;
  if (typeof v === 'string') return '';
  if (Buffer.isBuffer(v)) return Buffer.alloc(0);
  if (v instanceof Date) return new Date(0);
  if (Array.isArray(v)) return [];
  if (v instanceof Map) return new Map();
  if (v === null || v === undefined) return v;
  if (typeof v === 'object') return {};
  throw new RecordError(`MaskField cannot mask a ${kindOf(v)}`);
}

class MaskField implements Transformation {
  private readonly fields: Set<string>;
  private readonly replacement: string | undefined;

  constructor(
    private readonly side: Side,
    settings: SettingsReader,
  ) {
    this.fields = new Set(settings.list('fields', { required: true }));
    const r = settings.raw('replacement');
    this.replacement = r === undefined || r === '' ? undefined : r;
  }

  private replace(type: string, current: unknown, field: string): unknown {
    const r = this.replacement as string;
    if (type === 'string' || typeof current === 'string') return r;
    if (NUMERIC.has(type) || typeof current === 'number') {
      const n = Number(r);
      if (Number.isNaN(n)) throw new RecordError(`MaskField: replacement '${r}' is not a number for field '${field}'`);
      if ((type.startsWith('int') || (type === '' && Number.isInteger(current))) && !Number.isInteger(n)) {
        throw new RecordError(`MaskField: replacement '${r}' is not an integer for field '${field}'`);
      }
      return n;
    }
    throw new RecordError(
      `MaskField: a replacement applies only to string and numeric fields, '${field}' is ${type || kindOf(current)}`,
    );
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    const { schema, value } = sideOf(record, this.side);
    if (value === null || value === undefined) return record;
    if (schema === undefined) {
      const out = { ...requireMap(value, 'masking') };
      for (const f of this.fields) {
        if (!(f in out)) continue;
        out[f] = this.replacement === undefined ? emptyFor(out[f], false) : this.replace('', out[f], f);
      }
      return withSide(record, this.side, undefined, out);
    }
    const out = { ...requireStruct(schema, value, 'masking') };
    for (const f of schema.fields ?? []) {
      if (!this.fields.has(f.name)) continue;
      out[f.name] =
        this.replacement === undefined ? emptyFor(f.schema, true) : this.replace(f.schema.type, out[f.name], f.name);
    }
    return withSide(record, this.side, schema, out);
  }
}

const configKeys = {
  fields: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'Fields to mask.' },
  replacement: {
    type: 'string',
    description: 'Replacement for string and numeric fields (empty value by type if unset).',
  },
} as const;

export const maskFieldDefinitions: TransformDefinition[] = (['key', 'value'] as const).map((side) => ({
  ...sideNames('MaskField', side),
  description: `Masks fields of the record ${side} with an empty value or a replacement.`,
  configKeys,
  create: (settings) => new MaskField(side, settings),
}));
