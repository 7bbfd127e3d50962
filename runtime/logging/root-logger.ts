import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import { scrubResolved } from '../config-providers';
import { redactSecrets } from './redact';

/**
 * The worker's one root logger: JSON lines with an ISO time and the level as a label, secrets masked by key name
 * at any depth before anything is written. Everything else gets child loggers of this one.
 */
export function createRootLogger(level: string, destination?: DestinationStream): PinoLogger {
  return pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redactSecrets(obj),
      },
      // Belt and braces for the common fixed paths, in case a caller logs a class instance the walker skips.
      redact: {
        paths: ['*.password', '*.secret', '*.token', 'config["mqtt.password"]', 'req.headers.authorization'],
        censor: '[hidden]',
      },
    },
    // Synchronous stdout: the worker logs little (nothing per record above debug) and the last lines before an
    // exit are the ones that explain it.
    scrubbing(destination ?? pino.destination({ dest: 1, sync: true })),
  );
}

/**
 * The finished line loses any value a config provider resolved, wherever it sits (an error's message, a stack,
 * the message itself): key-based redaction cannot know that an exception quoted a placeholder's value.
 */
function scrubbing(dest: DestinationStream): DestinationStream {
  return { write: (line: string) => dest.write(scrubResolved(line)) };
}
