import mqtt from 'mqtt';
import {
  configList,
  configString,
  type ConfigValues,
  type Connector,
  type ConnectorContext,
  type Logger,
  type RawConfig,
  type SourceConnectorPlugin,
} from '../../runtime/api';
import { mqttClientOptions, taskClientId } from '../mqtt-common';
import { TASK_KEYS, mqttSourceConfig, shareGroupName, taskFilters, validateMqttSource } from './config';
import { MqttSourceTask } from './task';

/**
 * Splits the work: with one task it subscribes to the filters as given; with more, every task subscribes to
 * `$share/<group>/<filter>` so the broker spreads the messages over them. Each task gets a stable client id derived
 * from connector and task, so a restarted task resumes its own broker session.
 */
export class MqttSourceConnector implements Connector {
  private raw: RawConfig = {};
  private name = '';

  start(_config: ConfigValues, raw: RawConfig, ctx: ConnectorContext): Promise<void> {
    this.raw = raw;
    this.name = ctx.name;
    return Promise.resolve();
  }

  taskConfigs(maxTasks: number): RawConfig[] {
    const n = Math.max(1, Math.trunc(maxTasks));
    const prefix = configString(this.raw, 'mqtt.client.id.prefix') ?? 'ferry';
    const filters = configList(this.raw, 'mqtt.topics');
    const group = n > 1 ? shareGroupName(configString(this.raw, 'mqtt.share.group') ?? this.name) : undefined;
    const subscriptions = taskFilters(filters, group).join(',');
    return Array.from({ length: n }, (_, taskId) => ({
      ...this.raw,
      [TASK_KEYS.clientId]: taskClientId(prefix, this.name, taskId),
      [TASK_KEYS.filters]: subscriptions,
    }));
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Ends the persistent MQTT sessions of tasks that went away for good, so the broker frees what it queued for them:
 * connect with the task's client id, Clean Start and (MQTT 5) Session Expiry 0, then disconnect. A re-created
 * connector therefore starts fresh, like its offsets.
 */
export async function releaseMqttSourceTasks(taskConfigs: readonly RawConfig[], logger: Logger): Promise<void> {
  for (const config of taskConfigs) {
    const clientId = configString(config, TASK_KEYS.clientId);
    if (!clientId) {
      logger.warn({}, 'task config without an MQTT client id; no session to release');
      continue;
    }
    try {
      const options = mqttClientOptions(config, clientId);
      options.clean = true;
      options.reconnectPeriod = 0;
      options.manualConnect = false;
      if (options.protocolVersion === 5) options.properties = { sessionExpiryInterval: 0 };
      await endSession(options);
      logger.info({ clientId }, 'ended the MQTT session of a removed task');
    } catch (err) {
      logger.warn({ clientId, err: (err as Error).message }, 'could not end the MQTT session of a removed task');
    }
  }
}

/** One clean connection, then a normal disconnect; rejects on error, refusal, or no CONNACK within the timeout. */
async function endSession(options: ReturnType<typeof mqttClientOptions>): Promise<void> {
  const client = mqtt.connect(options);
  // mqtt.js throws on an 'error' event nobody listens to; failures are reported through the promise below.
  client.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no CONNACK within ${options.connectTimeout ?? 30000} ms`)),
        options.connectTimeout ?? 30000,
      );
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      client.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      client.once('close', () => {
        clearTimeout(timer);
        reject(new Error('connection closed before CONNACK'));
      });
    });
    await client.endAsync();
  } finally {
    client.end(true);
  }
}

export const mqttSourcePlugin: SourceConnectorPlugin = {
  type: 'source',
  className: 'MqttSourceConnector',
  aliases: ['io.ferry.connect.mqtt.MqttSourceConnector'],
  version: '0.1.0',
  description:
    'Reads MQTT 3.1.1/5 topic filters into Kafka; acknowledges a QoS 1/2 message only after Kafka has its record.',
  config: mqttSourceConfig,
  validate: validateMqttSource,
  createConnector: () => new MqttSourceConnector(),
  createTask: () => new MqttSourceTask(),
  releaseTasks: releaseMqttSourceTasks,
};
