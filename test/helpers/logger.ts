import type { Logger } from '../../runtime/api';

/** A logger that prints nothing. */
export const silentLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/** A logger that keeps warnings and errors in `lines` for assertions and prints nothing. */
export function quietLogger(lines: string[] = []): Logger {
  const logger: Logger = {
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (obj, msg) => void lines.push(`WARN ${msg ?? ''} ${JSON.stringify(obj)}`),
    error: (obj, msg) => void lines.push(`ERROR ${msg ?? ''} ${JSON.stringify(obj)}`),
    child: () => logger,
  };
  return logger;
}
