export { Worker, WORKER_STATES } from './worker';
export type { WorkerPhase } from './worker';
export type { PipelineServices, WorkerOptions } from './services';
export { sinkGroup } from './sink-offsets';
export { CONNECTOR_STATES, TASK_STATES } from './states';
export { StandaloneMembership } from './membership';
export type { Membership, MembershipContext, MembershipFactory } from './membership';
