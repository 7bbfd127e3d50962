import { scrubTrace } from '../config-providers';
import type { State } from '../herder/types';
import { checkTransition, type MachineSpec, type TransitionCounter } from '../lifecycle';
import type { ConnectorRuntime, TaskRuntime } from './connector-runtime';
import type { WorkerServices } from './services';

/**
 * A task this worker holds. UNASSIGNED until started; FAILED waits for a restart (automatic after a retriable
 * failure); RESTARTING is passed through on the way back to RUNNING or PAUSED. Leaving the worker (removed,
 * reassigned) is not a state: the runtime is dropped, or set UNASSIGNED when the worker shuts down.
 */
export const TASK_STATES: MachineSpec<Exclude<State, 'STOPPED'>> = {
  kind: 'task',
  initial: 'UNASSIGNED',
  transitions: {
    // UNASSIGNED again: a start that failed while the worker was stopping leaves the task UNASSIGNED for shutdown.
    UNASSIGNED: ['RUNNING', 'PAUSED', 'FAILED', 'UNASSIGNED'],
    RUNNING: ['PAUSED', 'FAILED', 'RESTARTING', 'UNASSIGNED'],
    PAUSED: ['RUNNING', 'FAILED', 'RESTARTING', 'UNASSIGNED'],
    FAILED: ['RESTARTING', 'UNASSIGNED'],
    RESTARTING: ['RUNNING', 'PAUSED', 'FAILED'],
  },
};

/**
 * A connector this worker holds. Any settled state may be left for any other: the user's target (STARTED, PAUSED,
 * STOPPED), a config change (a new instance: RUNNING → RUNNING), a failure, a restart or losing the assignment.
 * A settled state stated again rewrites its status record (e.g. STOPPED on each reconciliation). RESTARTING is
 * only passed through: it ends in RUNNING, PAUSED or FAILED within the same step.
 */
export const CONNECTOR_STATES: MachineSpec<State> = {
  kind: 'connector',
  initial: 'UNASSIGNED',
  transitions: {
    UNASSIGNED: ['RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING'],
    RUNNING: ['RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING', 'UNASSIGNED'],
    PAUSED: ['RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING', 'UNASSIGNED'],
    STOPPED: ['RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING', 'UNASSIGNED'],
    FAILED: ['RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING', 'UNASSIGNED'],
    RESTARTING: ['RUNNING', 'PAUSED', 'FAILED'],
  },
};

type TaskState = Exclude<State, 'STOPPED'>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The single writer of task and connector states: checks each change against its table (an illegal one throws
 * IllegalTransitionError and changes nothing), logs and counts it, sets the state gauge and writes the status record
 * to the status topic, stamped with this worker and its assignment generation.
 */
export class StateWriter {
  private readonly count: TransitionCounter;

  constructor(private readonly s: WorkerServices) {
    this.count = (labels) => s.opts.metrics.stateTransitions.inc(labels);
  }

  /** Sets the connector's state and writes its status record (a failed write is logged: the next one repairs it). */
  async connector(rt: ConnectorRuntime, state: State, trace: string | null): Promise<void> {
    this.moveConnector(rt, state, trace);
    this.s.opts.metrics.setConnectorState(rt.name, state);
    await this.s.statuses
      .putConnector(rt.name, {
        state,
        trace: rt.trace,
        worker_id: this.s.workerId,
        generation: this.s.membership.generation(),
      })
      .catch((err: unknown) => this.s.logger.warn({ err, connector: rt.name }, 'status write failed'));
  }

  /** Another worker runs the connector now and writes its status: this worker only forgets it ran it. */
  connectorLeft(rt: ConnectorRuntime): void {
    this.moveConnector(rt, 'UNASSIGNED', null);
  }

  /** Sets the task's state and writes its status record. */
  async task(rt: ConnectorRuntime, t: TaskRuntime, state: State, trace: string | null): Promise<void> {
    this.taskNow(rt, t, state, trace);
    await this.writeTask(rt, t);
  }

  /**
   * Sets the task's state (and gauge) at once, without waiting for the status write: a runner that fails does so
   * outside the connector's chain, and what follows on the chain must already see the task FAILED.
   */
  taskNow(rt: ConnectorRuntime, t: TaskRuntime, state: State, trace: string | null): void {
    checkTransition(
      TASK_STATES,
      t.state as TaskState,
      state as TaskState,
      { connector: rt.name, task: t.id },
      this.s.logger,
      this.count,
    );
    const m = t as Mutable<TaskRuntime>;
    m.state = state;
    // A trace may quote a resolved secret (an error message with a password in it): never store or show that.
    m.trace = scrubTrace(trace);
    this.s.opts.metrics.setTaskState(rt.name, t.id, state);
  }

  /** Writes the task's current state to the status topic. */
  async writeTask(rt: ConnectorRuntime, t: TaskRuntime): Promise<void> {
    this.s.opts.metrics.setTaskState(rt.name, t.id, t.state);
    await this.s.statuses
      .putTask(rt.name, t.id, {
        state: t.state,
        trace: t.trace,
        worker_id: this.s.workerId,
        generation: this.s.membership.generation(),
      })
      .catch((err: unknown) => this.s.logger.warn({ err, connector: rt.name, task: t.id }, 'status write failed'));
  }

  private moveConnector(rt: ConnectorRuntime, state: State, trace: string | null): void {
    checkTransition(CONNECTOR_STATES, rt.state, state, { connector: rt.name }, this.s.logger, this.count, 'info');
    const m = rt as Mutable<ConnectorRuntime>;
    m.state = state;
    m.trace = scrubTrace(trace);
  }
}
