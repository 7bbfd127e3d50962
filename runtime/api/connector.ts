import type { ConfigSchema, ConfigValidator, ConfigValues, RawConfig } from './config';
import type { SettingsDeclaration } from './settings';
import type { OffsetMap, SinkRecord, SourceRecord } from './record';
import type { SchemaReader } from './schema-reader';

/** A pino-compatible logger. Child loggers carry `{ connector, task }`. */
export interface Logger {
  trace(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Counters and gauges a task keeps; exposed by the worker's `/metrics`. */
export interface TaskMetrics {
  /** Adds `n` (default 1) to a counter, e.g. `received`, `acknowledged`. */
  count(name: string, n?: number): void;
  /** Sets a gauge, e.g. `in_flight`. */
  gauge(name: string, value: number): void;
}

/**
 * What the runtime gives a connector instance. `S` is the plugin's settings type (see {@link defineSettings}); a
 * plugin whose `config` is a bare schema gets the parsed values there.
 */
export interface ConnectorContext<S = unknown> {
  readonly name: string;
  /** The connector's configuration parsed once by its plugin's settings declaration. */
  readonly settings: S;
  readonly logger: Logger;
  /** Ask the runtime to call `taskConfigs` again and restart tasks whose configs changed. */
  requestTaskReconfiguration(): void;
  /** The connector cannot go on: the runtime marks it FAILED with this error. */
  raiseError(err: Error): void;
}

/** A connector instance: splits work into task configs. Constructors do no I/O. */
export interface Connector<S = unknown> {
  start(config: ConfigValues, raw: RawConfig, ctx: ConnectorContext<S>): Promise<void>;
  /** Up to `maxTasks` task configurations; each becomes one task. */
  taskConfigs(maxTasks: number): RawConfig[];
  stop(): Promise<void>;
}

/** What the runtime gives every task; `S` is its plugin's settings type (see {@link ConnectorContext}). */
export interface TaskContext<S = unknown> {
  readonly connector: string;
  readonly taskId: number;
  /** The worker's advertised id (`host:port`), for ids that must be unique across the cluster. */
  readonly workerId: string;
  readonly logger: Logger;
  readonly metrics: TaskMetrics;
  /** The task's configuration parsed with its plugin's schema (defaults applied, placeholders resolved). */
  readonly config: ConfigValues;
  /** The task's configuration as stored: strings, placeholders resolved. */
  readonly rawConfig: RawConfig;
  /** The task's configuration parsed once, at its start, by its plugin's settings declaration. */
  readonly settings: S;
  /** Aborted when the task is being stopped. */
  readonly signal: AbortSignal;
  /** Reads user schemas (e.g. Avro) into Connect schemas. */
  readonly schemas: SchemaReader;
  /** The task cannot go on (e.g. an unrecoverable protocol error): the runtime fails it with this error. */
  fail(err: Error): void;
}

/** Completion of one source record: no error once Kafka (or the dead-letter queue) durably has it. */
export type RecordCallback = (err?: Error) => void;

/** What the runtime gives a source task. */
export interface SourceTaskContext<S = unknown> extends TaskContext<S> {
  /**
   * Hands one record to the runtime: transforms, converters, producer. `done` is called exactly once: without an
   * error when the record, or its dead-letter copy, is durable in Kafka, or when a transform filtered it out;
   * with an error when it was not delivered — the task must then NOT acknowledge its source (the runtime fails
   * the task, or retries per the connector's error policy). Callbacks may arrive out of order across Kafka
   * partitions; a task that must acknowledge in order keeps its own ledger.
   */
  send(record: SourceRecord, done: RecordCallback): void;
  /** The last offset stored for a source partition, or null. */
  offset(partition: OffsetMap): Promise<OffsetMap | null>;
  /**
   * Stores an offset for a partition no record carries (the task's own bookkeeping, e.g. what its MQTT session is
   * subscribed to); resolves once Kafka has it. Deleting the connector clears it with the other offsets.
   */
  storeOffset?(partition: OffsetMap, offset: OffsetMap): Promise<void>;
  /**
   * Every offset stored for this connector, read up to the end of the offsets topic first, so that it includes
   * what a previous run of the task committed (e.g. per-device marks that are not known in advance).
   */
  offsets?(): Promise<readonly { readonly partition: OffsetMap; readonly offset: OffsetMap }[]>;
}

/**
 * A source task. The runtime calls `start` only once its Kafka side is ready to take records, so a task may
 * connect to its source inside `start` and push records at once. A task either pushes records through
 * `ctx.send` or implements `poll`.
 */
export interface SourceTask<S = unknown> {
  start(ctx: SourceTaskContext<S>): Promise<void>;
  /** Pull model: the next batch (may be empty); the runtime loops until stop. */
  poll?(signal: AbortSignal): Promise<SourceRecord[]>;
  /**
   * The task goes away for good (its connector's `tasks.max` shrank); called before `stop()`, with the task still
   * running. Hand back this task's share of the source and send what the source already queued for it (e.g. a
   * persistent MQTT session's queue), each acknowledged as usual once its record is done. Resolve true when nothing is
   * left behind, false when `signal` aborted first (the runtime then does not release the task's external state).
   */
  retire?(signal: AbortSignal): Promise<boolean>;
  /**
   * Graceful stop, first step: take no new data, but keep acknowledging to the source every record whose callback
   * fires from now on. The runtime then waits (at most `task.shutdown.graceful.timeout.ms`) for the records in
   * flight, writes their offsets, and only then calls {@link stop}. Without it a task is stopped at once, and the
   * source redelivers whatever was in flight.
   */
  stopAdmitting?(): void;
  /** Stop for good; what was sent but not completed is not acknowledged to the source. */
  stop(): Promise<void>;
}

/** What the runtime gives a sink task. */
export interface SinkTaskContext<S = unknown> extends TaskContext<S> {
  /** The external system has the record: its offset may be committed once all earlier ones are done too. */
  ack(record: SinkRecord): void;
  /** The record cannot be delivered (rendering failed…): the runtime applies the error policy (DLQ or fail). */
  reject(record: SinkRecord, err: Error): void;
  /** Stop fetching from Kafka (e.g. the destination is down); records in flight stay in flight. */
  pause(): void;
  resume(): void;
}

/** A sink task. */
export interface SinkTask<S = unknown> {
  start(ctx: SinkTaskContext<S>): Promise<void>;
  /**
   * Takes records (in Kafka order per partition). Resolves when the task can take more: a task with a bounded
   * window resolves late, which is the back-pressure. Each record is completed later with `ctx.ack` or `ctx.reject`.
   */
  put(records: readonly SinkRecord[]): Promise<void>;
  /** Resolves once every record handed over so far was acked or rejected (before a commit or stop). */
  flush(signal: AbortSignal): Promise<void>;
  /**
   * Releases the task's connections. The runtime waits for it only until its stop budget
   * (`task.shutdown.graceful.timeout.ms`, plus a little) runs out; then `signal` is aborted: end at once, without
   * waiting for the other side (e.g. a broker that stopped answering).
   */
  stop(signal?: AbortSignal): Promise<void>;
}

interface PluginBase<S> {
  /** The class name users give in `connector.class`, e.g. `MqttSourceConnector`. */
  readonly className: string;
  /** Other accepted names, e.g. a package-qualified `io.ferry.connect.mqtt.MqttSourceConnector`. */
  readonly aliases?: readonly string[];
  readonly version: string;
  readonly description?: string;
  /**
   * The plugin's keys; declared with {@link defineSettings}, also the parser of the settings its connector and
   * tasks receive (`ctx.settings`) and whose problems validation reports.
   */
  readonly config: ConfigSchema | SettingsDeclaration<S>;
  /** Cross-key checks beyond the schema and the settings parser (e.g. ones that need `tasks.max`). */
  readonly validate?: ConfigValidator;
  createConnector(): Connector<S>;
  /**
   * Called when tasks go away for good (the connector is deleted, or `tasks.max` shrank): release what they held
   * outside Kafka (e.g. persistent MQTT sessions). Errors are logged, not fatal.
   */
  releaseTasks?(taskConfigs: readonly RawConfig[], logger: Logger): Promise<void>;
}

export interface SourceConnectorPlugin<S = unknown> extends PluginBase<S> {
  readonly type: 'source';
  createTask(): SourceTask<S>;
}

export interface SinkConnectorPlugin<S = unknown> extends PluginBase<S> {
  readonly type: 'sink';
  createTask(): SinkTask<S>;
}

export type ConnectorPlugin<S = unknown> = SourceConnectorPlugin<S> | SinkConnectorPlugin<S>;
