import { settingsReader, type ConfigSchema, type ConfigValues, type SettingsReader } from './config';

/**
 * A plugin's settings, declared once: the keys with their defaults (a {@link ConfigSchema}, so it serves as the
 * plugin's `config` as it is) and the parser that turns a configuration into the typed object the runtime hands to
 * the plugin's connector and tasks (`ctx.settings`). The runtime runs the parser when it validates a configuration
 * (its {@link ConfigError} issues are reported like the schema's) and once when a connector or task starts.
 */
export interface SettingsDeclaration<S> extends ConfigSchema {
  /**
   * Reads a configuration into the plugin's settings. `values` have passed the schema; a key missing from them takes
   * the default declared in the schema. Throws a {@link ConfigError} naming every bad key. Runs at validation and at
   * start, never per record.
   */
  parse(values: ConfigValues): S;
}

/** The settings type a declaration parses to. */
export type SettingsOf<D> = D extends SettingsDeclaration<infer S> ? S : never;

/**
 * Declares a plugin's settings: `parse` gets a reader whose reads fall back to the schema's defaults, so no default
 * is stated twice, and the settings type is inferred from what it returns.
 *
 * ```ts
 * export const echoSettings = defineSettings(
 *   { type: 'object', properties: { 'echo.times': { type: 'integer', minimum: 1, default: 1, description: '…' } } },
 *   (read) => ({ times: read.requireNumber('echo.times') }),
 * );
 * ```
 */
export function defineSettings<S>(
  schema: ConfigSchema,
  parse: (read: SettingsReader, values: ConfigValues) => S,
): SettingsDeclaration<S> {
  return { ...schema, parse: (values) => parse(settingsReader(schema, values), values) };
}

/** Whether a plugin's `config` declares a settings parser (plugins may still give a bare schema). */
export function declaresSettings(config: ConfigSchema): config is SettingsDeclaration<unknown> {
  return typeof (config as Partial<SettingsDeclaration<unknown>>).parse === 'function';
}
