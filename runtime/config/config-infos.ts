import {
  ConfigError,
  FerryError,
  type ConfigIssue,
  type ConfigProperty,
  type ConnectorPlugin,
  type RawConfig,
} from '../api';
import type { ConfigInfos, ConfigKeyInfo, ConfigValueInfo } from '../herder/types';
import type { PluginRegistry } from '../plugins';
import { COMMON_GROUP, COMMON_WIDTHS, commonProperties, parseConnectorConfig } from './connector-config';
import { exactlyOnceIssues } from './exactly-once';
import { DEFAULT_LIMITS, connectorNameIssues, kafkaIdIssues, tasksMaxIssues, type ConnectorLimits } from './limits';
import { connectTypeOf } from './messages';
import { scrubResolved } from '../config-providers';
import { HIDDEN, isPlaceholder, secretKeys } from './secrets';
import type { PipelineHooks, Resolution } from './types';
import { noPipelineHooks } from './types';

interface Definition {
  readonly key: string;
  readonly group: string | null;
  readonly property: ConfigProperty;
  readonly required: boolean;
}

function defaultString(p: ConfigProperty): string | null {
  const d = p.default;
  if (d === undefined || d === null) return null;
  if (connectTypeOf(p) === 'PASSWORD') return HIDDEN;
  if (Array.isArray(d)) return d.join(',');
  return String(d);
}

/** Common keys, pipeline keys, topic creation, then the plugin's own: Connect's order in validate responses. */
function definitions(
  plugin: ConnectorPlugin,
  hooks: PipelineHooks,
  raw: RawConfig,
  scope: 'plugin' | 'all',
): Definition[] {
  const out: Definition[] = [];
  const seen = new Set<string>();
  const required = new Set(plugin.config.required ?? []);
  const add = (key: string, group: string | null, property: ConfigProperty, req: boolean): void => {
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ key, group, property, required: req });
  };
  if (scope === 'all') {
    const common = Object.entries(commonProperties(plugin.type));
    for (const [key, p] of common) {
      if (p['x-group'] === COMMON_GROUP) add(key, COMMON_GROUP, p, key === 'name' || key === 'connector.class');
    }
    for (const k of hooks.pipelineConfigKeys(raw)) add(k.key, k.property['x-group'] ?? k.group, k.property, false);
    for (const [key, p] of common) if (p['x-group'] !== COMMON_GROUP) add(key, p['x-group'] ?? null, p, false);
  }
  for (const [key, p] of Object.entries(plugin.config.properties)) {
    add(key, p['x-group'] ?? null, p, required.has(key) && p.default === undefined);
  }
  return out;
}

function keyInfos(defs: readonly Definition[]): ConfigKeyInfo[] {
  const orderInGroup = new Map<string, number>();
  return defs.map((d) => {
    let order = -1;
    if (d.group !== null) {
      order = (orderInGroup.get(d.group) ?? 0) + 1;
      orderInGroup.set(d.group, order);
    }
    return {
      name: d.key,
      type: connectTypeOf(d.property),
      required: d.required,
      default_value: defaultString(d.property),
      importance: d.property['x-importance'] ?? 'MEDIUM',
      documentation: d.property.description,
      group: d.group,
      order,
      width: COMMON_WIDTHS[d.key] ?? 'NONE',
      display_name: d.property['x-display-name'] ?? d.key,
      dependents: [],
    };
  });
}

/**
 * `GET /connector-plugins/{p}/config`. Connect lists only the plugin's own keys there (scope `plugin`, the
 * default); scope `all` adds the common and pipeline keys, as validate shows them.
 */
export function configKeyInfos(
  plugin: ConnectorPlugin,
  hooks: PipelineHooks = noPipelineHooks,
  scope: 'plugin' | 'all' = 'plugin',
): ConfigKeyInfo[] {
  return keyInfos(definitions(plugin, hooks, { 'connector.class': plugin.className }, scope));
}

/** Finds the plugin a config names; BAD_REQUEST (400) when the class is missing or unknown. */
export function pluginFor(registry: PluginRegistry, raw: RawConfig): ConnectorPlugin {
  const cls = raw['connector.class']?.trim();
  if (!cls)
    throw new FerryError('BAD_REQUEST', 'Connector config contains no connector type: connector.class is missing');
  const plugin = registry.find(cls);
  if (!plugin) {
    const known = registry.connectorPlugins().map((p) => p.className);
    throw new FerryError(
      'BAD_REQUEST',
      `Failed to find any class that implements Connector and which name matches ${cls}, available connectors are: ${known.join(', ')}`,
    );
  }
  return plugin;
}

/**
 * Resolves a config's placeholders for validation: what cannot be resolved becomes issues on its keys, and the
 * config is checked with those placeholders left as written.
 */
export async function resolveForValidation(
  resolve: ((raw: RawConfig) => Promise<RawConfig>) | undefined,
  raw: RawConfig,
): Promise<Resolution> {
  if (!resolve) return { resolved: raw, issues: [] };
  try {
    return { resolved: await resolve(raw), issues: [] };
  } catch (err) {
    if (err instanceof ConfigError) return { resolved: raw, issues: err.issues };
    return { resolved: raw, issues: [{ key: 'connector.class', message: 'config providers failed' }] };
  }
}

/**
 * What the operator's limits allow (docs/security.md): the name's length and characters, `tasks.max`, and the ids
 * the runtime derives from the name. Checked only here, on the way in: a connector stored before a limit was
 * lowered keeps running.
 */
function limitIssues(plugin: ConnectorPlugin, raw: RawConfig, limits: ConnectorLimits): ConfigIssue[] {
  const name = raw.name ?? '';
  const issues = [...connectorNameIssues(name), ...tasksMaxIssues(raw, limits)];
  // The sink's consumer group is `connect-<name>` (the worker's sinkGroup).
  if (plugin.type === 'sink') issues.push(...kafkaIdIssues('name', 'consumer group id', `connect-${name}`));
  return issues;
}

/**
 * Connect's validate body for a config: every defined key (common, pipeline, plugin) with its value and errors.
 * Placeholders are checked resolved (`resolution`, from resolveForValidation) but shown as written; secrets are
 * shown as `[hidden]`; no message carries a resolved value. Issues on keys no definition covers still get an
 * entry, so `error_count` always equals the errors listed.
 */
export function validateConnectorConfig(
  registry: PluginRegistry,
  raw: RawConfig,
  hooks: PipelineHooks = noPipelineHooks,
  resolution: Resolution = { resolved: raw, issues: [] },
): ConfigInfos {
  const plugin = pluginFor(registry, raw);
  const issues: ConfigIssue[] = [...resolution.issues];
  const resolved = resolution.resolved;
  const checks: ConfigIssue[] = [...parseConnectorConfig(plugin, resolved).issues];
  checks.push(...limitIssues(plugin, resolved, hooks.limits ?? DEFAULT_LIMITS));
  if (plugin.type === 'source') checks.push(...exactlyOnceIssues(resolved, hooks.exactlyOnceSourceSupport === true));
  try {
    checks.push(...hooks.validatePipelineConfig(resolved, hooks.converterDefaults ?? {}));
  } catch (err) {
    checks.push({ key: 'transforms', message: `Pipeline validation failed: ${(err as Error).message}` });
  }
  // A key whose placeholder could not be resolved was checked as written: only the resolution problem is news.
  const unresolved = new Set(resolution.issues.map((i) => i.key));
  issues.push(...checks.filter((i) => !unresolved.has(i.key)));

  const defs = definitions(plugin, hooks, resolved, 'all');
  const defined = new Set(defs.map((d) => d.key));
  for (const i of issues) {
    if (!defined.has(i.key)) {
      defined.add(i.key);
      defs.push({ key: i.key, group: null, property: { type: 'string', description: '' }, required: false });
    }
  }
  const secrets = secretKeys(plugin, raw);
  for (const d of defs) if (connectTypeOf(d.property) === 'PASSWORD') secrets.add(d.key);

  const infos = keyInfos(defs);
  const configs = infos.map((definition) => {
    const key = definition.name;
    const given = raw[key];
    let value: string | null;
    if (given === undefined) value = definition.default_value;
    else if (secrets.has(key) && given !== '' && !isPlaceholder(given)) value = HIDDEN;
    else value = given;
    const prop = defs.find((d) => d.key === key)?.property;
    const info: ConfigValueInfo = {
      name: key,
      value,
      recommended_values: (prop?.enum ?? prop?.items?.enum ?? []).map(String),
      // A checker may quote the value it refused, and that value may have come from a placeholder.
      errors: issues.filter((i) => i.key === key).map((i) => scrubResolved(i.message)),
      visible: true,
    };
    return { definition, value: info };
  });
  const groups: string[] = [];
  for (const d of defs) if (d.group !== null && !groups.includes(d.group)) groups.push(d.group);
  return {
    name: plugin.className,
    error_count: configs.reduce((n, c) => n + c.value.errors.length, 0),
    groups,
    configs,
  };
}

/** Every error of a validate body, by key. */
export function configInfosIssues(infos: ConfigInfos): ConfigIssue[] {
  return infos.configs.flatMap((c) => c.value.errors.map((message) => ({ key: c.value.name, message })));
}

/**
 * The error create/update answer when validation found problems (400), worded like Connect's: "Connector
 * configuration is invalid and contains the following N error(s): …" with every key named.
 */
export function invalidConfigError(infos: ConfigInfos): ConfigError {
  const issues = configInfosIssues(infos);
  return new ConfigError(
    issues,
    `Connector configuration is invalid and contains the following ${issues.length} error(s)`,
  );
}
