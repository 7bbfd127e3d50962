import { createConnection, createServer, type Server, type Socket } from 'node:net';
import Kafka from 'node-rdkafka';
import type { DeadLetterWriter, PipelineContext } from '../../../runtime/pipeline';
import { silentLogger } from '../../helpers';

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
        (err) => (err ? reject(err instanceof Error ? err : new Error(err.message)) : resolve()),
      ),
    );
  return { write, close: () => new Promise<void>((resolve) => producer.disconnect(() => resolve())) };
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
