export { IllegalTransitionError, StateMachine, allPairs, checkTransition, isAllowed } from './state-machine';
export type { MachineSpec, TransitionCounter } from './state-machine';
export { runSteps } from './stop';
export type { StopStep } from './stop';
