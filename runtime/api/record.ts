import { isUtf8 } from 'node:buffer';
import type { RecordError } from './errors';
import type { Schema } from './schema';

/** A header: its key, and a value with an optional schema (Connect's model). */
export interface Header {
  readonly key: string;
  readonly value: unknown;
  readonly schema?: Schema;
}

/** Source partition or offset map: small JSON-serialisable objects, stored in the offsets topic. */
export type OffsetMap = Readonly<Record<string, string | number | boolean | null>>;

/** What every record carries, as Connect's ConnectRecord. */
export interface ConnectRecord {
  /** Kafka topic. */
  readonly topic: string;
  /** Kafka partition; undefined lets the producer's partitioner choose (by key). */
  readonly kafkaPartition?: number;
  readonly keySchema?: Schema;
  readonly key: unknown;
  readonly valueSchema?: Schema;
  /** null is a tombstone. */
  readonly value: unknown;
  /** Milliseconds since the epoch. */
  readonly timestamp?: number;
  readonly headers: readonly Header[];
}

/** A record from a source task. */
export interface SourceRecord extends ConnectRecord {
  /** Where it came from, e.g. `{ "mqtt.topic.filter": "factory/#" }`. */
  readonly sourcePartition: OffsetMap;
  /** How far the task had got in that partition when this record was made. */
  readonly sourceOffset: OffsetMap;
  /**
   * The original bytes the record was built from, if any. Used for dead-letter records when conversion or a
   * transform fails, so nothing the source received is lost.
   */
  readonly originalBytes?: Buffer;
  /**
   * Set when the task received data it cannot turn into a proper record (a payload that is not JSON, misses a
   * required field…): the task still sends it, with `originalBytes`, and the runtime applies the connector's error
   * policy to it (dead-letter queue, or fail the task) instead of writing it, so the source is acknowledged only
   * once the data is safe somewhere, and never silently. Only the task's own code sets it: nothing a task copies
   * from its source (headers, user properties, payload fields) can mark a record as failed.
   */
  readonly failure?: RecordError;
}

/** A record read from Kafka for a sink task. */
export interface SinkRecord extends ConnectRecord {
  readonly kafkaPartition: number;
  readonly kafkaOffset: number;
  /** Raw bytes as read from Kafka, before conversion. */
  readonly rawKey?: Buffer | null;
  readonly rawValue?: Buffer | null;
  /** Headers as read from Kafka, before conversion. */
  readonly rawHeaders?: readonly { readonly key: string; readonly value: Buffer | null }[];
  /** The topic the record was read from, whatever a transform made of `topic` (Connect's originalTopic()). */
  readonly originalTopic?: string;
  /** The partition and offset the record was read from, whatever a transform set (Connect's originalKafka…()). */
  readonly originalKafkaPartition?: number;
  readonly originalKafkaOffset?: number;
}

/** Returns a copy of a record with some properties replaced: records are immutable. */
export function withRecord<R extends ConnectRecord>(record: R, changes: Partial<ConnectRecord>): R {
  return { ...record, ...changes };
}

/** First header with that key, or undefined. */
export function headerOf(record: ConnectRecord, key: string): Header | undefined {
  return record.headers.find((h) => h.key === key);
}

/**
 * Whether Kafka can be given these bytes as a header value unchanged. Ferry's Kafka client passes every header value
 * to Kafka as text: bytes that are not UTF-8 would arrive altered, and a zero byte would end the value early. A
 * connector with binary header values writes them as base64 text, under the key with {@link BASE64_HEADER_SUFFIX}.
 */
export function headerBytesFit(bytes: Buffer): boolean {
  return isUtf8(bytes) && !bytes.includes(0);
}

/** Suffix of a header key whose value is the base64 text of binary data (see {@link headerBytesFit}). */
export const BASE64_HEADER_SUFFIX = '.base64';
