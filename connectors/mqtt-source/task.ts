import {
  TaskFailedError,
  type Logger,
  type SourceRecord,
  type SourceTask,
  type SourceTaskContext,
} from '../../runtime/api';
import { clientIdOfTask, tlsOptions } from '../mqtt-common';
import { fetchValueSchema, loadValueSchema, shareGroupName, taskFilters, type SourceSettings } from './config';
import { parseDedup } from './dedup';
import { DedupGate, type Identity } from './dedup-gate';
import { PARTITION_KEY, PayloadView, RecordMapper } from './mapping';
import { RetiringSession } from './retiring-session';
import type { Complete, InboundMessage, SessionOptions } from './session-types';

/**
 * The source partition under which a task stores what its broker session is subscribed to (offset
 * `{"subscriptions": "<JSON array>"}`): MQTT cannot list a session's subscriptions, and a resumed session keeps them.
 */
export const sessionPartition = (clientId: string) => ({ 'mqtt.session': clientId });

/** The stored subscriptions of a session, or undefined when none (or unreadable) are stored. */
export function storedSubscriptions(offset: Readonly<Record<string, unknown>> | null): string[] | undefined {
  const text = offset?.['subscriptions'];
  if (typeof text !== 'string') return undefined;
  try {
    const list: unknown = JSON.parse(text);
    return Array.isArray(list) && list.every((t) => typeof t === 'string') ? list : undefined;
  } catch {
    return undefined;
  }
}

/**
 * For a session stored before subscriptions were recorded: what an earlier `tasks.max` of this connector subscribed
 * (the plain filters, or shared ones under the connector's name or the configured group).
 */
function staleCandidates(settings: SourceSettings, connector: string, group: string | undefined): string[] {
  const groups = [connector, ...(group !== undefined ? [group] : [])].map(shareGroupName);
  return [...settings.filters, ...groups.flatMap((g) => taskFilters(settings.filters, g))];
}

/**
 * Session options from the task's settings: the connection keys as mqtt-common parses them for the sink too; only
 * the transport is this connector's own session. TLS files are read only when a server uses TLS.
 */
export function sessionOptionsFrom(settings: SourceSettings, clientId: string): SessionOptions {
  const c = settings.connection;
  return {
    servers: c.servers.map((s) => ({ host: s.host, port: s.port, tls: s.protocol === 'mqtts' })),
    protocolVersion: c.protocolVersion,
    clientId,
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: Buffer.from(c.password) } : {}),
    ...(c.servers.some((s) => s.protocol === 'mqtts') ? { tls: tlsOptions(c) } : {}),
    keepaliveSeconds: c.keepaliveSeconds,
    connectTimeoutMs: c.connectTimeoutMs,
    reconnectMinMs: c.reconnectBackoffMs,
    reconnectMaxMs: c.reconnectBackoffMaxMs,
    cleanStart: c.cleanStart,
    sessionExpirySeconds: c.sessionExpirySeconds,
    maxInFlight: settings.maxInFlight,
    maxPacketBytes: settings.maxPacketBytes,
    subscriptions: settings.subscriptions.map((topic) => ({ topic, qos: settings.qos })),
  };
}

/**
 * One MQTT source task: a subscriber session whose messages become records sent through `ctx.send`; a QoS 1/2
 * message is acknowledged to the broker only when its record and every earlier one are in Kafka.
 *
 * `start` connects in the background and returns: a broker that is down keeps the task RUNNING and retrying with
 * back-off; the error is logged, counted (`connection_errors`) and kept in {@link lastError} for status.
 */
export class MqttSourceTask implements SourceTask<SourceSettings> {
  private session: RetiringSession | undefined;
  private ctx: SourceTaskContext<SourceSettings> | undefined;
  private log: Logger | undefined;
  private stopped = false;
  private dedup: DedupGate | undefined;

  /** The last connection error (undefined while connected), for the task's status. */
  get lastError(): Error | undefined {
    return this.session?.lastError;
  }

  /** Messages read and not yet acknowledged. */
  get inFlight(): number {
    return this.session?.inFlight ?? 0;
  }

  async start(ctx: SourceTaskContext<SourceSettings>): Promise<void> {
    this.ctx = ctx;
    const { settings } = ctx;
    const log = ctx.logger.child({ component: 'mqtt-source' });
    this.log = log;
    const clientId = clientIdOfTask(ctx.rawConfig, settings.connection.clientIdPrefix, ctx.connector, ctx.taskId);
    const { filters, valueFormat: format, valueSchemaFile: schemaFile, valueSchemaSubject: subject } = settings;
    const registryUrl = settings.valueSchemaRegistryUrl;

    const initialCounts = new Map<string, number>();
    for (const f of filters) {
      const stored = await ctx.offset({ [PARTITION_KEY]: f }).catch(() => null);
      const count = stored?.['count'];
      if (typeof count === 'number') initialCounts.set(f, count);
    }
    const valueSchema =
      format !== 'json'
        ? undefined
        : schemaFile
          ? loadValueSchema(schemaFile, ctx.schemas)
          : subject && registryUrl
            ? await fetchValueSchema(registryUrl, subject, ctx.schemas, ctx.signal)
            : undefined;
    const mapper = new RecordMapper({
      templates: settings.templates,
      valueFormat: format,
      ...(valueSchema ? { valueSchema } : {}),
      filters,
      initialCounts,
    });

    const dedupSettings = parseDedup(ctx.config);
    if (dedupSettings) {
      // Before connecting: a resumed session's queue is delivered at once and must meet the committed marks.
      this.dedup = new DedupGate(dedupSettings);
      const devices = this.dedup.load(ctx.offsets ? await ctx.offsets() : []);
      log.info({ devices }, 'de-duplication marks loaded');
    }

    const partition = sessionPartition(clientId);
    const previous = storedSubscriptions(await ctx.offset(partition).catch(() => null));
    const options: SessionOptions = {
      ...sessionOptionsFrom(settings, clientId),
      ...(previous
        ? { previousSubscriptions: previous }
        : { staleCandidates: staleCandidates(settings, ctx.connector, ctx.rawConfig['mqtt.share.group']) }),
    };
    const session = new RetiringSession(options, (message, complete) => this.onMessage(mapper, message, complete));
    let stored = previous ? JSON.stringify([...previous].sort()) : undefined;
    session.on('subscriptionsSettled', (topics) => {
      const text = JSON.stringify(topics);
      if (text === stored || !ctx.storeOffset) return;
      stored = text;
      ctx.storeOffset(partition, { subscriptions: text }).catch((err: unknown) => {
        stored = undefined;
        log.warn({ err: (err as Error).message }, 'could not store the session subscriptions; kept for the next try');
      });
    });
    session.on('connected', ({ server, sessionPresent }) => {
      log.info({ server, clientId, sessionPresent }, 'connected to the MQTT broker');
      ctx.metrics.count('connects');
    });
    session.on('disconnected', (reason) => log.warn({ err: reason?.message }, 'MQTT connection lost; reconnecting'));
    session.on('connectionError', (err) => {
      log.warn({ err: err.message, clientId }, 'MQTT connection attempt failed; retrying with back-off');
      ctx.metrics.count('connection_errors');
    });
    session.on('subscribed', ({ topics }) => {
      log.info({ topics }, 'subscribed');
      ctx.metrics.count('subscribes');
    });
    session.on('subscribeFailed', ({ topic, code }) => {
      log.error({ topic, code }, 'the broker refused a subscription');
      ctx.metrics.count('subscribe_errors');
    });
    session.on('subscriptionDowngraded', ({ topic, asked, granted }) => {
      log.warn({ topic, asked, granted }, 'the broker granted a lower QoS than asked');
      ctx.metrics.count('subscribe_downgrades');
    });
    session.on('failed', (err) => {
      log.error({ err: err.message, clientId }, 'the MQTT session cannot go on');
      ctx.fail(new TaskFailedError(err.message, { cause: err }));
    });
    session.on('acknowledged', (n) => {
      ctx.metrics.count('acknowledged', n);
      ctx.metrics.gauge('in_flight', session.inFlight);
    });
    this.session = session;
    if (this.stopped) return;
    // The runtime calls start() once the Kafka side takes records, so connecting here is what keeps a resumed
    // session's queue from being acknowledged before anyone can write it.
    session.start();
    log.info(
      { clientId, subscriptions: settings.subscriptions, qos: settings.qos, format },
      'MQTT source task started',
    );
  }

  private onMessage(mapper: RecordMapper, message: InboundMessage, complete: Complete): void {
    const ctx = this.ctx;
    if (!ctx) return;
    // received / written / failed are counted by the runtime's source runner for every source connector; this
    // task adds what only it knows: acknowledged, in_flight and the connection counters.
    ctx.metrics.gauge('in_flight', this.session?.inFlight ?? 0);
    if (message.oversizedBytes !== undefined) ctx.metrics.count('oversized');
    // The callback keeps the topic, not the message: a record waiting for Kafka should not hold its payload twice.
    const topic = message.topic;
    const payload = new PayloadView(message.payload);
    let record: SourceRecord;
    let id: Identity | undefined;
    if (this.dedup) {
      id = this.dedup.identify(message, payload);
      const verdict = id ? this.dedup.admit(id) : 'unkeyed';
      if (verdict === 'duplicate') {
        ctx.metrics.count('deduplicated');
        this.dedup.duplicate(id!, complete);
        return;
      }
      if (verdict !== 'new') ctx.metrics.count(verdict === 'restart' ? 'dedup_restarts' : 'dedup_unkeyed');
      record = mapper.toRecord(message, payload);
      // The device's mark is the record's source offset: written with it (in its transaction in exactly-once mode).
      if (id) record = { ...record, sourcePartition: this.dedup.partition(id.device), sourceOffset: { seq: id.seq } };
    } else record = mapper.toRecord(message, payload);
    const dedup = this.dedup;
    try {
      ctx.send(record, (err) => {
        if (err) {
          this.log?.error({ err: err.message, topic }, 'record not delivered; its MQTT message stays unacknowledged');
        }
        complete(err);
        if (id) dedup?.written(id, err);
      });
    } catch (err) {
      // A runtime that refuses the record outright: never acknowledge it.
      complete(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * `tasks.max` shrank and this task goes away: unsubscribe, and send what the broker queued for this session to
   * Kafka (acked as usual) before stop(), so that ending the session afterwards discards nothing (retiring-session.ts).
   */
  async retire(signal: AbortSignal): Promise<boolean> {
    const session = this.session;
    if (!session || this.stopped) return false;
    this.log?.info({}, 'leaving for good: unsubscribing and draining what the broker queued for this session');
    return session.retire(signal);
  }

  /**
   * The graceful stop's first step: no more messages are read, while the records already sent finish and their
   * messages are acknowledged. The runtime calls stop() once they did, or at its graceful timeout.
   */
  stopAdmitting(): void {
    this.session?.stopAdmitting();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const session = this.session;
    if (!session) return;
    // Acks still held (records not in Kafka in time) are dropped with the connection: the broker redelivers those
    // messages to the next task.
    await session.stop();
    this.ctx?.metrics.gauge('in_flight', 0);
  }
}
