import { LogicalTypes, RecordError, type ConnectRecord, type Schema } from '../api';
import { scalarText } from '../converters/simple-converters';
import type { SettingsReader, TransformDefinition, Transformation } from './types';
import { SchemaCache, kindOf, reshapeSide, sideNames, sideOf, structLike, withSide, type Side } from './util';

const TARGETS = ['int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'boolean', 'string'] as const;
type Target = (typeof TARGETS)[number];
const RANGES: Partial<Record<Target, [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** One value cast to a target type, as Connect's Cast (numbers truncate towards zero, booleans are 1/0). */
export function castValue(value: unknown, target: Target): unknown {
  if (value === null || value === undefined) return null;
  if (target === 'string') {
    if (Buffer.isBuffer(value)) return value.toString('base64');
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'object') throw new RecordError(`Cast: cannot cast a ${kindOf(value)} to string`);
    return scalarText(value);
  }
  if (target === 'boolean') {
    if (typeof value === 'boolean') return value;
    if (typeof value === 'number') return value !== 0;
    if (typeof value === 'string') return value.trim().toLowerCase() === 'true';
    throw new RecordError(`Cast: cannot cast a ${kindOf(value)} to boolean`);
  }
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'boolean') n = value ? 1 : 0;
  else if (typeof value === 'bigint') n = Number(value);
  else if (value instanceof Date && target === 'int64') n = value.getTime();
  else if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) n = Number(value);
  else throw new RecordError(`Cast: cannot cast this ${kindOf(value)} to ${target}`);
  if (target === 'float32' || target === 'float64') return n;
  const i = Math.trunc(n);
  const [min, max] = RANGES[target] ?? [-Infinity, Infinity];
  if (!Number.isFinite(i) || i < min || i > max) throw new RecordError(`Cast: value is out of range for ${target}`);
  return i;
}

class Cast implements Transformation {
  private readonly cache = new SchemaCache();
  private wholeValue: Target | undefined;
  private readonly fields = new Map<string, Target>();

  constructor(
    private readonly side: Side,
    settings: SettingsReader,
  ) {
    const spec = settings.list('spec', { required: true });
    for (const item of spec) {
      const parts = item.split(':').map((s) => s.trim());
      const target = TARGETS.find((t) => t === parts[parts.length - 1]);
      if (parts.length > 2 || target === undefined || (parts.length === 2 && parts[0] === '')) {
        settings.issue(
          'spec',
          `invalid cast '${item}': expected field:type or type with type one of ${TARGETS.join(', ')}`,
        );
      } else if (parts.length === 1) {
        if (spec.length > 1) settings.issue('spec', `a whole-value cast ('${item}') must be the only entry`);
        this.wholeValue = target;
      } else {
        this.fields.set(parts[0] as string, target);
      }
    }
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    const { schema, value } = sideOf(record, this.side);
    if (this.wholeValue !== undefined) {
      const t = this.wholeValue;
      if (schema !== undefined) checkCastable(schema, 'the whole value');
      const newSchema =
        schema === undefined
          ? undefined
          : this.cache.get(schema, (s) => Object.freeze({ type: t, optional: s.optional }));
      return withSide(record, this.side, newSchema, castValue(value, t));
    }
    const castFields = (src: Record<string, unknown>): Record<string, unknown> => {
      const out = { ...src };
      for (const [f, t] of this.fields) if (f in out) out[f] = castValue(out[f], t);
      return out;
    };
    return reshapeSide(record, this.side, 'cast', this.cache, {
      map: castFields,
      schema: (s) =>
        structLike(
          s,
          (s.fields ?? []).map((f) => {
            const t = this.fields.get(f.name);
            if (t === undefined) return f;
            checkCastable(f.schema, `field '${f.name}'`);
            const fs: Schema = Object.freeze({ type: t, optional: f.schema.optional });
            return { name: f.name, schema: fs };
          }),
        ),
      struct: castFields,
    });
  }
}

function checkCastable(schema: Schema, what: string): void {
  if (['array', 'map', 'struct'].includes(schema.type) || schema.name === LogicalTypes.Decimal) {
    throw new RecordError(`Cast: ${what} has type ${schema.name ?? schema.type}; only primitive types can be cast`);
  }
}

export const castDefinitions: TransformDefinition[] = (['key', 'value'] as const).map((side) => ({
  ...sideNames('Cast', side),
  description: `Casts fields (or the whole ${side}) to another primitive type.`,
  configKeys: {
    spec: {
      type: 'array',
      items: { type: 'string' },
      minItems: 1,
      description: `field:type pairs, or one type for the whole ${side}; types ${TARGETS.join(', ')}.`,
    },
  },
  create: (settings) => new Cast(side, settings),
}));
