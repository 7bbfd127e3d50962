import { ConfigError, type ConfigIssue } from './errors';
import type { ValidationContext } from './schema-reader';

/** Connect's config types, as reported by `GET /connector-plugins/{p}/config` and validate. */
export type ConfigType = 'BOOLEAN' | 'STRING' | 'INT' | 'SHORT' | 'LONG' | 'DOUBLE' | 'LIST' | 'CLASS' | 'PASSWORD';
export type Importance = 'HIGH' | 'MEDIUM' | 'LOW';

/**
 * One configuration key: a JSON Schema fragment (checked by ajv after coercion from Connect's strings) plus the
 * `x-…` annotations Connect's tooling shows.
 *
 * Coercion from strings: `integer`/`number`/`boolean` parse the string; `array` of strings splits a
 * comma-separated list (Connect's LIST). Secrets (`x-secret` or `x-connect-type: PASSWORD`) are shown as
 * `[hidden]` by REST and never logged.
 */
export interface ConfigProperty {
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'array';
  readonly description: string;
  readonly default?: string | number | boolean | readonly string[] | null;
  readonly enum?: readonly (string | number)[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly pattern?: string;
  readonly items?: { readonly type: 'string'; readonly pattern?: string; readonly enum?: readonly string[] };
  readonly minItems?: number;
  /** Connect type to report; derived from `type` when absent (integer→INT, number→DOUBLE, array→LIST…). */
  readonly 'x-connect-type'?: ConfigType;
  readonly 'x-importance'?: Importance;
  readonly 'x-group'?: string;
  readonly 'x-display-name'?: string;
  /** A password, token or key: hidden in REST responses and logs. */
  readonly 'x-secret'?: boolean;
}

/** A plugin's configuration: a JSON Schema object. Keys not listed are allowed and passed through. */
export interface ConfigSchema {
  readonly type: 'object';
  readonly properties: Readonly<Record<string, ConfigProperty>>;
  readonly required?: readonly string[];
}

/** Configuration values after coercion and defaults, keyed by config key. */
export type ConfigValues = Readonly<Record<string, unknown>>;

/** Raw configuration as Connect stores and sends it: every value a string. */
export type RawConfig = Readonly<Record<string, string>>;

/** Cross-key checks a plugin runs on values that passed the schema; returns every problem, naming the key. */
export type ConfigValidator = (values: ConfigValues, raw: RawConfig, ctx: ValidationContext) => ConfigIssue[];

/** Text of a config value: strings as they are, numbers and booleans printed, anything else as JSON. */
export function configText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}

/** Typed reads of parsed values, for plugin code. */
export function configString(values: ConfigValues, key: string): string | undefined {
  const v = values[key];
  return v === undefined || v === null ? undefined : configText(v);
}
export function configNumber(values: ConfigValues, key: string): number | undefined {
  const v = values[key];
  return typeof v === 'number' ? v : v === undefined || v === null || v === '' ? undefined : Number(configText(v));
}
export function configBoolean(values: ConfigValues, key: string): boolean | undefined {
  const v = values[key];
  return typeof v === 'boolean'
    ? v
    : v === undefined || v === null
      ? undefined
      : configText(v).toLowerCase() === 'true';
}
export function configList(values: ConfigValues, key: string): string[] {
  const v = values[key];
  if (Array.isArray(v)) return v.map(configText);
  if (v === undefined || v === null || v === '') return [];
  return configText(v)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Reads of one plugin's settings that fall back to the defaults its schema declares. */
export interface SettingsReader {
  string(key: string): string | undefined;
  number(key: string): number | undefined;
  boolean(key: string): boolean | undefined;
  list(key: string): string[];
  /** The value, else the schema's default; a key with neither throws a {@link ConfigError} naming it as required. */
  requireString(key: string): string;
  requireNumber(key: string): number;
  requireBoolean(key: string): boolean;
}

/**
 * Typed reads of `values` where a missing key takes the `default` of its property in `schema`, so a plugin states
 * each default once, in its schema, and its settings parser reads the same values whether it gets the runtime's
 * parsed config (defaults applied) or a stored task config (strings only). Meant for parsing settings once, at
 * start or validation, never per record.
 */
export function settingsReader(schema: ConfigSchema, values: ConfigValues): SettingsReader {
  const fallback = (key: string): ConfigValues => {
    const d = schema.properties[key]?.default;
    return d === undefined || d === null ? {} : { [key]: d };
  };
  const given = (key: string): boolean => values[key] !== undefined && values[key] !== null;
  const required = <T>(key: string, v: T | undefined): T => {
    if (v === undefined) throw new ConfigError([{ key, message: 'is required' }]);
    return v;
  };
  const read: SettingsReader = {
    string: (key) => configString(given(key) ? values : fallback(key), key),
    number: (key) => {
      // An empty or unreadable number falls back too: a stored config may hold "" for a key left blank.
      const v = configNumber(values, key);
      return v !== undefined && Number.isFinite(v) ? v : configNumber(fallback(key), key);
    },
    boolean: (key) => configBoolean(given(key) ? values : fallback(key), key),
    list: (key) => configList(given(key) ? values : fallback(key), key),
    requireString: (key) => required(key, read.string(key)),
    requireNumber: (key) => required(key, read.number(key)),
    requireBoolean: (key) => required(key, read.boolean(key)),
  };
  return read;
}
