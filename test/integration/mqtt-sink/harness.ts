import { schemaReader } from '../../../runtime/converters';
import type {
  ConfigValues,
  Header,
  Logger,
  RawConfig,
  Schema,
  SinkRecord,
  SinkTaskContext,
  TaskMetrics,
} from '../../../runtime/api';
import { MqttSinkTask, parseSinkSettings, type SinkSettings } from '../../../connectors/mqtt-sink';
import { FakeMqttBroker, quietLogger, uniqueId } from '../../helpers';

/**
 * What the runtime would give a sink task, with every call recorded: acks and rejects per record (by
 * topic/partition/offset), pauses, resumes and metrics. Stands in for the runtime until its sink loop exists.
 */
export class SinkHarness implements SinkTaskContext<SinkSettings> {
  readonly workerId = '127.0.0.1:8083';
  readonly logger: Logger;
  readonly logLines: string[] = [];
  readonly rawConfig: RawConfig;
  readonly controller = new AbortController();
  readonly acks = new Map<string, number>();
  readonly rejects = new Map<string, Error[]>();
  readonly ackOrder: string[] = [];
  pauses = 0;
  resumes = 0;
  failures: Error[] = [];
  readonly counters = new Map<string, number>();
  readonly gauges = new Map<string, number>();
  readonly metrics: TaskMetrics = {
    count: (name, n = 1) => void this.counters.set(name, (this.counters.get(name) ?? 0) + n),
    gauge: (name, value) => void this.gauges.set(name, value),
  };
  /** Called on every ack, e.g. to check that the broker already has the record. */
  onAck: ((record: SinkRecord) => void) | undefined;

  constructor(
    readonly connector: string,
    readonly config: ConfigValues,
    readonly taskId = 0,
  ) {
    this.logger = quietLogger(this.logLines);
    this.rawConfig = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)]));
  }

  readonly schemas = schemaReader;

  /** As the runtime does at a task's start: the config parsed by the plugin's settings declaration. */
  get settings(): SinkSettings {
    return parseSinkSettings(this.config);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  fail(err: Error): void {
    this.failures.push(err);
  }

  ack(record: SinkRecord): void {
    const id = recordId(record);
    this.acks.set(id, (this.acks.get(id) ?? 0) + 1);
    this.ackOrder.push(id);
    this.onAck?.(record);
  }

  reject(record: SinkRecord, err: Error): void {
    const id = recordId(record);
    this.rejects.set(id, [...(this.rejects.get(id) ?? []), err]);
  }

  pause(): void {
    this.pauses++;
  }

  resume(): void {
    this.resumes++;
  }

  /** Records acked more than once: must stay empty. */
  duplicateAcks(): string[] {
    return [...this.acks].filter(([, n]) => n > 1).map(([id]) => id);
  }
}

export function recordId(r: Pick<SinkRecord, 'topic' | 'kafkaPartition' | 'kafkaOffset'>): string {
  return `${r.topic}/${r.kafkaPartition}/${r.kafkaOffset}`;
}

/** A sink record as the runtime's consumer and converters would hand it over. */
export function sinkRecord(fields: {
  topic?: string;
  partition?: number;
  offset: number;
  key?: unknown;
  keySchema?: Schema;
  value: unknown;
  valueSchema?: Schema;
  headers?: Header[];
  timestamp?: number;
}): SinkRecord {
  return {
    topic: fields.topic ?? 'orders',
    kafkaPartition: fields.partition ?? 0,
    kafkaOffset: fields.offset,
    key: fields.key ?? null,
    keySchema: fields.keySchema,
    value: fields.value,
    valueSchema: fields.valueSchema,
    timestamp: fields.timestamp ?? 1_700_000_000_000,
    headers: fields.headers ?? [],
  };
}

/**
 * An in-process fake broker for each test of the enclosing `describe` and the sink task under test, both stopped
 * after each test. Create it at the top of the `describe`: it registers the `beforeEach`/`afterEach` hooks.
 */
export class SinkOnFakeBroker {
  private current: FakeMqttBroker | undefined;
  private task: MqttSinkTask | undefined;

  constructor() {
    beforeEach(async () => {
      this.current = new FakeMqttBroker();
      await this.current.start();
    });
    afterEach(async () => {
      await this.task?.stop();
      this.task = undefined;
      await this.current?.stop();
    });
  }

  get broker(): FakeMqttBroker {
    if (this.current === undefined) throw new Error('the fake broker runs only inside a test');
    return this.current;
  }

  /**
   * Starts a sink task on a harness connected to this test's broker, reading `orders` and publishing to `out/x`
   * unless `values` say otherwise. Rejects as the task's start does; the task is stopped after the test either way.
   */
  async start(prefix: string, values: ConfigValues = {}): Promise<{ task: MqttSinkTask; h: SinkHarness }> {
    const h = new SinkHarness(uniqueId(prefix), {
      'mqtt.server.uri': this.broker.url,
      topics: 'orders',
      'mqtt.topic': 'out/x',
      ...values,
    });
    const task = new MqttSinkTask();
    this.task = task;
    await task.start(h);
    return { task, h };
  }
}
