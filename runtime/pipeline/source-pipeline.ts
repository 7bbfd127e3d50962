import { BASE64_HEADER_SUFFIX, RecordError, headerBytesFit, type Header, type SourceRecord } from '../api';
import { stringOf, type Converter } from '../converters';
import type { TransformStep } from '../transforms';
import { ErrorHandler, StageFailure, type FailedRecordInfo } from './error-handler';
import { mapInOrder, transformStage, type Mutable } from './steps';
import type { KafkaHeader, PipelineContext, ProducerHeader, ProducerRecord, SourcePipeline } from './types';

export interface PipelineParts {
  readonly steps: readonly TransformStep[];
  readonly key: Converter;
  readonly value: Converter;
  readonly header: Converter;
  readonly classNames: { readonly key: string; readonly value: string; readonly header: string };
  readonly errors: ErrorHandler;
  readonly ctx: PipelineContext;
}

/** Bytes of a value for a dead-letter record when no original bytes exist: text as UTF-8, bytes as they are. */
export function fallbackBytes(v: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v;
  try {
    return Buffer.from(stringOf(v), 'utf8');
  } catch {
    // A value JSON cannot write (a cycle, a BigInt deep inside) must not stop its own dead-lettering.
    return Buffer.from(Object.prototype.toString.call(v), 'utf8');
  }
}

function deadLetterHeaders(record: SourceRecord): KafkaHeader[] {
  const headers = record.headers.map((h): KafkaHeader => ({ key: h.key, value: fallbackBytes(h.value) }));
  if (record.failure !== undefined) {
    headers.push({ key: DEAD_LETTER_REASON_HEADER, value: Buffer.from(record.failure.message, 'utf8') });
  }
  return headers;
}

/** A header value from a converter that the Kafka client could not write unchanged. */
function unwritableHeader(key: string, bytes: Buffer): RecordError {
  return new RecordError(
    `header ${key}: its ${bytes.length} bytes are not UTF-8 text (or hold a zero byte), and Kafka header values ` +
      `are written as text, so they would arrive altered; write binary values as base64 text (as the MQTT source ` +
      `does, under ${key}${BASE64_HEADER_SUFFIX}) or use a header converter that writes text`,
  );
}

/**
 * Header a dead-letter copy of a record its task marked failed ({@link SourceRecord.failure}) carries, with the
 * reason. Written by the runtime only on the way to the dead-letter topic; a header of that name arriving from the
 * source is an ordinary header and never marks a record as failed.
 */
export const DEAD_LETTER_REASON_HEADER = '__ferry.error';

/**
 * SourceRecord → transforms → converters → ProducerRecord, with the connector's error policy.
 *
 * Synchronous whenever every step is: with cached schemas, a record goes through without a single promise, which
 * is most of what a source task spends per record beside the encoding itself. A step that returns a promise (a
 * schema lookup, a retry, the dead-letter queue) switches that record to the asynchronous path; steps still run one
 * after the other, in the same order.
 */
export class DefaultSourcePipeline implements SourcePipeline {
  private closing: Promise<void> | undefined;

  readonly toleratesRefusals: boolean;

  constructor(private readonly p: PipelineParts) {
    this.toleratesRefusals = p.errors.tolerant;
  }

  /** Kafka refused the record for good: the error policy decides, as for a record that failed to convert. */
  async refused(record: SourceRecord, err: Error): Promise<void> {
    await this.p.errors.fail(new StageFailure('KAFKA_PRODUCE', 'producer', err), this.info(record));
  }

  process(record: SourceRecord): ProducerRecord | null | Promise<ProducerRecord | null> {
    const { steps, ctx } = this.p;
    if (record.failure !== undefined) {
      // The task could not make a proper record of what it received: error policy, never Kafka as is.
      return this.failed(new StageFailure('TASK_POLL', '', record.failure), record);
    }
    const transformed = transformStage(steps, record, ctx);
    if (transformed instanceof StageFailure) return this.failed(transformed, record);
    if (transformed === null) return null;
    const refused = ctx.checkTopic?.(transformed.topic);
    const stage = steps.length > 0 ? 'TRANSFORMATION' : 'TASK_POLL';
    if (refused instanceof Promise) {
      const r = transformed;
      return refused.then((reason) =>
        reason !== undefined
          ? this.failed(new StageFailure(stage, '', new RecordError(reason)), record)
          : this.convert(r, record),
      );
    }
    if (refused !== undefined) return this.failed(new StageFailure(stage, '', new RecordError(refused)), record);
    return this.convert(transformed, record);
  }

  private convert(transformed: SourceRecord, record: SourceRecord): ProducerRecord | Promise<ProducerRecord | null> {
    let out: ProducerRecord | Promise<ProducerRecord>;
    try {
      out = this.convertKey(transformed);
    } catch (err) {
      return this.failed(err, record);
    }
    return out instanceof Promise ? out.catch((err: unknown) => this.failed(err, record)) : out;
  }

  /** The error policy for a record that failed: resolves null (dead-lettered or skipped) or rejects (fail the task). */
  private async failed(err: unknown, record: SourceRecord): Promise<null> {
    await this.p.errors.fail(err, this.info(record));
    return null;
  }

  private convertKey(r: SourceRecord): ProducerRecord | Promise<ProducerRecord> {
    const { key, classNames, errors } = this.p;
    const k = errors.run('KEY_CONVERTER', classNames.key, () =>
      key.fromConnect(r.topic, r.keySchema, r.key, r.headers),
    );
    return k instanceof Promise ? k.then((kb) => this.convertValue(r, kb)) : this.convertValue(r, k);
  }

  private convertValue(r: SourceRecord, k: Buffer | null): ProducerRecord | Promise<ProducerRecord> {
    const { value, classNames, errors } = this.p;
    const v = errors.run('VALUE_CONVERTER', classNames.value, () =>
      value.fromConnect(r.topic, r.valueSchema, r.value, r.headers),
    );
    return v instanceof Promise ? v.then((vb) => this.convertHeaders(r, k, vb)) : this.convertHeaders(r, k, v);
  }

  private convertHeaders(
    r: SourceRecord,
    k: Buffer | null,
    v: Buffer | null,
  ): ProducerRecord | Promise<ProducerRecord> {
    const headers = mapInOrder(r.headers, this.convertHeader, r);
    return headers instanceof Promise
      ? headers.then((hs) => producerRecord(r, k, v, hs))
      : producerRecord(r, k, v, headers);
  }

  /** One header for the producer: the converter's text when it gives text, else its bytes if Kafka can take them. */
  private readonly convertHeader = (h: Header, r: SourceRecord): ProducerHeader | Promise<ProducerHeader> => {
    const { header, classNames, errors } = this.p;
    const text = header.headerText?.(h.schema, h.value);
    if (text !== undefined) return { key: h.key, value: text };
    const hv = errors.run('HEADER_CONVERTER', classNames.header, () => header.fromConnect(r.topic, h.schema, h.value));
    return hv instanceof Promise ? hv.then((b) => this.writable(h.key, b)) : this.writable(h.key, hv);
  };

  /** A converted header, or the failure of a value the Kafka client would alter (error policy: HEADER_CONVERTER). */
  private writable(key: string, value: Buffer | null): ProducerHeader {
    if (value !== null && !headerBytesFit(value))
      throw new StageFailure('HEADER_CONVERTER', this.p.classNames.header, unwritableHeader(key, value));
    return { key, value };
  }

  /** The original record (before transforms) is what the dead-letter queue keeps. */
  private info(record: SourceRecord): FailedRecordInfo {
    return {
      topic: record.topic,
      ...(record.kafkaPartition !== undefined ? { partition: record.kafkaPartition } : {}),
      key: record.key,
      value: record.originalBytes ?? record.value,
      deadLetter: () => ({
        key: fallbackBytes(record.key),
        value: record.originalBytes ?? fallbackBytes(record.value),
        headers: deadLetterHeaders(record),
        ...(record.timestamp !== undefined ? { timestamp: record.timestamp } : {}),
      }),
    };
  }

  /** Closes the converters once; every caller gets the same promise. */
  close(): Promise<void> {
    this.closing ??= closeConverters(this.p);
    return this.closing;
  }
}

function producerRecord(
  r: SourceRecord,
  key: Buffer | null,
  value: Buffer | null,
  headers: ProducerHeader[],
): ProducerRecord {
  const out: Mutable<ProducerRecord> = { topic: r.topic, key, value, headers };
  if (r.kafkaPartition !== undefined) out.partition = r.kafkaPartition;
  if (r.timestamp !== undefined) out.timestamp = r.timestamp;
  return out;
}

export async function closeConverters(p: PipelineParts): Promise<void> {
  for (const c of [p.key, p.value, p.header]) {
    try {
      await c.close?.();
    } catch (err) {
      p.ctx.logger.warn({ error: (err as Error).message }, 'closing a converter failed');
    }
  }
}
