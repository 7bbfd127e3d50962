import mqtt from 'mqtt';
import {
  configString,
  type ConfigValues,
  type Connector,
  type ConnectorContext,
  type Logger,
  type RawConfig,
} from '../../runtime/api';
import { mqttClientOptions, taskClientId } from '../mqtt-common';
import { parseSinkSettings } from './config';
import { TASK_CLIENT_ID_KEY } from './task';

/** Splits the sink into tasks; the runtime's consumer group shares the Kafka partitions among them. */
export class MqttSinkConnector implements Connector {
  private raw: RawConfig = {};
  private name = '';
  private prefix = 'ferry';

  start(config: ConfigValues, raw: RawConfig, ctx: ConnectorContext): Promise<void> {
    parseSinkSettings(config);
    this.raw = raw;
    this.name = ctx.name;
    this.prefix = configString(config, 'mqtt.client.id.prefix') ?? 'ferry';
    return Promise.resolve();
  }

  taskConfigs(maxTasks: number): RawConfig[] {
    return Array.from({ length: Math.max(1, maxTasks) }, (_, i) => ({
      ...this.raw,
      [TASK_CLIENT_ID_KEY]: taskClientId(this.prefix, this.name, i),
    }));
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Ends the broker sessions of tasks that went away: connects once more with each task's client id, Clean Start and a
 * Session Expiry of 0, then disconnects, so the broker forgets the session (and QoS 2 state) at once instead of
 * keeping it for mqtt.session.expiry.seconds.
 */
export async function releaseSinkSessions(taskConfigs: readonly RawConfig[], logger: Logger): Promise<void> {
  for (const raw of taskConfigs) {
    const clientId = raw[TASK_CLIENT_ID_KEY];
    if (clientId === undefined) continue;
    const options = mqttClientOptions(raw, clientId);
    options.clean = true;
    options.reconnectPeriod = 0;
    options.manualConnect = false;
    if (options.protocolVersion === 5) options.properties = { sessionExpiryInterval: 0 };
    const client = mqtt.connect(options);
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), options.connectTimeout ?? 30_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
      client.once('close', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    await client.endAsync(!connected).catch(() => undefined);
    if (connected) logger.info({ clientId }, 'released the MQTT session of a removed task');
    else logger.warn({ clientId }, 'could not reach the MQTT broker to release the session of a removed task');
  }
}
