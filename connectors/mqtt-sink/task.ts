import mqtt, { UniqueMessageIdProvider, type MqttClient } from 'mqtt';
import {
  FerryError,
  RecordError,
  TaskFailedError,
  UnavailableError,
  type Logger,
  type SinkRecord,
  type SinkTask,
  type SinkTaskContext,
} from '../../runtime/api';
import { attachReconnectBackoff, backoffDelayMs, clientIdOfTask, mqttClientOptions } from '../mqtt-common';
import type { SinkSettings } from './config';
import { OrderedRetries } from './ordered-retries';
import { renderRecord, type PublishMessage } from './render';

/** CONNACK reason codes that no retry will fix (3.1.1 codes 1–5, MQTT 5 codes 0x80 and up). */
const FATAL_CONNACK_CODES = new Set([1, 2, 4, 5, 0x84, 0x85, 0x86, 0x87, 0x8a, 0x8c]);
/** PUBACK/PUBREC reason codes meaning "not now" rather than "never": the record goes to the error policy as retriable. */
const TRANSIENT_PUBLISH_CODES = new Set([0x83, 0x89, 0x96, 0x97]);
/** A PUBACK/PUBREC success code: accepted, but no subscription matched the topic. */
const NO_MATCHING_SUBSCRIBERS = 0x10;
const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 10_000;
/** How long a stop without the runtime's signal waits for the broker to close the connection. */
const STANDALONE_STOP_MS = 5_000;

type State = 'NEW' | 'RUNNING' | 'STOPPING' | 'STOPPED';

interface Pending {
  readonly record: SinkRecord;
  readonly message: PublishMessage;
}

/** Retries and the records held behind them are queued per Kafka partition, whose order they keep. */
function partitionOf(record: SinkRecord): string {
  return `${record.topic}/${record.kafkaPartition}`;
}

/**
 * Publishes Kafka records to MQTT. A record is acknowledged to the runtime (whose ledger then lets its offset be
 * committed) only once the broker has it: PUBACK for QoS 1, PUBCOMP for QoS 2, written to the socket for QoS 0.
 *
 * - Window: at most `mqtt.max.in.flight` publishes await the broker; `put` returns only when there is room, which
 *   is the back-pressure on the Kafka consumer.
 * - Broker down: the task pauses consumption; mqtt.js keeps the unacknowledged QoS 1/2 publishes in its store and
 *   resends them on the next connection (doubling back-off, next URI each time); nothing is acknowledged before the
 *   broker really accepted it, and each record is acknowledged exactly once.
 * - A record that cannot be rendered, or that the broker refuses (reason code ≥ 0x80), is rejected to the error
 *   policy; `put` never throws for one record.
 * - Order: records are published in the order given, so per-partition order holds on the connection; a failed
 *   publish is retried ahead of the partition's later records, which wait behind it ({@link OrderedRetries}).
 */
export class MqttSinkTask implements SinkTask<SinkSettings> {
  private ctx: SinkTaskContext<SinkSettings> | undefined;
  private log: Logger | undefined;
  private settings: SinkSettings | undefined;
  private client: MqttClient | undefined;
  private detachBackoff: (() => void) | undefined;
  private state: State = 'NEW';
  private stopPromise: Promise<void> | undefined;
  /** Published, waiting for the broker. */
  private inFlight = 0;
  /** Handed over by `put`, not yet acked or rejected. */
  private outstanding = 0;
  private paused = false;
  private connectedOnce = false;
  private roomWaiters: (() => void)[] = [];
  private idleWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private readonly retries = new OrderedRetries<Pending>({
    send: (p, attempt) => this.publish(p.record, p.message, attempt, true),
    delayMs: (attempt) => backoffDelayMs(attempt - 1, RETRY_BASE_MS, RETRY_MAX_MS),
  });

  async start(ctx: SinkTaskContext<SinkSettings>): Promise<void> {
    if (this.state !== 'NEW') throw new TaskFailedError('an MQTT sink task can only be started once');
    this.ctx = ctx;
    this.log = ctx.logger;
    const settings = ctx.settings;
    this.settings = settings;
    const { connection } = settings;
    const clientId = clientIdOfTask(ctx.rawConfig, connection.clientIdPrefix, ctx.connector, ctx.taskId);
    const options = mqttClientOptions(connection, clientId);
    // The default provider hands out ids round-robin without checking which are still pending: a slow PUBACK could
    // have its id reused and its callback overwritten. This one never hands out an id in use.
    options.messageIdProvider = new UniqueMessageIdProvider();
    const client = mqtt.connect(options);
    this.client = client;
    this.detachBackoff = attachReconnectBackoff(client, connection);
    this.state = 'RUNNING';
    ctx.signal.addEventListener('abort', () => this.wakeAll(), { once: true });

    client.on('connect', (connack) => {
      this.connectedOnce = true;
      this.log?.info({ clientId, sessionPresent: connack.sessionPresent, inFlight: this.inFlight }, 'MQTT connected');
      if (this.paused) {
        this.paused = false;
        ctx.resume();
      }
    });
    client.on('close', () => {
      // Before the first CONNACK start() is still waiting and nothing has been consumed: nothing to pause.
      if (this.state !== 'RUNNING' || this.paused || !this.connectedOnce) return;
      this.paused = true;
      // Stop fetching until the broker is back; publishes in flight stay in mqtt.js's store and are resent.
      ctx.pause();
      this.log?.warn({ clientId, inFlight: this.inFlight }, 'MQTT connection lost; consumption paused');
    });
    client.on('error', (err) => this.log?.warn({ clientId, err: err.message }, 'MQTT client error'));
    client.on('packetreceive', (packet) => {
      // 0x10 "no matching subscribers": the broker accepted the message (it stays delivered), but nobody got it; the
      // publish callback cannot tell it from success, so it is counted where the ack is read.
      const ack = packet.cmd === 'puback' || packet.cmd === 'pubrec';
      if (ack && packet.reasonCode === NO_MATCHING_SUBSCRIBERS) ctx.metrics.count('no_subscribers');
    });

    try {
      await this.firstConnect(client, connection.connectTimeoutMs, ctx.signal);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Waits for the first CONNACK: a task that cannot reach its broker at all fails visibly instead of idling. */
  private firstConnect(client: MqttClient, timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let lastError: Error | undefined;
      const cleanup = (): void => {
        clearTimeout(timer);
        client.off('connect', onConnect);
        client.off('error', onError);
        signal.removeEventListener('abort', onAbort);
      };
      const onConnect = (): void => {
        cleanup();
        resolve();
      };
      const onError = (err: Error & { code?: unknown }): void => {
        lastError = err;
        if (typeof err.code === 'number' && FATAL_CONNACK_CODES.has(err.code)) {
          cleanup();
          reject(new TaskFailedError(`the MQTT broker refused the connection: ${err.message}`, { cause: err }));
        }
      };
      const onAbort = (): void => {
        cleanup();
        reject(new FerryError('TIMEOUT', 'task stopped before the MQTT broker connected'));
      };
      const timer = setTimeout(() => {
        cleanup();
        const why = lastError ? `: ${lastError.message}` : '';
        reject(
          new UnavailableError(`no connection to the MQTT broker within ${timeoutMs} ms${why}`, { cause: lastError }),
        );
      }, timeoutMs);
      client.on('connect', onConnect);
      client.on('error', onError);
      signal.addEventListener('abort', onAbort, { once: true });
      client.connect();
    });
  }

  async put(records: readonly SinkRecord[]): Promise<void> {
    const ctx = this.requireRunning();
    const settings = this.settings as SinkSettings;
    // `consumed` is the runtime's count of records read from Kafka: counting them here too doubled it.
    this.outstanding += records.length;
    for (const record of records) {
      let message: PublishMessage | null;
      try {
        message = renderRecord(record, settings);
      } catch (err) {
        this.rejectRecord(record, err);
        continue;
      }
      if (message === null) {
        ctx.metrics.count('skipped');
        this.ackRecord(record);
        continue;
      }
      if (this.inFlight >= settings.maxInFlight) await this.waitForRoom();
      if (this.state !== 'RUNNING' || ctx.signal.aborted) return;
      const partition = partitionOf(record);
      if (this.retries.holds(partition)) {
        // Behind a retry of its partition: it takes its window slot now and goes out after the retry got through.
        this.inFlight++;
        this.retries.add(partition, { record, message }, record.kafkaOffset, 0);
        continue;
      }
      this.publish(record, message, 0, false);
    }
    if (this.inFlight >= settings.maxInFlight) await this.waitForRoom();
  }

  /** `queued`: sent from the retry queue, whose window slot is already counted and which hears of the outcome. */
  private publish(record: SinkRecord, message: PublishMessage, attempt: number, queued: boolean): void {
    const client = this.client as MqttClient;
    if (!queued) this.inFlight++;
    this.ctx?.metrics.gauge('in_flight', this.inFlight);
    const partition = partitionOf(record);
    let called = false;
    client.publish(message.topic, message.payload, { ...message.options }, (err) => {
      // mqtt.js calls back once per publish; the guard keeps a record from being acked twice if that ever changes.
      if (called) return;
      called = true;
      if (this.state !== 'RUNNING') return; // not acked: its offset is not committed, Kafka delivers it again
      const code = (err as { code?: unknown } | undefined)?.code;
      if (err && !(typeof code === 'number' && code >= 0x80)) {
        // Not the broker's verdict on this message (e.g. the socket failed under a QoS 0 write): publish it again,
        // ahead of the partition's later records. Its window slot stays taken meanwhile so the bound holds.
        this.log?.debug({ err: err.message, attempt }, 'publish failed; retrying');
        if (queued) this.retries.headFailed(partition);
        else this.retries.add(partition, { record, message }, record.kafkaOffset, attempt + 1);
        return;
      }
      this.inFlight--;
      if (!err) {
        this.ctx?.metrics.count('published');
        this.ackRecord(record);
      } else {
        const hex = `0x${(code as number).toString(16)}`;
        this.rejectRecord(
          record,
          new RecordError(`the broker refused the publish to "${message.topic}": ${err.message} (reason code ${hex})`, {
            cause: err,
            retriable: TRANSIENT_PUBLISH_CODES.has(code as number),
          }),
        );
      }
      if (queued) this.retries.headDone(partition);
    });
  }

  private ackRecord(record: SinkRecord): void {
    this.outstanding--;
    this.ctx?.ack(record);
    this.settle();
  }

  private rejectRecord(record: SinkRecord, err: unknown): void {
    this.outstanding--;
    this.ctx?.metrics.count('failed');
    const error =
      err instanceof Error ? err : new RecordError(`cannot publish the record: ${String(err)}`, { cause: err });
    this.log?.debug(
      { topic: record.topic, partition: record.kafkaPartition, offset: record.kafkaOffset, err: error.message },
      'record rejected',
    );
    this.ctx?.reject(record, error);
    this.settle();
  }

  private settle(): void {
    const settings = this.settings as SinkSettings;
    this.ctx?.metrics.gauge('in_flight', this.inFlight);
    if (this.inFlight < settings.maxInFlight && this.roomWaiters.length > 0) {
      const waiters = this.roomWaiters;
      this.roomWaiters = [];
      waiters.forEach((w) => w());
    }
    if (this.outstanding === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((w) => w.resolve());
    }
  }

  private waitForRoom(): Promise<void> {
    return new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  async flush(signal: AbortSignal): Promise<void> {
    this.requireRunning();
    if (this.outstanding === 0) return;
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== waiter);
        reject(
          new FerryError('TIMEOUT', `flush aborted with ${this.outstanding} records not yet accepted by the broker`),
        );
      };
      const waiter = {
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err: Error) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.idleWaiters.push(waiter);
    });
  }

  /**
   * Ends the connection. Records not yet accepted by the broker are neither acked nor rejected. Idempotent. When
   * `signal` aborts (the runtime's stop budget ran out) the socket is dropped instead of waiting for the broker to
   * close it: a broker that stopped answering would otherwise hold the stop.
   */
  stop(signal?: AbortSignal): Promise<void> {
    this.stopPromise ??= this.doStop(signal);
    return this.stopPromise;
  }

  private async doStop(signal: AbortSignal | undefined): Promise<void> {
    // Stopped outside a runtime stop (e.g. a start that failed): the disconnect still may not take forever.
    signal ??= AbortSignal.timeout(STANDALONE_STOP_MS);
    this.state = 'STOPPING';
    this.wakeAll();
    this.retries.clear();
    try {
      this.detachBackoff?.();
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, 'detaching the reconnect back-off failed');
    }
    const client = this.client;
    if (client) {
      // A graceful DISCONNECT only when nothing is pending; otherwise mqtt.js would wait for acks that may never come.
      const force = this.inFlight > 0 || !client.connected;
      await new Promise<void>((resolve) => {
        const cut = (): void => {
          this.log?.warn({ inFlight: this.inFlight }, 'MQTT disconnect did not finish in time; connection dropped');
          client.stream?.destroy();
          resolve();
        };
        if (signal?.aborted) return cut();
        signal?.addEventListener('abort', cut, { once: true });
        client.end(force, {}, () => {
          signal?.removeEventListener('abort', cut);
          resolve();
        });
      });
    }
    this.state = 'STOPPED';
  }

  /** Releases `put` and `flush` callers when the task stops. */
  private wakeAll(): void {
    const room = this.roomWaiters;
    this.roomWaiters = [];
    room.forEach((w) => w());
    const idle = this.idleWaiters;
    this.idleWaiters = [];
    idle.forEach((w) => w.reject(new FerryError('TIMEOUT', 'the task is stopping')));
  }

  private requireRunning(): SinkTaskContext<SinkSettings> {
    if (this.state !== 'RUNNING' || !this.ctx) throw new TaskFailedError(`the MQTT sink task is ${this.state}`);
    return this.ctx;
  }
}
