import client from 'prom-client';
import type { Logger } from '../api';
import { errorTrace } from '../api';
import { currentTaskScope } from './task-scope';

export type EscapeKind = 'exception' | 'rejection';

export interface ProcessGuardOptions {
  readonly logger: Logger;
  /** The worker's Prometheus registry, for `ferry_worker_escaped_errors_total`. */
  readonly registry: client.Registry;
  /** An error no task can be blamed for: the process state is unknown, so main exits. */
  readonly onUnattributed: (err: Error, kind: EscapeKind) => void;
}

function asError(v: unknown): Error {
  return v instanceof Error ? v : new Error(`non-Error value thrown: ${String(v)}`);
}

/**
 * The last line of containment: handlers for errors that escaped every try/catch, callback and 'error' listener.
 * main.ts installs them on the process (it alone touches process events). An error raised by a task's own work —
 * found through its {@link TaskScope} — fails that task and nothing else: one bad connector must not end the worker
 * (and, as its tasks move, every worker of the cluster in turn). Anything else is logged and counted, then left to
 * `onUnattributed`.
 */
export class ProcessGuard {
  private readonly escaped: client.Counter<'kind' | 'attributed'>;

  constructor(private readonly opts: ProcessGuardOptions) {
    this.escaped = new client.Counter({
      name: 'ferry_worker_escaped_errors_total',
      help: 'Errors that escaped all handling (uncaught exceptions, unhandled rejections); attributed ones failed their task',
      labelNames: ['kind', 'attributed'],
      registers: [opts.registry],
    });
  }

  readonly uncaughtException = (err: unknown): void => this.handle(asError(err), 'exception');

  readonly unhandledRejection = (reason: unknown): void => this.handle(asError(reason), 'rejection');

  private handle(err: Error, kind: EscapeKind): void {
    const scope = currentTaskScope();
    this.escaped.inc({ kind, attributed: String(scope !== undefined) });
    if (scope) {
      this.opts.logger.error(
        { connector: scope.connector, task: scope.task, kind, err: errorTrace(err) },
        'an error escaped a task; failing that task',
      );
      try {
        scope.fail(err);
      } catch (failErr) {
        this.opts.logger.error({ err: errorTrace(failErr) }, 'could not fail the task');
      }
      return;
    }
    this.opts.logger.error({ kind, err: errorTrace(err) }, 'an error escaped outside any task; the worker exits');
    this.opts.onUnattributed(err, kind);
  }
}
