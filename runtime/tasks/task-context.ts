import type { TaskContext } from '../api';
import { schemaReader } from '../converters';

/** The part of a task's context every runner gives the same way. */
export function taskContext(
  d: Pick<
    TaskContext,
    'connector' | 'taskId' | 'workerId' | 'logger' | 'metrics' | 'config' | 'rawConfig' | 'settings'
  >,
  signal: AbortSignal,
  fail: (err: Error) => void,
): TaskContext {
  return {
    connector: d.connector,
    taskId: d.taskId,
    workerId: d.workerId,
    logger: d.logger,
    metrics: d.metrics,
    config: d.config,
    rawConfig: d.rawConfig,
    settings: d.settings,
    signal,
    schemas: schemaReader,
    fail,
  };
}
