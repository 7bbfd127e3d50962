import type { ConfigIssue, ConfigProperty, RawConfig } from '../api';
import { CONVERTER_DEFINITIONS, findConverter } from '../converters';
import {
  PREDICATE_DEFINITIONS,
  TRANSFORM_DEFINITIONS,
  aliasList,
  findPredicate,
  findTransform,
  parseTransformChain,
} from '../transforms';
import { chooseConverter, type ConverterRole } from './converter-config';
import { ERROR_POLICY_KEYS, parseErrorPolicy } from './error-policy';
import type { PipelinePluginInfo, WorkerConverterDefaults } from './types';

/** Version reported for the transforms, predicates and converters built into Ferry. */
export const PIPELINE_PLUGIN_VERSION = '0.1.0';

/** A pipeline key's definition, as `GET /connector-plugins/{p}/config` and validate report it. */
export interface PipelineConfigKey {
  readonly key: string;
  readonly group: string;
  readonly property: ConfigProperty;
}

const ROLES: readonly ConverterRole[] = ['key', 'value', 'header'];

/** Every converter setting by name (without prefix). */
const ANY_CONVERTER_KEYS = new Map<string, ConfigProperty>(
  CONVERTER_DEFINITIONS.flatMap((d) => Object.entries(d.configKeys)),
);

/**
 * Every problem with the converter, transforms/predicates and errors.* keys of a connector config, each naming
 * its key. Builds nothing that does I/O.
 */
export function validatePipelineConfig(raw: RawConfig, defaults: WorkerConverterDefaults): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const role of ROLES) chooseConverter(raw, defaults, role, issues);
  issues.push(...parseTransformChain(raw).issues);
  issues.push(...parseErrorPolicy(raw).issues);
  return issues;
}

/** Definitions of the common pipeline keys plus those of each configured transform, predicate and converter. */
export function pipelineConfigKeys(raw: RawConfig): PipelineConfigKey[] {
  const out: PipelineConfigKey[] = [];
  const converterKey = (role: ConverterRole): ConfigProperty => ({
    type: 'string',
    description: `Converter for record ${role}s (class name or alias: avro, json, string, bytes); the worker's when unset.`,
    'x-connect-type': 'CLASS',
    'x-importance': 'LOW',
    'x-display-name': `${role[0]?.toUpperCase()}${role.slice(1)} converter class`,
  });
  for (const role of ROLES) out.push({ key: `${role}.converter`, group: 'Common', property: converterKey(role) });
  // Converter sub-settings of the converters named here, and any sub-setting given, so that secrets among them
  // (registry credentials) are known as secrets even when the converter itself is the worker's default.
  const seen = new Set<string>();
  const addSub = (key: string, p: ConfigProperty): void => {
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ key, group: 'Common', property: { ...p, 'x-importance': 'LOW' } });
  };
  for (const role of ROLES) {
    const named = raw[`${role}.converter`];
    const def = named !== undefined ? findConverter(named) : undefined;
    for (const [k, p] of Object.entries(def?.configKeys ?? {})) addSub(`${role}.converter.${k}`, p);
    for (const key of Object.keys(raw)) {
      if (!key.startsWith(`${role}.converter.`)) continue;
      const p = ANY_CONVERTER_KEYS.get(key.slice(`${role}.converter.`.length));
      if (p !== undefined) addSub(key, p);
    }
  }
  out.push({
    key: 'transforms',
    group: 'Transforms',
    property: {
      type: 'array',
      items: { type: 'string' },
      default: [],
      description: 'Aliases of the transformations to apply to records, in order.',
      'x-importance': 'LOW',
      'x-display-name': 'Transforms',
    },
  });
  out.push({
    key: 'predicates',
    group: 'Predicates',
    property: {
      type: 'array',
      items: { type: 'string' },
      default: [],
      description: 'Aliases of the predicates used by the transformations.',
      'x-importance': 'LOW',
      'x-display-name': 'Predicates',
    },
  });
  for (const [key, property] of Object.entries(ERROR_POLICY_KEYS)) out.push({ key, group: 'Error Handling', property });

  for (const alias of aliasList(raw, 'transforms')) {
    const prefix = `transforms.${alias}.`;
    // Connect groups an alias's keys as "Transforms: <alias>".
    const group = `Transforms: ${alias}`;
    out.push({
      key: `${prefix}type`,
      group,
      property: {
        type: 'string',
        description: 'Class name or alias of the transformation.',
        'x-connect-type': 'CLASS',
        'x-importance': 'HIGH',
      },
    });
    out.push({
      key: `${prefix}predicate`,
      group,
      property: {
        type: 'string',
        description: 'Alias of a predicate; the transform applies only where it holds.',
        'x-importance': 'MEDIUM',
      },
    });
    out.push({
      key: `${prefix}negate`,
      group,
      property: {
        type: 'boolean',
        default: false,
        description: 'Apply the transform where the predicate does not hold.',
        'x-importance': 'MEDIUM',
      },
    });
    const def = findTransform(raw[`${prefix}type`] ?? '');
    for (const [k, p] of Object.entries(def?.configKeys ?? {})) out.push({ key: `${prefix}${k}`, group, property: p });
  }
  for (const alias of aliasList(raw, 'predicates')) {
    const prefix = `predicates.${alias}.`;
    const group = `Predicates: ${alias}`;
    out.push({
      key: `${prefix}type`,
      group,
      property: {
        type: 'string',
        description: 'Class name or alias of the predicate.',
        'x-connect-type': 'CLASS',
        'x-importance': 'HIGH',
      },
    });
    const def = findPredicate(raw[`${prefix}type`] ?? '');
    for (const [k, p] of Object.entries(def?.configKeys ?? {})) out.push({ key: `${prefix}${k}`, group, property: p });
  }
  return out;
}

/** Every transformation, predicate and converter, for `GET /connector-plugins?connectorsOnly=false`. */
export function pipelinePlugins(): PipelinePluginInfo[] {
  const out: PipelinePluginInfo[] = [];
  const v = PIPELINE_PLUGIN_VERSION;
  for (const d of TRANSFORM_DEFINITIONS) out.push({ class: d.className, type: 'transformation', version: v });
  for (const d of PREDICATE_DEFINITIONS) out.push({ class: d.className, type: 'predicate', version: v });
  for (const d of CONVERTER_DEFINITIONS) out.push({ class: d.className, type: 'converter', version: v });
  for (const d of CONVERTER_DEFINITIONS)
    if (d.headerConverter) out.push({ class: d.className, type: 'header_converter', version: v });
  out.push({ class: 'org.apache.kafka.connect.storage.SimpleHeaderConverter', type: 'header_converter', version: v });
  return out;
}
