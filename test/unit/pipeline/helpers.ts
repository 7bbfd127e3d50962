import type { SourceRecord } from '../../../runtime/api';
import type { PipelineContext, ProducerRecord } from '../../../runtime/pipeline';
import { recordingLogger, type LogLine } from '../../helpers/logger';

/** A PipelineContext whose dead-letter writer is an in-memory list (the writer interface, not a Kafka mock). */
export function testContext(opts: { deadLetterFails?: boolean; signal?: AbortSignal } = {}): {
  ctx: PipelineContext;
  deadLetters: ProducerRecord[];
  counts: string[];
  lines: LogLine[];
} {
  const deadLetters: ProducerRecord[] = [];
  const counts: string[] = [];
  const lines: LogLine[] = [];
  const ctx: PipelineContext = {
    connector: 'c1',
    taskId: 3,
    logger: recordingLogger(lines),
    deadLetter: (r) => {
      if (opts.deadLetterFails) return Promise.reject(new Error('broker down'));
      deadLetters.push(r);
      return Promise.resolve();
    },
    count: (metric, reason) => counts.push(reason === undefined ? metric : `${metric}:${reason}`),
    signal: opts.signal ?? new AbortController().signal,
  };
  return { ctx, deadLetters, counts, lines };
}

export function headerText(r: ProducerRecord, key: string): string | undefined {
  const v = r.headers.find((h) => h.key === key)?.value;
  return typeof v === 'string' ? v : v?.toString('utf8');
}

/** String keys and schemaless JSON values: the converters most tests use. */
export const json = { 'key.converter': 'string', 'value.converter': 'json', 'value.converter.schemas.enable': 'false' };
/** No worker-level converter defaults. */
export const noDefaults = {};

/** A source record as the MQTT source would build it, with `changes` applied. */
export function sourceRecord(changes: Partial<SourceRecord> = {}): SourceRecord {
  return {
    topic: 'factory.press7',
    key: 'press7',
    value: { temp: 21.5 },
    headers: [{ key: 'mqtt.topic', value: 'factory/press7' }],
    sourcePartition: { filter: 'factory/#' },
    sourceOffset: {},
    originalBytes: Buffer.from('{"temp":21.5}'),
    timestamp: 1_700_000_000_000,
    ...changes,
  };
}
