import { LogicalTypes, RecordError, SchemaBuilder, Schemas, fieldOf, type ConnectRecord, type Schema } from '../api';
import { compileDateFormat, type DateFormat } from './date-format';
import type { SettingsReader, TransformDefinition, Transformation } from './types';
import { SchemaCache, kindOf, reshapeSide, sideNames, sideOf, structLike, withSide, type Side } from './util';

const TARGET_TYPES = ['string', 'unix', 'Date', 'Time', 'Timestamp'] as const;
type TargetType = (typeof TARGET_TYPES)[number];
const PRECISIONS = ['seconds', 'milliseconds', 'microseconds', 'nanoseconds'] as const;
type Precision = (typeof PRECISIONS)[number];
const MILLIS_PER_DAY = 86_400_000;

const SCHEMAS: Record<TargetType, [Schema, Schema]> = {
  string: [Schemas.STRING, Schemas.OPTIONAL_STRING],
  unix: [Schemas.INT64, Schemas.OPTIONAL_INT64],
  Date: [
    SchemaBuilder.int32().name(LogicalTypes.Date).version(1).build(),
    SchemaBuilder.int32().name(LogicalTypes.Date).version(1).optional().build(),
  ],
  Time: [
    SchemaBuilder.int32().name(LogicalTypes.Time).version(1).build(),
    SchemaBuilder.int32().name(LogicalTypes.Time).version(1).optional().build(),
  ],
  Timestamp: [SchemaBuilder.timestamp().build(), SchemaBuilder.timestamp().optional().build()],
};

/** Connect's TimestampConverter: between strings, unix numbers and the Date/Time/Timestamp logical types (UTC). */
class TimestampConverter implements Transformation {
  private readonly cache = new SchemaCache();
  private readonly field: string;
  private readonly target: TargetType;
  private readonly format: DateFormat | undefined;
  private readonly precision: Precision;

  constructor(
    private readonly side: Side,
    settings: SettingsReader,
  ) {
    this.field = settings.string('field');
    this.target = settings.oneOf('target.type', TARGET_TYPES, { required: true });
    this.precision = settings.oneOf('unix.precision', PRECISIONS);
    const pattern = settings.string('format');
    if (pattern !== '') {
      try {
        this.format = compileDateFormat(pattern);
      } catch (err) {
        settings.issue('format', (err as Error).message);
      }
    } else if (this.target === 'string') {
      settings.issue('format', 'is required when target.type is string');
    }
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    const { schema, value } = sideOf(record, this.side);
    if (this.field === '') {
      if (value === null || value === undefined) return record;
      const newSchema = schema === undefined ? undefined : SCHEMAS[this.target][schema.optional ? 1 : 0];
      return withSide(record, this.side, newSchema, this.convert(value, schema));
    }
    if (schema !== undefined && value !== null && value !== undefined && fieldOf(schema, this.field) === undefined) {
      throw new RecordError(`TimestampConverter: unknown field '${this.field}'`);
    }
    return reshapeSide(record, this.side, 'converting timestamp formats', this.cache, {
      map: (src) => {
        const out = { ...src };
        if (out[this.field] !== null && out[this.field] !== undefined)
          out[this.field] = this.convert(out[this.field], undefined);
        return out;
      },
      schema: (s) =>
        structLike(
          s,
          (s.fields ?? []).map((x) =>
            x.name === this.field ? { name: x.name, schema: SCHEMAS[this.target][x.schema.optional ? 1 : 0] } : x,
          ),
        ),
      struct: (src, schema) => {
        const out = { ...src };
        const v = out[this.field];
        out[this.field] = v === null || v === undefined ? null : this.convert(v, fieldOf(schema, this.field)?.schema);
        return out;
      },
    });
  }

  private toMillis(value: unknown, schema: Schema | undefined): number {
    if (value instanceof Date) return value.getTime();
    if (typeof value === 'string' && (schema === undefined || schema.type === 'string')) {
      if (this.format === undefined) throw new RecordError('TimestampConverter: format is required to parse strings');
      try {
        return this.format.parse(value).getTime();
      } catch (err) {
        throw new RecordError(`TimestampConverter: ${(err as Error).message}`);
      }
    }
    if (typeof value === 'number' || typeof value === 'bigint') {
      const n = Number(value);
      // An int32 Date logical value counts days; a plain number is unix time in the configured precision.
      if (schema?.name === LogicalTypes.Date) return n * MILLIS_PER_DAY;
      if (schema?.name === LogicalTypes.Time || schema?.name === LogicalTypes.Timestamp) return n;
      switch (this.precision) {
        case 'seconds':
          return n * 1000;
        case 'microseconds':
          return Math.floor(n / 1000);
        case 'nanoseconds':
          return Math.floor(n / 1_000_000);
        default:
          return n;
      }
    }
    throw new RecordError(`TimestampConverter: cannot read a timestamp from a ${kindOf(value)}`);
  }

  private convert(value: unknown, schema: Schema | undefined): unknown {
    const ms = this.toMillis(value, schema);
    switch (this.target) {
      case 'string':
        return (this.format as DateFormat).format(new Date(ms));
      case 'unix':
        switch (this.precision) {
          case 'seconds':
            return Math.floor(ms / 1000);
          case 'microseconds':
            return ms * 1000;
          case 'nanoseconds':
            return ms * 1_000_000;
          default:
            return ms;
        }
      case 'Date':
        return new Date(Math.floor(ms / MILLIS_PER_DAY) * MILLIS_PER_DAY);
      case 'Time':
        return new Date(((ms % MILLIS_PER_DAY) + MILLIS_PER_DAY) % MILLIS_PER_DAY);
      case 'Timestamp':
        return new Date(ms);
    }
  }
}

export const timestampConverterDefinitions: TransformDefinition[] = (['key', 'value'] as const).map((side) => ({
  ...sideNames('TimestampConverter', side),
  description: `Converts a timestamp field (or the whole ${side}) between string, unix, Date, Time and Timestamp.`,
  configKeys: {
    field: { type: 'string', description: 'Field holding the timestamp; empty for the whole value.', default: '' },
    'target.type': { type: 'string', enum: TARGET_TYPES, description: 'Type to convert to.' },
    format: { type: 'string', description: 'SimpleDateFormat pattern for string input or output (UTC).', default: '' },
    'unix.precision': {
      type: 'string',
      enum: PRECISIONS,
      description: 'Precision of unix timestamps.',
      default: 'milliseconds',
    },
  },
  create: (settings) => new TimestampConverter(side, settings),
}));
