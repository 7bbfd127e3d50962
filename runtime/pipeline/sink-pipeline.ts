import type { Header, SinkRecord } from '../api';
import { applyChain, type TransformStep } from '../transforms';
import { StageFailure, type FailedRecordInfo } from './error-handler';
import { closeConverters, fallbackBytes, type PipelineParts } from './source-pipeline';
import type { ConsumedRecord, SinkPipeline } from './types';

/** ConsumedRecord → converters → transforms → SinkRecord, with the connector's error policy. */
export class DefaultSinkPipeline implements SinkPipeline {
  /** The consumed bytes behind each record handed to the task, for dead-lettering a later reject. */
  private readonly origins = new WeakMap<SinkRecord, ConsumedRecord>();

  constructor(
    private readonly p: PipelineParts,
    /** Reported as `__connect.errors.class.name` when the task rejects a record. */
    private readonly taskClassName: string,
  ) {}

  async process(consumed: ConsumedRecord): Promise<SinkRecord | null> {
    const { steps, errors, ctx } = this.p;
    let record: SinkRecord;
    try {
      record = await this.convert(consumed);
    } catch (err) {
      await errors.fail(err, this.info(consumed));
      return null;
    }
    let current: TransformStep | undefined;
    let transformed: SinkRecord | null;
    try {
      transformed = steps.length === 0 ? record : applyChain(steps, record, (s) => (current = s));
    } catch (err) {
      await errors.fail(new StageFailure('TRANSFORMATION', current?.className ?? '', err), this.info(consumed));
      return null;
    }
    if (transformed === null) {
      ctx.count('filtered');
      return null;
    }
    this.origins.set(transformed, consumed);
    return transformed;
  }

  async reject(record: SinkRecord, err: Error): Promise<void> {
    const consumed: ConsumedRecord = this.origins.get(record) ?? {
      topic: record.topic,
      partition: record.kafkaPartition,
      offset: record.kafkaOffset,
      key: record.rawKey ?? fallbackBytes(record.key),
      value: record.rawValue ?? fallbackBytes(record.value),
      headers: record.headers.map((h) => ({ key: h.key, value: fallbackBytes(h.value) })),
      ...(record.timestamp !== undefined ? { timestamp: record.timestamp } : {}),
    };
    await this.p.errors.fail(new StageFailure('TASK_PUT', this.taskClassName, err), this.info(consumed));
  }

  private async convert(c: ConsumedRecord): Promise<SinkRecord> {
    const { key, value, header, classNames, errors } = this.p;
    let k = errors.run('KEY_CONVERTER', classNames.key, () => key.toConnect(c.topic, c.key));
    if (k instanceof Promise) k = await k;
    let v = errors.run('VALUE_CONVERTER', classNames.value, () => value.toConnect(c.topic, c.value));
    if (v instanceof Promise) v = await v;
    const headers: Header[] = [];
    for (const h of c.headers) {
      let hv = errors.run('HEADER_CONVERTER', classNames.header, () => header.toConnect(c.topic, h.value));
      if (hv instanceof Promise) hv = await hv;
      headers.push({ key: h.key, value: hv.value, ...(hv.schema !== undefined ? { schema: hv.schema } : {}) });
    }
    return {
      topic: c.topic,
      kafkaPartition: c.partition,
      kafkaOffset: c.offset,
      ...(k.schema !== undefined ? { keySchema: k.schema } : {}),
      key: k.value,
      ...(v.schema !== undefined ? { valueSchema: v.schema } : {}),
      value: v.value,
      ...(c.timestamp !== undefined ? { timestamp: c.timestamp } : {}),
      headers,
      rawKey: c.key,
      rawValue: c.value,
    };
  }

  private info(c: ConsumedRecord): FailedRecordInfo {
    return {
      topic: c.topic,
      partition: c.partition,
      offset: c.offset,
      key: c.key,
      value: c.value,
      deadLetter: () => ({
        key: c.key,
        value: c.value,
        headers: c.headers,
        ...(c.timestamp !== undefined ? { timestamp: c.timestamp } : {}),
      }),
    };
  }

  async close(): Promise<void> {
    await closeConverters(this.p);
  }
}
