export { ProgressLedger } from './progress-ledger';
export type { Entry } from './progress-ledger';
export { SourceTaskRunner } from './source-task-runner';
export type { SourceRunnerDeps } from './source-task-runner';
export { SinkTaskRunner } from './sink-task-runner';
export type { SinkRunnerDeps } from './sink-runner-deps';
export { TopicCreator } from './topic-creator';
export { TopicGuard, type TopicGuardOptions } from './topic-guard';
