import mqtt from 'mqtt';
import type { Logger, RawConfig } from '../../runtime/api';
import { TASK_CLIENT_ID_KEY } from './client-id';
import { mqttClientOptions, type MqttClientOptions } from './connection';
import { parseMqttConnection } from './settings';

/**
 * Ends the persistent MQTT sessions of tasks that went away for good, so the broker frees what it queued for them
 * at once instead of keeping it for mqtt.session.expiry.seconds: connect with the task's client id, Clean Start and
 * (MQTT 5) Session Expiry 0, then disconnect. A re-created connector therefore starts fresh, like its offsets.
 * Failures are logged, never thrown (the plugin API's `releaseTasks`).
 */
export async function releaseMqttSessions(taskConfigs: readonly RawConfig[], logger: Logger): Promise<void> {
  for (const config of taskConfigs) {
    const clientId = config[TASK_CLIENT_ID_KEY];
    if (!clientId) {
      logger.warn({}, 'task config without an MQTT client id; no session to release');
      continue;
    }
    try {
      const options = mqttClientOptions(parseMqttConnection(config), clientId);
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
async function endSession(options: MqttClientOptions): Promise<void> {
  const client = mqtt.connect(options);
  // mqtt.js throws on an 'error' event nobody listens to; failures are reported through the promise below.
  client.on('error', () => undefined);
  const timeoutMs = options.connectTimeout ?? 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
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
