export { Worker, sinkGroup } from './worker';
export type { PipelineServices, WorkerOptions } from './worker';
export { StandaloneMembership } from './membership';
export type { Membership, MembershipContext, MembershipFactory } from './membership';
