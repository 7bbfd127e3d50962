/**
 * Names and small helpers shared by the Avro schema and value translations (./avro-schema, ./avro-data).
 *
 * @packageDocumentation
 */
import type { Schema } from '../api';

/** Record name Connect uses for a struct without a name. */
export const AVRO_DEFAULT_RECORD_NAME = 'ConnectDefault';
/** Namespace of Connect's generated Avro names. */
export const AVRO_DEFAULT_NAMESPACE = 'io.confluent.connect.avro';
/** Record name of the entries of a map whose keys are not strings. */
export const AVRO_MAP_ENTRY_NAME = 'MapEntry';
/** Connect schema parameter holding a Decimal's precision (Avro needs one). */
export const DECIMAL_PRECISION_PARAMETER = 'connect.decimal.precision';
const DEFAULT_DECIMAL_PRECISION = 64;
export const MILLIS_PER_DAY = 86_400_000;

/** A nested schema that must be there. */
export function required<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`schema has no ${what}`);
  return v;
}

export function decimalScale(schema: Schema): number {
  const s = Number(schema.parameters?.['scale'] ?? 0);
  return Number.isInteger(s) ? s : 0;
}

export function decimalPrecision(schema: Schema): number {
  const p = Number(schema.parameters?.[DECIMAL_PRECISION_PARAMETER] ?? schema.parameters?.['precision']);
  return Number.isInteger(p) && p > 0 ? p : DEFAULT_DECIMAL_PRECISION;
}
