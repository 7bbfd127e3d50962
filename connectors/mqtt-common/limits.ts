import { configNumber, configString, type ConfigIssue, type ConfigValues } from '../../runtime/api';
import { taskClientId } from './client-id';

/**
 * MQTT writes every string of a packet (client id, user name, topic filter) with a two-byte length, so one longer
 * than 65,535 bytes cannot be encoded at all: the encoder throws. Checked when a config is validated, so such a
 * config never reaches a task.
 */
export const MQTT_STRING_MAX_BYTES = 65535;

/** The MQTT 3.1.1 length a server must accept for a client id; longer ones are allowed but may be refused. */
export const MQTT_311_CLIENT_ID_SAFE_LENGTH = 23;

function tooLong(key: string, what: string, value: string): ConfigIssue[] {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes <= MQTT_STRING_MAX_BYTES) return [];
  return [{ key, message: `gives an MQTT ${what} of ${bytes} bytes; MQTT allows at most ${MQTT_STRING_MAX_BYTES}` }];
}

/**
 * The identifiers a task derives from the config and writes into CONNECT: the client id of every task (from
 * `mqtt.client.id.prefix` and the connector name), the user name and the password.
 */
export function mqttConnectIdIssues(values: ConfigValues): ConfigIssue[] {
  const name = configString(values, 'name') ?? '';
  const prefix = configString(values, 'mqtt.client.id.prefix') ?? 'ferry';
  const tasks = Math.max(1, Math.trunc(configNumber(values, 'tasks.max') ?? 1));
  // The longest id belongs to the task with the highest number.
  const clientId = taskClientId(prefix, name, tasks - 1);
  return [
    ...tooLong('mqtt.client.id.prefix', 'client id', clientId),
    ...tooLong('mqtt.username', 'user name', configString(values, 'mqtt.username') ?? ''),
    ...tooLong('mqtt.password', 'password', configString(values, 'mqtt.password') ?? ''),
  ];
}

/**
 * A subscription as a task writes it into SUBSCRIBE: with several tasks each filter becomes
 * `$share/<group>/<filter>`, so a long group (the connector name unless `mqtt.share.group` is set) can push a
 * valid filter past the limit. The issue goes on the key that made it long.
 */
export function mqttSubscriptionIssues(
  filters: readonly string[],
  group: string | undefined,
  groupKey: string,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const filter of filters) {
    const subscribed = group === undefined ? filter : `$share/${group}/${filter}`;
    const bytes = Buffer.byteLength(subscribed, 'utf8');
    if (bytes <= MQTT_STRING_MAX_BYTES) continue;
    const key = Buffer.byteLength(filter, 'utf8') > MQTT_STRING_MAX_BYTES / 2 ? 'mqtt.topics' : groupKey;
    issues.push({
      key,
      message: `gives a shared subscription of ${bytes} bytes ($share/<group>/<filter>); MQTT allows at most ${MQTT_STRING_MAX_BYTES}`,
    });
    break;
  }
  return issues;
}
