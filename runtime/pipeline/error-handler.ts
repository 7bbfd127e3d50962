import { BASE64_HEADER_SUFFIX, TaskFailedError, UnavailableError, errorTrace, headerBytesFit } from '../api';
import { scrubResolved } from '../config-providers';
import type { KafkaHeader, PipelineContext, ProducerRecord } from './types';
import type { ErrorPolicy, Stage } from './error-policy';

/** First delay between retries, as Connect's RetryWithToleranceOperator. */
const INITIAL_RETRY_DELAY_MS = 300;
const LOGGED_PAYLOAD_CHARS = 1000;

/** A failure at one stage of the pipeline, before the error policy decided about it. */
export class StageFailure extends Error {
  constructor(
    readonly stage: Stage,
    /** The transform or converter that failed (Connect's class name). */
    readonly className: string,
    override readonly cause: unknown,
  ) {
    super(`${stage} (${className}) failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'StageFailure';
  }
}

/** Where a failed record came from, for the log line and the context headers. */
export interface FailedRecordInfo {
  readonly topic: string;
  readonly partition?: number;
  readonly offset?: number;
  /** For `errors.log.include.messages` only. */
  readonly key?: unknown;
  readonly value?: unknown;
  /** The record to write to the dead-letter topic (its topic is replaced). */
  readonly deadLetter: () => {
    key: Buffer | null;
    value: Buffer | null;
    headers: readonly KafkaHeader[];
    timestamp?: number;
  };
}

function isRetriable(err: unknown): boolean {
  return (err as { retriable?: unknown } | null)?.retriable === true;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function text(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  const s = Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'string' ? v : safeJson(v);
  return s.length > LOGGED_PAYLOAD_CHARS ? `${s.slice(0, LOGGED_PAYLOAD_CHARS)}…` : s;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * A dead-letter record's header as the Kafka client can write it: binary values it would alter (see headerBytesFit),
 * such as a sink record's headers from another producer, go as base64 text under the key plus .base64.
 */
function readableHeader(h: KafkaHeader): KafkaHeader {
  if (h.value === null || headerBytesFit(h.value)) return h;
  return { key: h.key + BASE64_HEADER_SUFFIX, value: Buffer.from(h.value.toString('base64')) };
}

/** Applies the connector's errors.* policy: retries, tolerance, logging and the dead-letter queue. */
export class ErrorHandler {
  constructor(
    private readonly policy: ErrorPolicy,
    private readonly ctx: PipelineContext,
  ) {}

  /** Whether a record that failed for good may be skipped or dead-lettered instead of failing the task. */
  get tolerant(): boolean {
    return this.policy.tolerance === 'all';
  }

  /**
   * Runs one converter call; a synchronous success returns its value directly (the hot path). Retriable
   * failures are retried with exponential back-off within errors.retry.timeout; anything else becomes a
   * StageFailure.
   */
  run<T>(stage: Stage, className: string, op: () => T | Promise<T>): T | Promise<T> {
    let result: T | Promise<T>;
    try {
      result = op();
    } catch (err) {
      return this.retry(stage, className, op, err);
    }
    if (result instanceof Promise) return result.catch((err: unknown) => this.retry(stage, className, op, err));
    return result;
  }

  private async retry<T>(stage: Stage, className: string, op: () => T | Promise<T>, first: unknown): Promise<T> {
    let err = first;
    const { retryTimeoutMs, retryDelayMaxMs } = this.policy;
    const deadline = retryTimeoutMs < 0 ? Infinity : Date.now() + retryTimeoutMs;
    let delay = Math.min(INITIAL_RETRY_DELAY_MS, retryDelayMaxMs);
    for (;;) {
      const remaining = deadline - Date.now();
      if (!isRetriable(err) || remaining <= 0) throw new StageFailure(stage, className, err);
      if (this.ctx.signal.aborted) {
        throw new UnavailableError(`task stopping while retrying ${stage} (${className})`, { cause: err });
      }
      this.ctx.count('retried', stage);
      this.ctx.logger.debug(
        { stage, class: className, delayMs: Math.min(delay, remaining), error: (err as Error).message },
        'retrying a retriable failure',
      );
      await sleep(Math.min(delay, remaining), this.ctx.signal);
      if (this.ctx.signal.aborted) {
        throw new UnavailableError(`task stopping while retrying ${stage} (${className})`, { cause: err });
      }
      delay = Math.min(delay * 2, retryDelayMaxMs);
      try {
        return await op();
      } catch (e) {
        err = e;
      }
    }
  }

  /**
   * Decides about a failed record: throws TaskFailedError with tolerance none; with tolerance all writes it to
   * the dead-letter topic (awaited) or counts and logs it as skipped. Resolves only when nothing is left to do.
   */
  async fail(failure: unknown, info: FailedRecordInfo): Promise<void> {
    if (!(failure instanceof StageFailure)) throw failure;
    const { stage, className, cause } = failure;
    if (this.ctx.signal.aborted && isRetriable(cause)) {
      throw new UnavailableError(`task stopping; ${failure.message}`, { cause });
    }
    this.ctx.count('failed', stage);
    const coordinates = {
      stage,
      class: className,
      topic: info.topic,
      ...(info.partition !== undefined ? { partition: info.partition } : {}),
      ...(info.offset !== undefined ? { offset: info.offset } : {}),
      error: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause),
    };
    const payload = this.policy.logIncludeMessages ? { key: text(info.key), value: text(info.value) } : {};
    if (this.policy.logEnable) this.ctx.logger.error({ ...coordinates, ...payload }, 'Error encountered in task');
    if (this.policy.tolerance === 'none') {
      throw new TaskFailedError(`Tolerance exceeded in error handler: ${failure.message}`, { cause });
    }
    if (isRetriable(cause)) {
      // An outage (registry or broker unreachable) is not the record's fault: tolerating it would skip or
      // dead-letter good records, so the task fails and the record stays unacknowledged.
      throw new TaskFailedError(
        `${failure.message} (still failing after errors.retry.timeout=${this.policy.retryTimeoutMs} ms; ` +
          'outages are never tolerated, the record is kept)',
        { cause },
      );
    }
    if (this.policy.deadLetterTopic === '') {
      this.ctx.count('skipped', stage);
      // Never silently: a skipped record always leaves a log line, even with errors.log.enable=false.
      if (!this.policy.logEnable)
        this.ctx.logger.warn(coordinates, 'record skipped (errors.tolerance=all, no dead-letter topic)');
      return;
    }
    const base = info.deadLetter();
    const original = base.headers.map(readableHeader);
    const headers = this.policy.contextHeaders ? [...original, ...this.contextHeaders(failure, info)] : original;
    const record: ProducerRecord = {
      topic: this.policy.deadLetterTopic,
      key: base.key,
      value: base.value,
      headers,
      ...(base.timestamp !== undefined ? { timestamp: base.timestamp } : {}),
    };
    try {
      await this.ctx.deadLetter(record);
    } catch (err) {
      throw new TaskFailedError(
        `cannot write a failed record to the dead-letter topic '${this.policy.deadLetterTopic}': ${(err as Error).message}`,
        { cause: err },
      );
    }
    this.ctx.count('dead_lettered', stage);
    if (!this.policy.logEnable) {
      this.ctx.logger.debug({ ...coordinates, deadLetterTopic: this.policy.deadLetterTopic }, 'record dead-lettered');
    }
  }

  private contextHeaders(failure: StageFailure, info: FailedRecordInfo): KafkaHeader[] {
    const cause = failure.cause;
    const h = (key: string, value: string): KafkaHeader => ({
      key: `__connect.errors.${key}`,
      value: Buffer.from(value, 'utf8'),
    });
    const out = [h('topic', info.topic)];
    if (info.partition !== undefined) out.push(h('partition', String(info.partition)));
    if (info.offset !== undefined) out.push(h('offset', String(info.offset)));
    out.push(
      h('connector.name', this.ctx.connector),
      h('task.id', String(this.ctx.taskId)),
      h('stage', failure.stage),
      h('class.name', failure.className),
      h('exception.class.name', cause instanceof Error ? cause.name : typeof cause),
      // An exception may quote a value a config provider resolved: dead-letter readers do not get it.
      h('exception.message', scrubResolved(cause instanceof Error ? cause.message : String(cause))),
      h('exception.stacktrace', scrubResolved(errorTrace(cause))),
    );
    return out;
  }
}
