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

/**
 * A client that GETs a config and PUTs it back sends `[hidden]` for each secret: keep the stored value then. A
 * `[hidden]` secret with nothing stored cannot be honoured and is reported (ConfigError naming every such key).
 * Works for PATCH bodies too (`null` values pass through).
 */
export function keepHiddenSecrets<T extends string | null>(
  plugin: ConnectorPlugin | undefined,
  stored: RawConfig | undefined,
  incoming: Readonly<Record<string, T>>,
): Record<string, T> {
  const secrets = secretKeys(plugin, { ...(stored ?? {}), ...incoming });
  const out: Record<string, T> = {};
  const issues: ConfigIssue[] = [];
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
      out[key] = prev as T;
    } else {
      out[key] = value;
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, 'Connector configuration is invalid');
  return out;
}
