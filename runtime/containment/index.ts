export { runInTaskScope, currentTaskScope, type TaskScope } from './task-scope';
export { ProcessGuard, type ProcessGuardOptions, type EscapeKind } from './process-guard';
