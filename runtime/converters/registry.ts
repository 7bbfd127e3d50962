import { avroConverterDefinition } from './avro-converter';
import { jsonConverterDefinition } from './json-converter';
import { byteArrayConverterDefinition, stringConverterDefinition } from './simple-converters';
import type { ConverterDefinition } from './types';

/** Every converter Ferry ships. */
export const CONVERTER_DEFINITIONS: readonly ConverterDefinition[] = [
  avroConverterDefinition,
  jsonConverterDefinition,
  stringConverterDefinition,
  byteArrayConverterDefinition,
];

const byName = new Map<string, ConverterDefinition>();
for (const d of CONVERTER_DEFINITIONS) {
  for (const n of [d.className, ...d.aliases]) byName.set(n.toLowerCase(), d);
}

/** The converter a class name or alias (case-insensitive) names, or undefined. */
export function findConverter(name: string): ConverterDefinition | undefined {
  return byName.get(name.trim().toLowerCase());
}
