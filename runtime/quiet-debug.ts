/**
 * Loggers of the `debug` package that cost nothing while disabled.
 *
 * The MQTT codec (mqtt-packet, under mqtt.js and the MQTT source's session) calls `debug` about ten times per
 * packet. A disabled `debug` logger still gathers each call's arguments into a new array before it looks whether it
 * is enabled: in a busy sink that was 11 % of everything the worker allocated, about 1.5 KB per record.
 *
 * Unless DEBUG is set when the process starts, every logger created after {@link quietDebugLoggers} is a no-op (a
 * later `debug.enable()` does not turn those on: set DEBUG to see them). Must run before the libraries that create
 * their loggers when they load (mqtt-packet, mqtt.js, express): runtime/main.ts imports this module first.
 */
import Module from 'node:module';

type Logger = ((...args: unknown[]) => void) & { enabled: boolean; namespace: string };
type CreateDebug = ((namespace: string) => Logger) & Record<string, unknown>;

export function quietDebugLoggers(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['DEBUG']) return false;
  const load = Module.createRequire(__filename);
  let file: string;
  try {
    file = load.resolve('debug');
  } catch {
    return false; // not installed: nothing to quiet
  }
  const real = load('debug') as CreateDebug;
  if (real['ferryQuiet']) return true;
  const cached = load.cache[file];
  if (!cached) return false;
  const quiet = ((namespace: string): Logger => {
    const logger = real(namespace);
    if (logger.enabled) return logger;
    const noop = (() => undefined) as unknown as Logger;
    return Object.assign(noop, logger, { enabled: false, namespace });
  }) as CreateDebug;
  Object.assign(quiet, real, { ferryQuiet: true });
  cached.exports = quiet;
  return true;
}

quietDebugLoggers();
