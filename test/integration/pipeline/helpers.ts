import { createConnection, createServer, type Server, type Socket } from 'node:net';
import Kafka from 'node-rdkafka';
import type { Logger } from '../../../runtime/api';
import type { DeadLetterWriter, PipelineContext } from '../../../runtime/pipeline';

/** node-rdkafka's errors are plain objects with a message. */
function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error((err as { message?: string }).message ?? JSON.stringify(err));
}

export const silentLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

export function pipelineContext(deadLetter: DeadLetterWriter, counts: string[] = []): PipelineContext {
  return {
    connector: 'pipeline-it',
    taskId: 0,
    logger: silentLogger,
    deadLetter,
    count: (m, r) => counts.push(r === undefined ? m : `${m}:${r}`),
    signal: new AbortController().signal,
  };
}

export async function createTopic(kafka: string, topic: string): Promise<void> {
  const admin = Kafka.AdminClient.create({ 'bootstrap.servers': kafka });
  try {
    await new Promise<void>((resolve, reject) =>
      admin.createTopic({ topic, num_partitions: 1, replication_factor: 1 }, (err) =>
        err ? reject(toError(err)) : resolve(),
      ),
    );
  } finally {
    admin.disconnect();
  }
}

/** A real acks=all producer used as the pipeline's DeadLetterWriter. */
export async function deadLetterProducer(
  kafka: string,
): Promise<{ write: DeadLetterWriter; close: () => Promise<void> }> {
  const producer = new Kafka.HighLevelProducer(
    { 'bootstrap.servers': kafka, 'enable.idempotence': true },
    { 'request.required.acks': -1 },
  );
  await new Promise<void>((resolve, reject) => {
    producer.once('ready', () => resolve());
    producer.once('event.error', reject);
    producer.connect();
  });
  const write: DeadLetterWriter = (r) =>
    new Promise<void>((resolve, reject) =>
      producer.produce(
        r.topic,
        r.partition ?? null,
        r.value,
        r.key ?? undefined,
        r.timestamp ?? Date.now(),
        r.headers.map((h) => ({ [h.key]: h.value ?? Buffer.alloc(0) })),
        (err) => (err ? reject(toError(err)) : resolve()),
      ),
    );
  return { write, close: () => new Promise<void>((resolve) => producer.disconnect(() => resolve())) };
}

export async function consumeAll(
  kafka: string,
  topic: string,
  count: number,
  groupPrefix: string,
): Promise<Kafka.Message[]> {
  const consumer = new Kafka.KafkaConsumer(
    { 'bootstrap.servers': kafka, 'group.id': `${groupPrefix}-${Date.now()}`, 'enable.auto.commit': false },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => {
    consumer.once('ready', () => resolve());
    consumer.once('event.error', reject);
    consumer.connect();
  });
  try {
    consumer.subscribe([topic]);
    const got: Kafka.Message[] = [];
    const deadline = Date.now() + 60_000;
    while (got.length < count && Date.now() < deadline) {
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(100, (err, msgs) => (err ? reject(toError(err)) : resolve(msgs))),
      );
      got.push(...batch);
    }
    return got;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

/** Header values of a consumed message by key (node-rdkafka gives a list of one-key objects). */
export function headersOf(m: Kafka.Message): Map<string, string> {
  const out = new Map<string, string>();
  for (const h of m.headers ?? []) {
    for (const [k, v] of Object.entries(h)) out.set(k, Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
  }
  return out;
}

/**
 * A loopback TCP forwarder in front of the real registry: closing it makes the registry unreachable (connection
 * refused) without stopping the shared service. (A dedicated Apicurio cannot start beside the shared one yet:
 * both bind the management port 9000.)
 */
export class Forwarder {
  /** The start of every request seen, to check what the client sends (e.g. basic auth). */
  readonly requests: string[] = [];

  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly port: number,
    private readonly target: URL,
  ) {}

  up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('data', (chunk: Buffer) =>
        this.requests.push(chunk.toString('latin1', 0, Math.min(chunk.length, 2048))),
      );
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    return new Promise((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
  }

  down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
