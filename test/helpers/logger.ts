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

/** One line a {@link recordingLogger} kept. */
export interface LogLine {
  level: string;
  obj: unknown;
  msg?: string;
}

/** A logger that keeps every line (children write to the same list), to assert what was and was not logged. */
export function recordingLogger(lines: LogLine[] = []): Logger & { readonly lines: LogLine[] } {
  const at =
    (level: string) =>
    (obj: unknown, msg?: string): void => {
      lines.push({ level, obj, ...(msg !== undefined ? { msg } : {}) });
    };
  const logger = {
    lines,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (): Logger => logger,
  };
  return logger;
}
