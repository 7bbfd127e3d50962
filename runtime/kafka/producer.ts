import Kafka from 'node-rdkafka';
import type { Logger } from '../api';
import { RecordError, UnavailableError, headerBytesFit } from '../api';
import type { ProducerHeader, ProducerRecord } from '../pipeline/types';
import { connectClient } from './metadata';

/** Called once per record: no error once Kafka acknowledged it (acks=all). */
export type DeliveryCallback = (err: Error | null, offset?: number) => void;

const QUEUE_FULL = -184; // RD_KAFKA_RESP_ERR__QUEUE_FULL

/**
 * Errors about the record itself: sending it again, now or after a restart, fails the same way, so they go to the
 * connector's error policy instead of failing the task as an outage does.
 */
const REFUSED_FOR_GOOD: ReadonlySet<number> = new Set([
  17, // INVALID_TOPIC_EXCEPTION
  29, // TOPIC_AUTHORIZATION_FAILED
  87, // INVALID_RECORD
]);

/**
 * Too large: only when produce() refuses the record on its own size (message.max.bytes). The broker judges the whole
 * batch against the topic's max.message.bytes and fails every record in it, good neighbours included, so its answer
 * is not about one record and stays an outage-like failure.
 */
const TOO_LARGE: ReadonlySet<number> = new Set([10, -141]); // MSG_SIZE_TOO_LARGE, _MSG_SIZE_TOO_LARGE

/** A delivery or produce error as Ferry's: refused for good (RecordError), or an outage to fail the task on. */
function deliveryError(err: { message: string; code?: unknown }, atProduce: boolean): Error {
  const code = err.code;
  if (typeof code === 'number' && (REFUSED_FOR_GOOD.has(code) || (atProduce && TOO_LARGE.has(code))))
    return new RecordError(`Kafka refused the record: ${err.message}`, { cause: err });
  return new UnavailableError(`Kafka did not accept the record: ${err.message}`, { cause: err });
}

/**
 * Headers in node-rdkafka's form, one single-key object each. The client writes every value as the UTF-8 bytes of
 * its text (a Buffer is turned into text first, by a call back into JavaScript per header), so text is passed as is.
 */
function clientHeaders(headers: readonly ProducerHeader[]): Kafka.MessageHeader[] {
  const out: Kafka.MessageHeader[] = new Array<Kafka.MessageHeader>(headers.length);
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    out[i] = { [h.key]: h.value ?? '' };
  }
  return out;
}

/**
 * An idempotent producer (acks=all) with a callback per record. One per worker carries every source task's
 * records: librdkafka batches across tasks and the worker holds one set of producer threads, not one per task.
 *
 * Delivery reports arrive only when librdkafka is polled: while records are in flight we poll every millisecond,
 * otherwise not at all. Records refused because librdkafka's queue is full wait in a local FIFO (order kept) and
 * are retried on the next poll.
 */
export class DataProducer {
  private readonly producer: Kafka.Producer;
  private inFlight = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly backlog: { rec: ProducerRecord; cb: DeliveryCallback }[] = [];
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(
    conf: Record<string, string | number | boolean>,
    private readonly logger: Logger,
  ) {
    this.producer = new Kafka.Producer(
      {
        'enable.idempotence': true,
        'linger.ms': 2,
        'batch.num.messages': 10000,
        'queue.buffering.max.messages': 200000,
        ...conf,
        dr_cb: true,
      },
      { 'request.required.acks': -1 },
    );
    this.producer.on('delivery-report', (err, report) => {
      this.inFlight--;
      const cb = report.opaque as DeliveryCallback | undefined;
      if (cb) cb(err ? deliveryError(err, false) : null, report.offset);
      this.maybeStopPolling();
    });
    this.producer.on('event.error', (err) => this.logger.warn({ err: err.message }, 'producer error'));
  }

  async start(timeoutMs = 30_000): Promise<void> {
    if (this.started) return;
    await connectClient(this.producer, timeoutMs, 'cannot connect the producer to Kafka');
    this.started = true;
  }

  /** Sends one record; `cb` is called exactly once. */
  send(rec: ProducerRecord, cb: DeliveryCallback): void {
    if (this.stopping) {
      cb(new UnavailableError('the producer is stopping'));
      return;
    }
    if (this.backlog.length > 0 || !this.tryProduce(rec, cb)) this.backlog.push({ rec, cb });
    this.startPolling();
  }

  /** Promise form of send, for low-rate writes (internal topics, dead letters). */
  sendAsync(rec: ProducerRecord): Promise<number | undefined> {
    return new Promise((resolve, reject) => this.send(rec, (err, offset) => (err ? reject(err) : resolve(offset))));
  }

  get pending(): number {
    return this.inFlight + this.backlog.length;
  }

  get client(): Kafka.Producer {
    return this.producer;
  }

  private tryProduce(rec: ProducerRecord, cb: DeliveryCallback): boolean {
    // The pipeline refuses such headers before they get here; this keeps any other writer from altering data.
    for (const h of rec.headers) {
      if (Buffer.isBuffer(h.value) && !headerBytesFit(h.value)) {
        cb(new RecordError(`header ${h.key}: binary values that are not UTF-8 text would reach Kafka altered`));
        return true;
      }
    }
    try {
      this.producer.produce(
        rec.topic,
        rec.partition ?? null,
        rec.value,
        rec.key ?? undefined,
        rec.timestamp ?? Date.now(),
        cb,
        rec.headers.length > 0 ? clientHeaders(rec.headers) : undefined,
      );
      this.inFlight++;
      return true;
    } catch (e) {
      if ((e as { code?: number }).code === QUEUE_FULL) return false;
      cb(deliveryError(e instanceof Error ? e : new Error(String(e)), true));
      return true;
    }
  }

  private drainBacklog(): void {
    while (this.backlog.length > 0) {
      const head = this.backlog[0]!;
      if (!this.tryProduce(head.rec, head.cb)) return;
      this.backlog.shift();
    }
  }

  private startPolling(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => {
      try {
        this.producer.poll();
      } catch {
        /* not connected: reports come after reconnect */
      }
      this.drainBacklog();
      this.maybeStopPolling();
    }, 1);
  }

  private maybeStopPolling(): void {
    if (this.inFlight === 0 && this.backlog.length === 0 && this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
    }
  }

  /** Waits up to `timeoutMs` for records in flight, then disconnects. Idempotent. */
  stop(timeoutMs = 10_000): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.started) return;
      const deadline = Date.now() + timeoutMs;
      this.startPolling();
      while (this.pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      for (const { cb } of this.backlog.splice(0)) cb(new UnavailableError('the producer stopped before sending'));
      if (this.pollTimer) clearInterval(this.pollTimer);
      this.pollTimer = undefined;
      await new Promise<void>((resolve) => this.producer.disconnect(() => resolve()));
    })();
    return this.stopping;
  }
}
