import Kafka from 'node-rdkafka';
import { eventually } from './eventually';
import { uniqueId } from './ids';

/** node-rdkafka reports errors as plain objects with a message. */
function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error((err as { message?: string }).message ?? JSON.stringify(err));
}

export async function createTopic(kafka: string, topic: string, partitions = 1): Promise<void> {
  const admin = Kafka.AdminClient.create({ 'bootstrap.servers': kafka });
  try {
    await new Promise<void>((resolve, reject) =>
      admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, (err) =>
        err ? reject(toError(err)) : resolve(),
      ),
    );
  } finally {
    admin.disconnect();
  }
}

export interface ProducedRecord {
  readonly topic: string;
  readonly partition?: number;
  readonly key?: string | Buffer;
  readonly value: Buffer;
  readonly headers?: Record<string, string | Buffer>[];
}

/** Writes `records` with acks=all and waits for every delivery. */
export async function produce(kafka: string, records: readonly ProducedRecord[]): Promise<void> {
  const producer = new Kafka.HighLevelProducer({ 'bootstrap.servers': kafka, acks: -1 } as Kafka.ProducerGlobalConfig);
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(toError(err)) : resolve())));
  try {
    await Promise.all(
      records.map(
        (r) =>
          new Promise<void>((resolve, reject) =>
            producer.produce(r.topic, r.partition ?? null, r.value, r.key, Date.now(), r.headers ?? [], (err) =>
              err ? reject(toError(err)) : resolve(),
            ),
          ),
      ),
    );
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  }
}

/** One record as read back from Kafka. */
export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** In the order Kafka has them; a key may repeat. */
  readonly headers: readonly { readonly key: string; readonly value: Buffer }[];
}

/** The UTF-8 values of every header named `key`, in order (empty when there is none). */
export function headerValues(record: KafkaRecord, key: string): string[] {
  return record.headers.filter((h) => h.key === key).map((h) => h.value.toString('utf8'));
}

/** The UTF-8 value of the first header named `key`. */
export function headerValue(record: KafkaRecord, key: string): string | undefined {
  return headerValues(record, key)[0];
}

function toRecord(m: Kafka.Message): KafkaRecord {
  const headers: { key: string; value: Buffer }[] = [];
  for (const h of m.headers ?? [])
    for (const [key, value] of Object.entries(h)) headers.push({ key, value: Buffer.from(value) });
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    key: m.key === undefined || m.key === null ? null : Buffer.from(m.key),
    value: m.value ?? null,
    headers,
  };
}

export interface ReaderOptions {
  /**
   * Assign partitions 0..partitions-1 from offset 0 instead of subscribing with a group: no group rebalance can
   * rewind the position when the broker restarts. The topic must exist. Without it the reader subscribes, and a
   * topic that a connector creates later is found within a second.
   */
  readonly partitions?: number;
  /** Called for every record in the order read, awaited before the next (e.g. to decode Avro). */
  readonly onRecord?: (record: KafkaRecord) => void | Promise<void>;
  /** Default read_committed (librdkafka's default): records of open or aborted transactions are not read. */
  readonly isolation?: 'read_committed' | 'read_uncommitted';
}

/** Reads a topic from the beginning in the background until stopped; every record read is kept in `records`. */
export class KafkaReader {
  readonly records: KafkaRecord[] = [];
  private readonly consumer: Kafka.KafkaConsumer;
  private loop: Promise<void> | undefined;
  private running = false;

  constructor(
    kafka: string,
    readonly topic: string,
    private readonly options: ReaderOptions = {},
  ) {
    this.consumer = new Kafka.KafkaConsumer(
      {
        'group.id': uniqueId('test-reader'),
        'bootstrap.servers': kafka,
        'enable.auto.commit': false,
        'topic.metadata.refresh.interval.ms': 500,
        'isolation.level': options.isolation ?? 'read_committed',
      },
      { 'auto.offset.reset': 'earliest' },
    );
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.consumer.connect({}, (err) => (err ? reject(toError(err)) : resolve())),
    );
    const { partitions } = this.options;
    if (partitions === undefined) this.consumer.subscribe([this.topic]);
    else
      this.consumer.assign(
        Array.from({ length: partitions }, (_, partition) => ({ topic: this.topic, partition, offset: 0 })),
      );
    this.running = true;
    this.loop = this.run();
  }

  /** Resolves with the records read so far once `enough(records)` holds; fails naming `what` and how much was read. */
  async until(
    enough: (records: readonly KafkaRecord[]) => boolean,
    { what, timeoutMs = 60_000 }: { what: string; timeoutMs?: number },
  ): Promise<KafkaRecord[]> {
    try {
      return await eventually(() => enough(this.records) && this.records.slice(), { what, timeoutMs, intervalMs: 50 });
    } catch (err) {
      throw new Error(`${(err as Error).message} (${this.records.length} records read from ${this.topic})`);
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.loop;
    await new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
  }

  private async run(): Promise<void> {
    while (this.running) {
      // Until a connector's first record creates the topic the broker answers "unknown topic": keep reading.
      const batch = await new Promise<Kafka.Message[]>((resolve) =>
        this.consumer.consume(500, (err, msgs) => resolve(err ? [] : msgs)),
      );
      for (const m of batch) {
        const record = toRecord(m);
        this.records.push(record);
        await this.options.onRecord?.(record);
      }
      if (batch.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export interface ReadOptions {
  /** Stop once this many records were read. */
  readonly count?: number;
  /** Stop once this holds for the records read (instead of `count`). */
  readonly until?: (records: readonly KafkaRecord[]) => boolean;
  readonly timeoutMs?: number;
  /** Names what the test waits for, in the failure message. */
  readonly what?: string;
}

/** Reads `topic` from the beginning until `count` records arrived or `until` holds; fails at the deadline. */
export async function readTopic(kafka: string, topic: string, opts: ReadOptions): Promise<KafkaRecord[]> {
  const count = opts.count ?? 1;
  const enough = opts.until ?? ((records: readonly KafkaRecord[]) => records.length >= count);
  const reader = new KafkaReader(kafka, topic);
  await reader.start();
  try {
    return await reader.until(enough, {
      what: opts.what ?? (opts.until ? `enough records in ${topic}` : `${count} records in ${topic}`),
      timeoutMs: opts.timeoutMs,
    });
  } finally {
    await reader.stop();
  }
}
