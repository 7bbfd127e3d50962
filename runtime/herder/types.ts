import type { RawConfig } from '../api';

/** Connect's connector and task states. */
export type State = 'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'RESTARTING';
/** What the user asked for. */
export type TargetState = 'STARTED' | 'PAUSED' | 'STOPPED';
export type ConnectorType = 'source' | 'sink' | 'unknown';

export interface TaskId {
  readonly connector: string;
  readonly task: number;
}

/** `GET /connectors/{n}` */
export interface ConnectorInfo {
  readonly name: string;
  readonly config: RawConfig;
  readonly tasks: TaskId[];
  readonly type: ConnectorType;
}

export interface StateInfo {
  readonly state: State;
  readonly worker_id: string;
  /** The connector plugin's version (null when the plugin is not installed here), as in Connect 4.x. */
  readonly version?: string | null;
  readonly trace?: string;
}

export interface TaskStateInfo extends StateInfo {
  readonly id: number;
}

/** `GET /connectors/{n}/status` */
export interface ConnectorStatus {
  readonly name: string;
  readonly connector: StateInfo;
  readonly tasks: TaskStateInfo[];
  readonly type: ConnectorType;
}

/** `GET /connectors/{n}/tasks` element */
export interface TaskInfo {
  readonly id: TaskId;
  readonly config: RawConfig;
}

/** `{"offsets":[{"partition":{…},"offset":{…}}]}`; `offset: null` in a PATCH clears a partition. */
export interface ConnectorOffsets {
  readonly offsets: { partition: Record<string, unknown>; offset: Record<string, unknown> | null }[];
}

export interface RestartRequest {
  readonly includeTasks: boolean;
  readonly onlyFailed: boolean;
}

/** Connect's ConfigInfos, the body of validate. */
export interface ConfigKeyInfo {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  readonly default_value: string | null;
  readonly importance: string;
  readonly documentation: string;
  readonly group: string | null;
  readonly order: number;
  readonly width: string;
  readonly display_name: string;
  readonly dependents: string[];
}
export interface ConfigValueInfo {
  readonly name: string;
  readonly value: string | null;
  readonly recommended_values: string[];
  readonly errors: string[];
  readonly visible: boolean;
}
export interface ConfigInfos {
  readonly name: string;
  readonly error_count: number;
  readonly groups: string[];
  readonly configs: { definition: ConfigKeyInfo; value: ConfigValueInfo }[];
}

export interface PluginInfo {
  readonly class: string;
  readonly type: 'source' | 'sink' | 'transformation' | 'predicate' | 'converter' | 'header_converter';
  readonly version: string;
}

export interface HealthInfo {
  readonly status: 'healthy' | 'starting' | 'unhealthy';
  readonly message: string;
}

export interface ServerInfo {
  readonly version: string;
  readonly commit: string;
  readonly kafka_cluster_id: string;
}

/**
 * What the REST layer asks of the worker. Every method throws FerryError subclasses (runtime/api/errors) for
 * failures: NOT_FOUND → 404, ALREADY_EXISTS → 409, CONFLICT → 409, CONFIG_INVALID/BAD_REQUEST → 400.
 * Configs passed in are raw string maps exactly as the user sent them (after REST-level shape checks); configs
 * returned have secrets already masked as `[hidden]` and placeholders unresolved.
 */
export interface Herder {
  serverInfo(): ServerInfo;
  health(): HealthInfo;
  /** This worker's advertised `host:port`. */
  workerId(): string;

  connectors(): Promise<string[]>;
  connectorInfo(name: string): Promise<ConnectorInfo>;
  connectorConfig(name: string): Promise<RawConfig>;
  connectorStatus(name: string): Promise<ConnectorStatus>;
  taskStatus(name: string, task: number): Promise<TaskStateInfo>;
  taskConfigs(name: string): Promise<TaskInfo[]>;
  connectorTopics(name: string): Promise<string[]>;
  resetConnectorTopics(name: string): Promise<void>;

  /** Creates a connector; ALREADY_EXISTS if the name is taken. */
  createConnector(name: string, config: RawConfig, initialState?: TargetState): Promise<ConnectorInfo>;
  /** Creates or replaces; `created` tells which (201 vs 200). */
  putConnectorConfig(name: string, config: RawConfig): Promise<{ created: boolean; info: ConnectorInfo }>;
  /** Merges: a `null` value removes the key. NOT_FOUND if absent. */
  patchConnectorConfig(name: string, patch: Readonly<Record<string, string | null>>): Promise<ConnectorInfo>;
  deleteConnector(name: string): Promise<void>;

  pauseConnector(name: string): Promise<void>;
  resumeConnector(name: string): Promise<void>;
  stopConnector(name: string): Promise<void>;
  /** Returns the status with RESTARTING states when includeTasks or onlyFailed is set, else undefined (204). */
  restartConnector(name: string, req: RestartRequest): Promise<ConnectorStatus | undefined>;
  restartTask(name: string, task: number): Promise<void>;

  connectorOffsets(name: string): Promise<ConnectorOffsets>;
  /** Only when the connector is STOPPED (BAD_REQUEST otherwise). */
  alterConnectorOffsets(name: string, offsets: ConnectorOffsets): Promise<void>;
  resetConnectorOffsets(name: string): Promise<void>;

  plugins(connectorsOnly: boolean): PluginInfo[];
  /** NOT_FOUND for an unknown plugin. */
  pluginConfig(plugin: string): ConfigKeyInfo[];
  /** ConfigInfos even when error_count > 0; BAD_REQUEST for an unknown class. */
  validateConfig(plugin: string, config: RawConfig): Promise<ConfigInfos>;
}
