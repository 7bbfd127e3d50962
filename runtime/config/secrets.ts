import { ConfigError, type ConfigIssue, type ConnectorPlugin, type RawConfig } from '../api';

/** What REST shows instead of a secret, as Connect does for PASSWORD values. */
export const HIDDEN = '[hidden]';

/**
 * Key endings that hold credentials in Connect, librdkafka, the registry client and MQTT settings. Deliberately
 * generous: hiding a harmless value costs nothing, showing a password is a leak.
 */
const SECRET_KEY =
  /(password|passwd|secret|token|user\.info|jaas\.config|credentials?|private\.key|api\.?key|access\.key|keystore\.key)$/i;

/** A value that is only a config-provider placeholder (`${env:VAR}`, `${file:/p:k}`): safe to show, it holds no secret. */
export function isPlaceholder(value: string): boolean {
  return /^\$\{[^{}]+\}$/.test(value.trim());
}

/** True when a key name looks like it holds a secret. */
export function looksSecret(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Keys of this config whose values are secrets: the plugin's `x-secret`/PASSWORD keys plus secret-looking names. */
export function secretKeys(plugin: ConnectorPlugin | undefined, raw: Readonly<Record<string, unknown>>): Set<string> {
  const out = new Set<string>();
  if (plugin) {
    for (const [key, p] of Object.entries(plugin.config.properties)) {
      if (p['x-secret'] === true || p['x-connect-type'] === 'PASSWORD') out.add(key);
    }
  }
  for (const key of Object.keys(raw)) if (looksSecret(key)) out.add(key);
  return out;
}

/** A copy with every secret value replaced by `[hidden]`; placeholders and empty values are shown as they are. */
export function maskSecrets(plugin: ConnectorPlugin | undefined, raw: RawConfig): RawConfig {
  const secrets = secretKeys(plugin, raw);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    out[key] = secrets.has(key) && value !== '' && !isPlaceholder(value) ? HIDDEN : value;
  }
  return out;
}

/** Keys that name where a connection goes: a stored secret belongs to the endpoint it was given with. */
const ENDPOINT_KEY = /(^|\.)(urls?|uris?|servers?|hosts?|hostname|endpoints?|address(es)?)$/i;

/** The endpoint keys a secret goes to: those of its namespace (first dotted segment); every one if it has none. */
function endpointKeysOf(secretKey: string, keys: Iterable<string>): string[] {
  const dot = secretKey.indexOf('.');
  const ns = dot < 0 ? '' : secretKey.slice(0, dot + 1);
  return [...keys].filter((k) => ENDPOINT_KEY.test(k) && k.startsWith(ns));
}

/**
 * A client that GETs a config and PUTs it back sends `[hidden]` for each secret: keep the stored value then, but
 * only while the secret's endpoint (`mqtt.server.uri` for `mqtt.password`, `value.converter.schema.registry.url`
 * for `value.converter.basic.auth.user.info`…) is unchanged — otherwise a caller who cannot read the secret could
 * send it to a host of their choosing. A PATCH (`mode` 'patch', `null` deletes) that moves an endpoint must resend
 * the secrets it would otherwise carry along. Refusals are one ConfigError naming every such key.
 */
export function keepHiddenSecrets<T extends string | null>(
  plugin: ConnectorPlugin | undefined,
  stored: RawConfig | undefined,
  incoming: Readonly<Record<string, T>>,
  mode: 'put' | 'patch' = 'put',
): Record<string, T> {
  const secrets = secretKeys(plugin, { ...(stored ?? {}), ...incoming });
  const next: Record<string, string | null> = mode === 'patch' ? { ...(stored ?? {}), ...incoming } : { ...incoming };
  const moved = (key: string): string | undefined =>
    endpointKeysOf(key, new Set([...Object.keys(stored ?? {}), ...Object.keys(next)])).find(
      (e) => (stored?.[e] ?? null) !== (next[e] ?? null),
    );
  const out: Record<string, T> = {};
  const issues: ConfigIssue[] = [];
  const refuseMoved = (key: string, endpoint: string): void => {
    issues.push({
      key,
      message: `the stored secret is kept only while ${endpoint} is unchanged; send the real value of ${key} with the new ${endpoint}`,
    });
  };
  for (const [key, value] of Object.entries(incoming)) {
    if (value === HIDDEN && secrets.has(key)) {
      const prev = stored?.[key];
      if (prev === undefined) {
        issues.push({
          key,
          message: `"${HIDDEN}" stands for a stored secret, but this connector has no stored value for it; send the real value`,
        });
        continue;
      }
      const endpoint = isPlaceholder(prev) ? undefined : moved(key);
      if (endpoint !== undefined) {
        refuseMoved(key, endpoint);
        continue;
      }
      out[key] = prev as T;
    } else {
      out[key] = value;
    }
  }
  if (mode === 'patch' && stored) {
    // Secrets the patch does not mention stay stored and would follow a moved endpoint.
    for (const key of secrets) {
      const prev = stored[key];
      if (key in incoming || prev === undefined || prev === '' || isPlaceholder(prev)) continue;
      const endpoint = moved(key);
      if (endpoint !== undefined) refuseMoved(key, endpoint);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, 'Connector configuration is invalid');
  return out;
}

/**
 * The worker's converter sub-settings a connector may use: when the connector names a registry of its own, the
 * worker's credentials (user info, tokens, passwords) are for the worker's registry and are left out, so they are
 * never sent to a host a REST caller chose.
 */
export function workerSettingsFor(
  worker: Readonly<Record<string, string>>,
  own: Readonly<Record<string, string>>,
): Record<string, string> {
  const url = own['schema.registry.url'];
  if (url === undefined || url.trim() === (worker['schema.registry.url'] ?? '').trim()) return { ...worker };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(worker)) {
    if (!looksSecret(k) && !/^(basic|bearer)\.auth\./.test(k)) out[k] = v;
  }
  return out;
}
