export { assign, parseUnitKey, unitKey, unitsOf } from './assign';
export type { Unit } from './assign';
export { ClusterState } from './cluster-state';
export type { AcceptedAssignment, LeaderRecord, StateRecord } from './cluster-state';
export { plan } from './plan';
export type { Plan, PlanInput, Releasing } from './plan';
export { KafkaGroupMembership } from './kafka-group-membership';
export type { KafkaGroupMembershipOptions, MembershipStatus } from './kafka-group-membership';
