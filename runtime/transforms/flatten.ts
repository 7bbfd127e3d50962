import { RecordError, type ConnectRecord, type Field, type Schema } from '../api';
import type { SettingsReader, TransformDefinition, Transformation } from './types';
import {
  SchemaCache,
  isPlainObject,
  optionalOf,
  requireMap,
  reshapeSide,
  sideNames,
  structLike,
  type Side,
} from './util';

/** Connect's Flatten: nested structs (or maps) become top-level fields joined with the delimiter. */
class Flatten implements Transformation {
  private readonly cache = new SchemaCache();
  private readonly delimiter: string;

  constructor(
    private readonly side: Side,
    settings: SettingsReader,
  ) {
    this.delimiter = settings.string('delimiter');
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    return reshapeSide(record, this.side, 'flattening', this.cache, {
      map: (src) => {
        const out: Record<string, unknown> = {};
        this.flattenMap(src, '', out);
        return out;
      },
      schema: (s) => {
        const fields: Field[] = [];
        this.flattenSchema(s, '', false, fields);
        return structLike(s, fields);
      },
      struct: (src, schema) => {
        const out: Record<string, unknown> = {};
        this.flattenStruct(schema, src, '', out);
        return out;
      },
    });
  }

  private name(prefix: string, field: string): string {
    return prefix === '' ? field : `${prefix}${this.delimiter}${field}`;
  }

  private flattenMap(src: Record<string, unknown>, prefix: string, out: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(src)) {
      const name = this.name(prefix, k);
      if (isPlainObject(v) || v instanceof Map) this.flattenMap(requireMap(v, 'flattening'), name, out);
      else out[name] = v;
    }
  }

  private flattenSchema(schema: Schema, prefix: string, parentOptional: boolean, out: Field[]): void {
    for (const f of schema.fields ?? []) {
      const name = this.name(prefix, f.name);
      if (f.schema.type === 'struct') {
        this.flattenSchema(f.schema, name, parentOptional || f.schema.optional, out);
      } else {
        if (out.some((x) => x.name === name))
          throw new RecordError(`Flatten: duplicate field '${name}' after flattening`);
        out.push({ name, schema: parentOptional ? optionalOf(f.schema) : f.schema });
      }
    }
  }

  private flattenStruct(
    schema: Schema,
    src: Record<string, unknown> | null,
    prefix: string,
    out: Record<string, unknown>,
  ): void {
    for (const f of schema.fields ?? []) {
      const name = this.name(prefix, f.name);
      const v = src === null ? null : src[f.name];
      if (f.schema.type === 'struct') {
        this.flattenStruct(f.schema, v === null || v === undefined ? null : (v as Record<string, unknown>), name, out);
      } else {
        out[name] = v ?? null;
      }
    }
  }
}

export const flattenDefinitions: TransformDefinition[] = (['key', 'value'] as const).map((side) => ({
  ...sideNames('Flatten', side),
  description: `Flattens nested structs in the record ${side}.`,
  configKeys: { delimiter: { type: 'string', description: 'Joins field names.', default: '.' } },
  create: (settings) => new Flatten(side, settings),
}));
