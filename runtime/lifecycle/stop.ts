import type { Logger } from '../api';

/** One step of an ordered cleanup: a name for the log line and the work. */
export type StopStep = readonly [name: string, run: () => unknown];

/**
 * Runs cleanup steps in order, each in its own try/catch: a step that fails is logged and the next one still runs,
 * so one broken client never keeps the others open. Used by every memoised `stop()`/`close()` in runtime/.
 */
export async function runSteps(logger: Logger, steps: readonly StopStep[]): Promise<void> {
  for (const [name, run] of steps) {
    try {
      await run();
    } catch (err) {
      logger.warn({ err, step: name }, 'cleanup step failed');
    }
  }
}
