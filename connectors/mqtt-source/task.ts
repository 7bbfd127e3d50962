import type { ConnectionOptions } from 'node:tls';
import {
  configList,
  configNumber,
  configString,
  type ConfigValues,
  type Logger,
  type SourceTask,
  type SourceTaskContext,
  TaskFailedError,
} from '../../runtime/api';
import { mqttClientOptions, taskClientId } from '../mqtt-common';
import {
  DEFAULT_MAX_IN_FLIGHT,
  TASK_KEYS,
  compileSourceTemplates,
  fetchValueSchema,
  loadValueSchema,
  schemaRegistryUrl,
  type ValueFormat,
} from './config';
import { PARTITION_KEY, RecordMapper } from './mapping';
import { SubscriberSession, type InboundMessage, type Complete, type SessionOptions } from './session';

/**
 * Session options from the connector's configuration. Reuses mqtt-common's `mqttClientOptions` for everything the
 * keys mean (servers, credentials, TLS files, keepalive, timeouts, clean start, session expiry) so the source and
 * sink read the keys identically; only the transport is this connector's own session.
 */
export function sessionOptionsFrom(
  values: ConfigValues,
  clientId: string,
  subscriptions: SessionOptions['subscriptions'],
): SessionOptions {
  const o = mqttClientOptions(values, clientId);
  const tlsOptions: ConnectionOptions = {};
  if (o.ca !== undefined) tlsOptions.ca = o.ca;
  if (o.cert !== undefined) tlsOptions.cert = o.cert;
  if (o.key !== undefined) tlsOptions.key = o.key as ConnectionOptions['key'];
  if (o.passphrase !== undefined) tlsOptions.passphrase = o.passphrase;
  if (o.checkServerIdentity !== undefined) tlsOptions.checkServerIdentity = o.checkServerIdentity;
  tlsOptions.rejectUnauthorized = true;
  const reconnectMinMs = configNumber(values, 'mqtt.reconnect.backoff.ms') ?? 1000;
  return {
    servers: (o.servers ?? []).map((s) => ({
      host: s.host ?? '127.0.0.1',
      port: s.port ?? 1883,
      tls: s.protocol === 'mqtts',
    })),
    protocolVersion: o.protocolVersion === 4 ? 4 : 5,
    clientId,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: Buffer.from(o.password) } : {}),
    tls: tlsOptions,
    keepaliveSeconds: o.keepalive ?? 30,
    connectTimeoutMs: o.connectTimeout ?? 30_000,
    reconnectMinMs,
    reconnectMaxMs: Math.max(reconnectMinMs, configNumber(values, 'mqtt.reconnect.backoff.max.ms') ?? 30_000),
    cleanStart: o.clean ?? false,
    sessionExpirySeconds: o.properties?.sessionExpiryInterval ?? 0,
    maxInFlight: configNumber(values, 'mqtt.max.in.flight') ?? DEFAULT_MAX_IN_FLIGHT,
    subscriptions,
  };
}

/**
 * One MQTT source task: a subscriber session whose messages become records sent through `ctx.send`; a QoS 1/2
 * message is acknowledged to the broker only when its record and every earlier one are in Kafka.
 *
 * `start` connects in the background and returns: a broker that is down keeps the task RUNNING and retrying with
 * back-off; the error is logged, counted (`connection_errors`) and kept in {@link lastError} for status.
 */
export class MqttSourceTask implements SourceTask {
  private session: SubscriberSession | undefined;
  private ctx: SourceTaskContext | undefined;
  private log: Logger | undefined;
  private stopped = false;

  /** The last connection error (undefined while connected), for the task's status. */
  get lastError(): Error | undefined {
    return this.session?.lastError;
  }

  /** Messages read and not yet acknowledged. */
  get inFlight(): number {
    return this.session?.inFlight ?? 0;
  }

  async start(ctx: SourceTaskContext): Promise<void> {
    this.ctx = ctx;
    const values = ctx.config;
    const log = ctx.logger.child({ component: 'mqtt-source' });
    this.log = log;
    const clientId =
      configString(values, TASK_KEYS.clientId) ??
      taskClientId(configString(values, 'mqtt.client.id.prefix') ?? 'ferry', ctx.connector, ctx.taskId);
    const filters = configList(values, 'mqtt.topics');
    const subscribed = configList(values, TASK_KEYS.filters);
    const subscriptions = subscribed.length > 0 ? subscribed : filters;
    const qos = (configNumber(values, 'mqtt.qos') ?? 1) as 0 | 1 | 2;
    const format = (configString(values, 'mqtt.value.format') ?? 'envelope') as ValueFormat;
    const schemaFile = configString(values, 'mqtt.value.schema.file');

    const initialCounts = new Map<string, number>();
    for (const f of filters) {
      const stored = await ctx.offset({ [PARTITION_KEY]: f }).catch(() => null);
      const count = stored?.['count'];
      if (typeof count === 'number') initialCounts.set(f, count);
    }
    const subject = configString(values, 'mqtt.value.schema.subject');
    const registryUrl = schemaRegistryUrl(values);
    const valueSchema =
      format !== 'json'
        ? undefined
        : schemaFile
          ? loadValueSchema(schemaFile, ctx.schemas)
          : subject && registryUrl
            ? await fetchValueSchema(registryUrl, subject, ctx.schemas, ctx.signal)
            : undefined;
    const mapper = new RecordMapper({
      templates: compileSourceTemplates(values),
      valueFormat: format,
      ...(valueSchema ? { valueSchema } : {}),
      filters,
      initialCounts,
    });

    const options = sessionOptionsFrom(
      values,
      clientId,
      subscriptions.map((topic) => ({ topic, qos })),
    );
    const session = new SubscriberSession(options, (message, complete) => this.onMessage(mapper, message, complete));
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
    log.info({ clientId, subscriptions, qos, format }, 'MQTT source task started');
  }

  private onMessage(mapper: RecordMapper, message: InboundMessage, complete: Complete): void {
    const ctx = this.ctx;
    if (!ctx) return;
    // received / written / failed are counted by the runtime's source runner for every source connector; this
    // task adds what only it knows: acknowledged, in_flight and the connection counters.
    ctx.metrics.gauge('in_flight', this.session?.inFlight ?? 0);
    // The callback keeps the topic, not the message: a record waiting for Kafka should not hold its payload twice.
    const topic = message.topic;
    try {
      ctx.send(mapper.toRecord(message), (err) => {
        if (err) {
          this.log?.error({ err: err.message, topic }, 'record not delivered; its MQTT message stays unacknowledged');
        }
        complete(err);
      });
    } catch (err) {
      // A runtime that refuses the record outright: never acknowledge it.
      complete(err instanceof Error ? err : new Error(String(err)));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const session = this.session;
    if (!session) return;
    // Held acks are dropped with the connection: the broker redelivers those messages to the next task.
    await session.stop();
    this.ctx?.metrics.gauge('in_flight', 0);
  }
}
