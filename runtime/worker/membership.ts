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
  /** Called when ownership may have changed. */
  onChange(listener: () => void): void;
  /** Whether this worker may write task configs and other cluster-wide decisions. */
  isLeader(): boolean;
}

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
