import type { Connector, ConnectorPlugin, Logger, RawConfig } from '../api';
import type { State } from '../herder/types';

/** What the worker asks of a task's runner (runtime/tasks): the source and sink runners both fit. */
export interface TaskRunner {
  start(): Promise<void>;
  /** Stops the task, waiting at most about `timeoutMs` for records in flight. */
  stop(timeoutMs: number): Promise<void>;
  /** The task leaves for good: let it drain what its source queued for it (SourceTask.retire). True when drained. */
  retire?(timeoutMs: number): Promise<boolean>;
}

/** A task this worker runs. */
export interface TaskRuntime {
  readonly id: number;
  /** The stored task config (placeholders unresolved): a change means a restart. */
  readonly config: RawConfig;
  readonly configKey: string;
  runner: TaskRunner | undefined;
  /** Cancels the runner's pipeline work (registry calls, retries) once the runner has stopped. */
  abort: AbortController | undefined;
  /** Written only by StateWriter (states.ts), which checks every change against the task's transition table. */
  readonly state: State;
  readonly trace: string | null;
  /** Consecutive automatic restarts after retriable failures, for back-off. */
  restarts: number;
  restartTimer?: NodeJS.Timeout;
}

/** A connector this worker runs: its instance and its tasks. */
export interface ConnectorRuntime {
  readonly name: string;
  plugin: ConnectorPlugin | undefined;
  instance: Connector | undefined;
  /** The stored connector config the instance was started with. */
  configKey: string | undefined;
  /** Written only by StateWriter (states.ts), which checks every change against the connector's transition table. */
  readonly state: State;
  readonly trace: string | null;
  readonly tasks: Map<number, TaskRuntime>;
  /** Serialises every transition of this connector. */
  chain: Promise<void>;
}

export function newConnectorRuntime(name: string): ConnectorRuntime {
  return {
    name,
    plugin: undefined,
    instance: undefined,
    configKey: undefined,
    state: 'UNASSIGNED',
    trace: null,
    tasks: new Map(),
    chain: Promise.resolve(),
  };
}

export function newTaskRuntime(id: number, config: RawConfig): TaskRuntime {
  return {
    id,
    config,
    configKey: configKey(config),
    runner: undefined,
    abort: undefined,
    state: 'UNASSIGNED',
    trace: null,
    restarts: 0,
  };
}

/** A stable text form of a config, to tell whether it changed. */
export function configKey(config: RawConfig): string {
  return JSON.stringify(
    Object.keys(config)
      .sort()
      .map((k) => [k, config[k]]),
  );
}

/**
 * The connectors this worker holds a runtime for, each with its own chain: transitions of one connector run one
 * at a time, in the order asked; connectors never wait for each other.
 */
export class ConnectorRuntimes {
  private readonly byName = new Map<string, ConnectorRuntime>();

  constructor(private readonly logger: Logger) {}

  get(name: string): ConnectorRuntime | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  delete(name: string): void {
    this.byName.delete(name);
  }

  names(): IterableIterator<string> {
    return this.byName.keys();
  }

  all(): ConnectorRuntime[] {
    return [...this.byName.values()];
  }

  /** Runs `step` after every step queued before it for this connector (creating its runtime if needed). */
  enqueue(name: string, step: () => Promise<void>): Promise<void> {
    let rt = this.byName.get(name);
    if (!rt) {
      rt = newConnectorRuntime(name);
      this.byName.set(name, rt);
    }
    const next = rt.chain.then(step, step);
    rt.chain = next.catch((err: unknown) => this.logger.error({ err, connector: name }, 'connector transition failed'));
    return next;
  }
}
