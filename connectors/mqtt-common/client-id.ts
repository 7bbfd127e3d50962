import { createHash } from 'node:crypto';

/** Brokers accept long ids (MQTT 5 has no limit below 65,535 bytes); keep ours short enough to read in broker logs. */
const MAX_ID_LENGTH = 100;
const UNSAFE = /[^A-Za-z0-9._-]/g;

/**
 * The MQTT client id of one task: `<prefix>-<connector>-<taskId>`. The same connector and task always get the same
 * id, so a restarted task resumes its broker session; different connectors or tasks never share one, because the
 * broker disconnects the older of two clients with the same id.
 *
 * Characters other than letters, digits, `.`, `_` and `-` are replaced by `_` (some brokers refuse them); when that
 * changed the name, or the id would be too long, a short hash of the original name keeps it unique.
 */
export function taskClientId(prefix: string, connector: string, taskId: number): string {
  const safePrefix = prefix.replace(UNSAFE, '_');
  const safeConnector = connector.replace(UNSAFE, '_');
  const suffix = `-${taskId}`;
  let id = `${safePrefix}-${safeConnector}${suffix}`;
  if (safeConnector !== connector || safePrefix !== prefix || id.length > MAX_ID_LENGTH) {
    const hash = createHash('sha256').update(`${prefix}\u0000${connector}`).digest('hex').slice(0, 8);
    const room = MAX_ID_LENGTH - suffix.length - hash.length - 2;
    id = `${`${safePrefix}-${safeConnector}`.slice(0, room)}-${hash}${suffix}`;
  }
  return id;
}

/**
 * Key the connectors add to each task config: the task's MQTT client id, so session release finds the sessions of
 * tasks that went away. Internal (not a user setting).
 */
export const TASK_CLIENT_ID_KEY = 'mqtt.task.client.id';

/** A task's client id: the one its connector stored in the task config, else derived as {@link taskClientId}. */
export function clientIdOfTask(
  rawConfig: Readonly<Record<string, string>>,
  prefix: string,
  connector: string,
  taskId: number,
): string {
  return rawConfig[TASK_CLIENT_ID_KEY] || taskClientId(prefix, connector, taskId);
}
