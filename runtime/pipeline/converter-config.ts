import type { ConfigIssue, RawConfig } from '../api';
import { workerSettingsFor } from '../config/secrets';
import { findConverter, type Converter, type ConverterDefinition } from '../converters';
import type { WorkerConverterDefaults } from './types';

export type ConverterRole = 'key' | 'value' | 'header';

/** Built in when neither the connector nor the worker names a converter. */
const FALLBACK: Record<ConverterRole, string> = { key: 'string', value: 'avro', header: 'string' };

export interface ConverterChoice {
  readonly role: ConverterRole;
  readonly definition?: ConverterDefinition;
  /** The class name records and DLQ headers report. */
  readonly className: string;
  readonly settings: Readonly<Record<string, string>>;
}

function prefixed(config: RawConfig, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/**
 * Which converter a role uses and with which settings. The connector's `<role>.converter` wins over the worker's,
 * and its sub-settings over the worker's (e.g. `value.converter.schema.registry.url`). The worker's sub-settings
 * apply even when the connector picks another converter (each converter reads only its own keys), so a connector
 * switching to Avro needs no registry URL of its own.
 */
export function chooseConverter(
  raw: RawConfig,
  defaults: WorkerConverterDefaults,
  role: ConverterRole,
  issues: ConfigIssue[],
): ConverterChoice {
  const classKey = `${role}.converter`;
  const prefix = `${classKey}.`;
  const own = raw[classKey]?.trim() || undefined;
  const workerName = defaults[classKey]?.trim() || FALLBACK[role];
  const name = own ?? workerName;
  const definition = findConverter(name);
  if (definition === undefined) {
    issues.push({ key: classKey, message: `unknown converter '${name}' (${knownNames()})` });
    return { role, className: name, settings: {} };
  }
  if (role === 'header' && !definition.headerConverter) {
    issues.push({ key: classKey, message: `'${name}' cannot be used as a header converter` });
  }
  const ownSettings = prefixed(raw, prefix);
  const settings = { ...workerSettingsFor(prefixed(defaults, prefix), ownSettings), ...ownSettings };
  for (const issue of definition.validate(settings, role === 'key')) {
    issues.push({ key: `${prefix}${issue.key}`, message: issue.message });
  }
  return { role, definition, className: definition.className, settings };
}

function knownNames(): string {
  return 'known: avro, json, string, bytes or their Connect class names';
}

export function createConverter(choice: ConverterChoice): Converter {
  if (choice.definition === undefined) throw new Error(`unknown converter ${choice.className}`);
  return choice.definition.create(choice.settings, choice.role === 'key');
}
