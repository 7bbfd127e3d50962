import type { ConfigIssue, Logger, RawConfig, SinkRecord, SourceRecord } from '../api';

/** A header as it goes to or comes from Kafka. */
export interface KafkaHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

/** A header as it goes to the producer: bytes, or text (written as its UTF-8 bytes). */
export interface ProducerHeader {
  readonly key: string;
  readonly value: Buffer | string | null;
}

/** A record ready for the producer: converted bytes. */
export interface ProducerRecord {
  readonly topic: string;
  readonly partition?: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly ProducerHeader[];
  readonly timestamp?: number;
}

/** A record as read from Kafka by a sink's consumer. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly KafkaHeader[];
  readonly timestamp?: number;
}

/** Writes a dead-letter record durably; resolves once Kafka has it (acks=all). */
export type DeadLetterWriter = (record: ProducerRecord) => Promise<void>;

/** What the runtime gives a pipeline when it builds one for a task. */
export interface PipelineContext {
  readonly connector: string;
  readonly taskId: number;
  readonly logger: Logger;
  /** Writes to the connector's dead-letter topic; the pipeline decides when (errors.* settings). */
  readonly deadLetter: DeadLetterWriter;
  /** Counts records dropped or dead-lettered, by reason. */
  count(metric: 'failed' | 'dead_lettered' | 'filtered' | 'skipped' | 'retried', reason?: string): void;
  /** Aborted when the task stops: retries end. */
  readonly signal: AbortSignal;
  /**
   * Why a source record may not go to this topic (an internal topic, one topic too many created), or undefined when
   * it may. A refused record follows the error policy like any failed record.
   */
  checkTopic?(topic: string): string | undefined | Promise<string | undefined>;
}

/**
 * Source side: SourceRecord → transforms → converters → ProducerRecord. Applies the connector's error policy:
 * retries retriable failures (registry unreachable…) within errors.retry.timeout; with errors.tolerance=all a
 * failing record is written to the dead-letter queue (if configured, awaited) and `null` is returned; with the
 * default (none) it throws, and the task fails without acknowledging the record.
 * Returns null as well when a transform filtered the record out. Returns the result itself, not a promise, when no
 * step had to wait.
 */
export interface SourcePipeline {
  process(record: SourceRecord): ProducerRecord | null | Promise<ProducerRecord | null>;
  /**
   * True when a record Kafka refuses for good may be tolerated (errors.tolerance=all): the runner then keeps each
   * record until Kafka answers, so refused() gets the original to dead-letter.
   */
  readonly toleratesRefusals?: boolean;
  /** Kafka refused the record for good (too large, not authorised): dead-letter or skip it, or throw to fail. */
  refused?(record: SourceRecord, err: Error): Promise<void>;
  close(): Promise<void>;
}

/** Sink side: ConsumedRecord → converters → transforms → SinkRecord; same error policy; null = filtered/DLQ'd. */
export interface SinkPipeline {
  process(record: ConsumedRecord): SinkRecord | null | Promise<SinkRecord | null>;
  /** The task rejected a record (e.g. could not render it): dead-letter it or throw, per the error policy. */
  reject(record: SinkRecord, err: Error): Promise<void>;
  close(): Promise<void>;
}

/** Worker-wide defaults for converters (`key.converter`, `value.converter`… from the worker config). */
export type WorkerConverterDefaults = RawConfig;

/** Describes a transform, predicate or converter for `GET /connector-plugins?connectorsOnly=false`. */
export interface PipelinePluginInfo {
  readonly class: string;
  readonly type: 'transformation' | 'predicate' | 'converter' | 'header_converter';
  readonly version: string;
}

export type { ConfigIssue };
