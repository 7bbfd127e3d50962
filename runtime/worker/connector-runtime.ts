import type { Connector, ConnectorPlugin, RawConfig } from '../api';
import type { State } from '../herder/types';
import type { SinkTaskRunner, SourceTaskRunner } from '../tasks';

/** A task this worker runs. */
export interface TaskRuntime {
  readonly id: number;
  /** The stored task config (placeholders unresolved): a change means a restart. */
  readonly config: RawConfig;
  readonly configKey: string;
  runner: SourceTaskRunner | SinkTaskRunner | undefined;
  state: State;
  trace: string | null;
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
  state: State;
  trace: string | null;
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

/** A stable text form of a config, to tell whether it changed. */
export function configKey(config: RawConfig): string {
  return JSON.stringify(
    Object.keys(config)
      .sort()
      .map((k) => [k, config[k]]),
  );
}
