import type { Logger } from '../api';

/**
 * Which connectors and tasks this worker runs. A worker alone runs everything; in a cluster the assignment comes
 * from Kafka's group coordinator. The worker asks only these questions, so both fit behind one interface.
 */
export interface Membership {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Generation of the current assignment: status writes carry it so a deposed worker's writes lose. */
  generation(): number;
  ownsConnector(name: string): boolean;
  ownsTask(name: string, task: number): boolean;
  /**
   * Called when ownership may have changed. The listener's promise resolves once the worker has acted on it (moved
   * tasks stopped): a cluster acknowledges giving a unit up only then, so its successor never overlaps with it.
   */
  onChange(listener: () => void | Promise<void>): void;
  /** Whether this worker leads the cluster (diagnostics; per-connector decisions belong to the connector's owner). */
  isLeader(): boolean;
  /** The connectors or their task counts changed: a leader re-plans now rather than at its next poll. */
  unitsChanged?(): void;
}

/** What a cluster membership needs from the worker that runs it. */
export interface MembershipContext {
  /** The worker's advertised REST `host:port`. */
  readonly workerId: string;
  /** Every connector and how many task configs it has, as the config topic says now. */
  readonly connectors: () => { name: string; tasks: number }[];
  readonly logger: Logger;
}

/** Builds the worker's membership; called by the Worker's constructor, so it must do no I/O. */
export type MembershipFactory = (ctx: MembershipContext) => Membership;

/** A worker alone: it owns every connector and task. */
export class StandaloneMembership implements Membership {
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  generation(): number {
    return 1;
  }
  ownsConnector(): boolean {
    return true;
  }
  ownsTask(): boolean {
    return true;
  }
  onChange(): void {
    /* ownership never changes */
  }
  isLeader(): boolean {
    return true;
  }
}
