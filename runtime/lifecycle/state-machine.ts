import type { Logger } from '../api';
import { FerryError } from '../api';

/**
 * One kind of state machine: its states, where each starts, and the transitions it allows. A table, not code, so a
 * reader (and a test) can see every way a state can change; docs/architecture.md draws the same tables.
 */
export interface MachineSpec<S extends string> {
  /** The label of logs and of the transition counter, e.g. `task`. */
  readonly kind: string;
  readonly initial: S;
  /** For each state, the states it may move to. A state listed as its own target may be stated again. */
  readonly transitions: { readonly [K in S]: readonly S[] };
}

/** A transition the machine's table does not allow: a bug in the caller, never a user error. */
export class IllegalTransitionError extends FerryError {
  constructor(
    readonly kind: string,
    readonly from: string,
    readonly to: string,
    readonly subject: Readonly<Record<string, unknown>>,
  ) {
    super('INTERNAL', `illegal ${kind} transition ${from} → ${to} (${JSON.stringify(subject)})`, {
      retriable: false,
    });
  }
}

/** Counts transitions (`ferry_state_transitions_total{kind,from,to}` in the worker). */
export type TransitionCounter = (labels: { kind: string; from: string; to: string }) => void;

export function isAllowed<S extends string>(spec: MachineSpec<S>, from: S, to: S): boolean {
  return spec.transitions[from].includes(to);
}

/** Every pair of states and whether the table allows it: what a transition-table test walks. */
export function allPairs<S extends string>(spec: MachineSpec<S>): { from: S; to: S; allowed: boolean }[] {
  const states = Object.keys(spec.transitions) as S[];
  return states.flatMap((from) => states.map((to) => ({ from, to, allowed: isAllowed(spec, from, to) })));
}

/**
 * Checks, logs and counts one transition; throws IllegalTransitionError (and changes nothing) when the table does
 * not allow it. `subject` names what moves (connector, task) in the log line and the error. Stating the current state
 * again (where allowed) is logged at debug and not counted: it is a re-statement, e.g. a trace that changed.
 */
export function checkTransition<S extends string>(
  spec: MachineSpec<S>,
  from: S,
  to: S,
  subject: Readonly<Record<string, unknown>>,
  logger: Logger,
  count: TransitionCounter | undefined,
  level: 'debug' | 'info' = 'debug',
): void {
  if (!isAllowed(spec, from, to)) throw new IllegalTransitionError(spec.kind, from, to, subject);
  if (from === to) {
    logger.debug({ ...subject, state: to }, `${spec.kind} state restated`);
    return;
  }
  logger[level]({ ...subject, from, to }, `${spec.kind} state changed`);
  count?.({ kind: spec.kind, from, to });
}

/**
 * A single-subject machine (the worker's own lifecycle): holds the state and is its only setter.
 */
export class StateMachine<S extends string> {
  private current: S;

  constructor(
    private readonly spec: MachineSpec<S>,
    private readonly logger: Logger,
    private readonly subject: Readonly<Record<string, unknown>> = {},
    private readonly count?: TransitionCounter,
  ) {
    this.current = spec.initial;
  }

  get state(): S {
    return this.current;
  }

  is(...states: S[]): boolean {
    return states.includes(this.current);
  }

  /** Moves to `to`, or throws IllegalTransitionError without changing anything. */
  to(to: S): void {
    checkTransition(this.spec, this.current, to, this.subject, this.logger, this.count, 'info');
    this.current = to;
  }
}
