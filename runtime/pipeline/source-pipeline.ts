import { RECORD_ERROR_HEADER, RecordError, type Header, type SourceRecord } from '../api';
import { stringOf, type Converter } from '../converters';
import { applyChain, type TransformStep } from '../transforms';
import { ErrorHandler, StageFailure, type FailedRecordInfo } from './error-handler';
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

function headersAsText(headers: readonly Header[]): KafkaHeader[] {
  return headers.map((h) => ({ key: h.key, value: fallbackBytes(h.value) }));
}

/** SourceRecord → transforms → converters → ProducerRecord, with the connector's error policy. */
export class DefaultSourcePipeline implements SourcePipeline {
  constructor(private readonly p: PipelineParts) {}

  async process(record: SourceRecord): Promise<ProducerRecord | null> {
    const { steps, errors, ctx } = this.p;
    const failure = record.headers.find((h) => h.key === RECORD_ERROR_HEADER);
    if (failure) {
      // The task could not make a proper record of what it received: error policy, never Kafka as is.
      const reason = typeof failure.value === 'string' ? failure.value : 'the source task could not build this record';
      await errors.fail(new StageFailure('TASK_POLL', '', new RecordError(reason)), this.info(record));
      return null;
    }
    let current: TransformStep | undefined;
    let transformed: SourceRecord | null;
    try {
      transformed = steps.length === 0 ? record : applyChain(steps, record, (s) => (current = s));
    } catch (err) {
      await errors.fail(new StageFailure('TRANSFORMATION', current?.className ?? '', err), this.info(record));
      return null;
    }
    if (transformed === null) {
      ctx.count('filtered');
      return null;
    }
    try {
      return await this.convert(transformed);
    } catch (err) {
      await errors.fail(err, this.info(record));
      return null;
    }
  }

  private async convert(r: SourceRecord): Promise<ProducerRecord> {
    const { key, value, header, classNames, errors } = this.p;
    let k = errors.run('KEY_CONVERTER', classNames.key, () => key.fromConnect(r.topic, r.keySchema, r.key, r.headers));
    if (k instanceof Promise) k = await k;
    let v = errors.run('VALUE_CONVERTER', classNames.value, () =>
      value.fromConnect(r.topic, r.valueSchema, r.value, r.headers),
    );
    if (v instanceof Promise) v = await v;
    const headers: ProducerHeader[] = [];
    for (const h of r.headers) {
      const text = header.headerText?.(h.schema, h.value);
      if (text !== undefined) {
        headers.push({ key: h.key, value: text });
        continue;
      }
      let hv = errors.run('HEADER_CONVERTER', classNames.header, () => header.fromConnect(r.topic, h.schema, h.value));
      if (hv instanceof Promise) hv = await hv;
      headers.push({ key: h.key, value: hv });
    }
    return {
      topic: r.topic,
      ...(r.kafkaPartition !== undefined ? { partition: r.kafkaPartition } : {}),
      key: k,
      value: v,
      headers,
      ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
    };
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
        headers: headersAsText(record.headers),
        ...(record.timestamp !== undefined ? { timestamp: record.timestamp } : {}),
      }),
    };
  }

  async close(): Promise<void> {
    await closeConverters(this.p);
  }
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
