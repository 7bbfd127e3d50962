import { schemaReader } from '../../../runtime/converters';
import type { OffsetMap, RecordCallback, SourceRecord, SourceTaskContext, TaskMetrics } from '../../../runtime/api';
import { MqttSourceTask, parseSourceSettings, type SourceSettings } from '../../../connectors/mqtt-source';
import { silentLogger } from '../../helpers';

/** A sent record and its completion. */
export interface Sent {
  readonly record: SourceRecord;
  readonly done: RecordCallback;
  completed: boolean;
}

/** How the harness completes records: at once, held until the test says, or after a delay. */
export type CompletionMode =
  { kind: 'immediate' } | { kind: 'sync' } | { kind: 'hold' } | { kind: 'delay'; ms: number };

/**
 * A SourceTaskContext standing in for the runtime (not written yet): keeps every record sent, completes them as
 * the test chooses, and tracks how many were outstanding at most.
 */
export class Harness implements SourceTaskContext<SourceSettings> {
  readonly sent: Sent[] = [];
  readonly counters = new Map<string, number>();
  readonly gauges = new Map<string, number>();
  maxOutstanding = 0;
  private outstanding = 0;
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];
  readonly logger = silentLogger;
  readonly workerId = '127.0.0.1:0';
  private readonly abort = new AbortController();
  readonly signal: AbortSignal = this.abort.signal;
  readonly schemas = schemaReader;
  readonly metrics: TaskMetrics = {
    count: (name, n = 1) => this.counters.set(name, (this.counters.get(name) ?? 0) + n),
    gauge: (name, value) => this.gauges.set(name, value),
  };

  constructor(
    readonly connector: string,
    readonly taskId: number,
    readonly rawConfig: Record<string, string>,
    public mode: CompletionMode = { kind: 'immediate' },
  ) {}

  get config(): Record<string, string> {
    return this.rawConfig;
  }

  /** As the runtime does at a task's start: the config parsed by the plugin's settings declaration. */
  get settings(): SourceSettings {
    return parseSourceSettings(this.rawConfig);
  }

  fail(err: Error): void {
    throw err;
  }

  offset(_partition: OffsetMap): Promise<OffsetMap | null> {
    return Promise.resolve(null);
  }

  send(record: SourceRecord, done: RecordCallback): void {
    const entry: Sent = { record, done, completed: false };
    this.sent.push(entry);
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    if (this.mode.kind === 'sync') this.complete(entry);
    else if (this.mode.kind === 'immediate') setImmediate(() => this.complete(entry));
    else if (this.mode.kind === 'delay') setTimeout(() => this.complete(entry), this.mode.ms);
    this.check();
  }

  /** Completes one record (Kafka has it), once. */
  complete(entry: Sent, err?: Error): void {
    if (entry.completed) return;
    entry.completed = true;
    this.outstanding--;
    entry.done(err);
  }

  /** Payloads (UTF-8) of the records sent so far, in order. */
  payloads(): string[] {
    return this.sent.map((s) => s.record.originalBytes?.toString('utf8') ?? '');
  }

  find(payload: string): Sent | undefined {
    return this.sent.find((s) => s.record.originalBytes?.toString('utf8') === payload);
  }

  /** Resolves once `pred` holds (checked on every send); the test's timeout bounds the wait. */
  until(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  untilPayload(payload: string): Promise<void> {
    return this.until(() => this.find(payload) !== undefined);
  }

  private check(): void {
    const ready = this.waiters.filter((w) => w.pred());
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }
}

/** A task with its harness, started. */
export async function startTask(
  connector: string,
  config: Record<string, string>,
  mode: CompletionMode = { kind: 'immediate' },
  taskId = 0,
): Promise<{ task: MqttSourceTask; h: Harness }> {
  const h = new Harness(connector, taskId, config, mode);
  const task = new MqttSourceTask();
  await task.start(h);
  return { task, h };
}
