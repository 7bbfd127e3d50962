import type { ValidateFunction } from 'ajv';
import {
  ConfigError,
  declaresSettings,
  type ConfigIssue,
  type ConfigProperty,
  type ConfigValues,
  type ConnectorPlugin,
  type RawConfig,
} from '../api';
import { schemaReader } from '../converters';
import { ajv } from './ajv';
import { EXACTLY_ONCE_PROPERTIES } from './exactly-once';
import { issueMessage } from './messages';
import { producerGuaranteeIssues } from './producer-guarantees';
import { secretKeys } from './secrets';

export const COMMON_GROUP = 'Common';
export const TOPIC_CREATION_GROUP = 'Topic Creation';

/** Connect's width hints for the common keys (shown by GET …/config); plugin keys report NONE. */
export const COMMON_WIDTHS: Readonly<Record<string, string>> = {
  name: 'MEDIUM',
  'connector.class': 'LONG',
  'tasks.max': 'SHORT',
  topics: 'LONG',
  'topics.regex': 'LONG',
};

const common: Record<string, ConfigProperty> = {
  name: {
    type: 'string',
    description: 'Globally unique name to use for this connector.',
    'x-importance': 'HIGH',
    'x-group': COMMON_GROUP,
    'x-display-name': 'Connector name',
  },
  'connector.class': {
    type: 'string',
    description:
      'Name or alias of the class for this connector: the class name (e.g. MqttSourceConnector), a declared alias, ' +
      'or the class name without "Connector".',
    'x-importance': 'HIGH',
    'x-group': COMMON_GROUP,
    'x-display-name': 'Connector class',
  },
  'tasks.max': {
    type: 'integer',
    minimum: 1,
    default: 1,
    description: 'Maximum number of tasks to use for this connector.',
    'x-importance': 'HIGH',
    'x-group': COMMON_GROUP,
    'x-display-name': 'Tasks max',
  },
};

const sinkOnly: Record<string, ConfigProperty> = {
  topics: {
    type: 'array',
    items: { type: 'string' },
    default: '',
    description: 'List of topics to consume, separated by commas. Exactly one of topics and topics.regex is set.',
    'x-importance': 'HIGH',
    'x-group': COMMON_GROUP,
    'x-display-name': 'Topics',
  },
  'topics.regex': {
    type: 'string',
    default: '',
    description:
      'Regular expression giving topics to consume; matching topics created later are picked up. ' +
      'Exactly one of topics and topics.regex is set.',
    'x-importance': 'HIGH',
    'x-group': COMMON_GROUP,
    'x-display-name': 'Topics regex',
  },
};

const sourceOnly: Record<string, ConfigProperty> = {
  'topic.creation.default.replication.factor': {
    type: 'integer',
    description:
      'Replication factor of the topics this connector creates when they are missing; -1 uses the broker default.',
    'x-importance': 'LOW',
    'x-group': TOPIC_CREATION_GROUP,
    'x-display-name': 'Replication factor for new topics',
  },
  'topic.creation.default.partitions': {
    type: 'integer',
    description:
      'Number of partitions of the topics this connector creates when they are missing; -1 uses the broker default.',
    'x-importance': 'LOW',
    'x-group': TOPIC_CREATION_GROUP,
    'x-display-name': 'Partitions for new topics',
  },
};

/** The keys every connector of this type has, in Connect's order, before the plugin's own. */
export function commonProperties(type: 'source' | 'sink'): Readonly<Record<string, ConfigProperty>> {
  return { ...common, ...(type === 'sink' ? sinkOnly : { ...sourceOnly, ...EXACTLY_ONCE_PROPERTIES }) };
}

interface Compiled {
  readonly properties: Readonly<Record<string, ConfigProperty>>;
  readonly validate?: ValidateFunction;
  readonly error?: string;
}

/** Schemas are compiled once per plugin (and per mode): a plugin object is immutable for the worker's life. */
const connectorCache = new WeakMap<ConnectorPlugin, Compiled>();
const taskCache = new WeakMap<ConnectorPlugin, Compiled>();

function compile(plugin: ConnectorPlugin, withCommon: boolean): Compiled {
  const cache = withCommon ? connectorCache : taskCache;
  const hit = cache.get(plugin);
  if (hit) return hit;
  // The common keys win over a plugin that redefines them: their meaning is the runtime's, not the plugin's.
  const properties = withCommon
    ? { ...plugin.config.properties, ...commonProperties(plugin.type) }
    : { ...plugin.config.properties };
  const required = [
    ...new Set([...(plugin.config.required ?? []), ...(withCommon ? ['name', 'connector.class'] : [])]),
  ];
  let compiled: Compiled;
  try {
    compiled = { properties, validate: ajv.compile({ type: 'object', properties, required }) };
  } catch (err) {
    compiled = { properties, error: err instanceof Error ? err.message : String(err) };
  }
  cache.set(plugin, compiled);
  return compiled;
}

/** Splits Connect's comma-separated LIST string into trimmed, non-empty items. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** A default as the value it stands for: LIST defaults given as a string are split. */
function defaultValue(p: ConfigProperty): unknown {
  const d = p.default;
  if (p.type === 'array' && typeof d === 'string') return splitList(d);
  return Array.isArray(d) ? [...(d as readonly string[])] : d;
}

/**
 * The object ajv checks: raw strings, with defaults for absent keys, LIST strings split, booleans lower-cased
 * (Connect accepts TRUE), and "" for a non-string key read as "not set" — Connect clients send "" to clear a value.
 */
export function prepareValues(
  properties: Readonly<Record<string, ConfigProperty>>,
  raw: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const data: Record<string, unknown> = { ...raw };
  for (const [key, p] of Object.entries(properties)) {
    let v = data[key];
    if (
      typeof v === 'string' &&
      v.trim() === '' &&
      (p.type === 'integer' || p.type === 'number' || p.type === 'boolean')
    ) {
      v = undefined;
    }
    if (v === undefined || v === null) {
      const d = defaultValue(p);
      if (d === undefined || d === null) delete data[key];
      else data[key] = d;
      continue;
    }
    if (p.type === 'array' && typeof v === 'string') data[key] = splitList(v);
    else if (p.type === 'boolean' && typeof v === 'string') data[key] = v.trim().toLowerCase();
    else data[key] = v;
  }
  return data;
}

function pushUnique(issues: ConfigIssue[], issue: ConfigIssue): void {
  if (!issues.some((i) => i.key === issue.key && i.message === issue.message)) issues.push(issue);
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

function commonChecks(plugin: ConnectorPlugin, values: Record<string, unknown>, issues: ConfigIssue[]): void {
  const name = values.name;
  if (typeof name === 'string') {
    if (name.trim() === '') pushUnique(issues, { key: 'name', message: 'Connector name must not be empty' });
    else if (CONTROL_CHARS.test(name)) {
      pushUnique(issues, { key: 'name', message: 'Connector name must not contain ISO control characters' });
    }
  }
  // Source records and every connector's dead letters go through the worker's idempotent producer.
  for (const issue of producerGuaranteeIssues(values, 'producer.override.')) pushUnique(issues, issue);
  if (plugin.type === 'sink') {
    const topics = Array.isArray(values.topics) ? values.topics : [];
    const regex = typeof values['topics.regex'] === 'string' ? values['topics.regex'] : '';
    if (topics.length > 0 && regex !== '') {
      const message = 'topics and topics.regex are mutually exclusive options, but both are set.';
      pushUnique(issues, { key: 'topics', message });
      pushUnique(issues, { key: 'topics.regex', message });
    } else if (topics.length === 0 && regex === '') {
      const message = 'Must configure one of topics or topics.regex';
      pushUnique(issues, { key: 'topics', message });
      pushUnique(issues, { key: 'topics.regex', message });
    } else if (regex !== '') {
      try {
        new RegExp(regex);
      } catch (err) {
        pushUnique(issues, {
          key: 'topics.regex',
          message: `Invalid value ${regex} for configuration topics.regex: not a valid regular expression (${(err as Error).message})`,
        });
      }
    }
  } else {
    for (const key of ['topic.creation.default.replication.factor', 'topic.creation.default.partitions']) {
      const v = values[key];
      if (typeof v === 'number' && v !== -1 && v < 1) {
        pushUnique(issues, {
          key,
          message: `Invalid value ${v} for configuration ${key}: must be -1 (broker default) or at least 1`,
        });
      }
    }
  }
}

/** A configuration parsed for a plugin: the schema's values, the plugin's typed settings, every problem found. */
export interface ParsedConfig {
  readonly values: ConfigValues;
  /** What the plugin's settings declaration made of `values` (the values themselves for a bare schema). */
  readonly settings: unknown;
  readonly issues: ConfigIssue[];
}

function run(plugin: ConnectorPlugin, raw: RawConfig, withCommon: boolean): ParsedConfig {
  const compiled = compile(plugin, withCommon);
  const issues: ConfigIssue[] = [];
  const values = prepareValues(compiled.properties, raw);
  if (!compiled.validate) {
    issues.push({
      key: 'connector.class',
      message: `Plugin ${plugin.className} has an invalid configuration schema: ${compiled.error ?? 'unknown error'}`,
    });
    return { values, settings: values, issues };
  }
  const secrets = secretKeys(plugin, raw);
  if (!compiled.validate(values)) {
    for (const e of compiled.validate.errors ?? []) {
      pushUnique(
        issues,
        issueMessage(e, compiled.properties, raw, (k) => secrets.has(k)),
      );
    }
  }
  if (withCommon) commonChecks(plugin, values, issues);
  // The plugin's settings parser and cross-key checks assume values of the right types, so they run only on a config
  // that passed; both run, so a problem either finds is reported together with the other's.
  if (issues.length > 0) return { values, settings: values, issues };
  const failed = (what: string, err: unknown): ConfigIssue => ({
    key: 'connector.class',
    message: `${plugin.className} failed to ${what}: ${err instanceof Error ? err.message : String(err)}`,
  });
  let settings: unknown = values;
  if (declaresSettings(plugin.config)) {
    try {
      settings = plugin.config.parse(values);
    } catch (err) {
      if (err instanceof ConfigError) for (const issue of err.issues) pushUnique(issues, issue);
      else issues.push(failed('parse its settings', err));
    }
  }
  if (plugin.validate) {
    try {
      for (const issue of plugin.validate(values, raw, { schemas: schemaReader })) pushUnique(issues, issue);
    } catch (err) {
      issues.push(failed('validate the configuration', err));
    }
  }
  return { values, settings, issues };
}

/**
 * Parses a connector configuration (placeholders already resolved) with the common keys and the plugin's schema:
 * coerces Connect's strings, applies defaults, then runs the plugin's settings parser and own checks. Every issue
 * names its key.
 */
export function parseConnectorConfig(plugin: ConnectorPlugin, raw: RawConfig): ParsedConfig {
  return run(plugin, raw, true);
}

/** Parses a task configuration: the plugin's schema only, since task configs need not carry `name` or `connector.class`. */
export function parseTaskConfig(plugin: ConnectorPlugin, raw: RawConfig): ParsedConfig {
  return run(plugin, raw, false);
}
