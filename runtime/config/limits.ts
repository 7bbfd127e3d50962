import { FerryError, type ConfigIssue, type RawConfig } from '../api';

/**
 * Caps an operator sets on what the REST API may store (worker settings `limits.*`). They bound what one request can
 * make every worker of the cluster do: a connector's tasks run on whichever worker owns them, so a stored
 * `tasks.max=10000000` would be tried by each.
 */
export interface ConnectorLimits {
  /** Largest `tasks.max` a connector config may ask for. */
  readonly tasksMax: number;
  /** Connectors the cluster may hold; creating one more is refused. */
  readonly connectorsMax: number;
  /** Kafka topics one connector's records may make a worker create (templated `kafka.topic`). */
  readonly topicsPerConnectorMax: number;
}

export const DEFAULT_LIMITS: ConnectorLimits = { tasksMax: 64, connectorsMax: 1000, topicsPerConnectorMax: 100 };

/**
 * Longest connector name. The name is part of every internal-topic key (`connector-<name>`, `task-<name>-<n>`,
 * `status-task-<name>-<n>`), of the sink's consumer group (`connect-<name>`), of MQTT shared subscriptions
 * (`$share/<name>/…`) and of log lines; 200 leaves all of those far below their protocols' limits.
 */
export const CONNECTOR_NAME_MAX_LENGTH = 200;

/**
 * Letters, digits, `.`, `_` and `-`: nothing that needs escaping in a URL path, an internal-topic key, a Kafka group
 * id or an MQTT topic filter (`/`, `+`, `#` and `$` mean something there), and no spaces or control characters that
 * make logs and scripts ambiguous.
 */
const NAME_CHARS = /^[A-Za-z0-9._-]+$/;

/** Kafka protocol strings (group ids, transactional ids, client ids) carry a signed 16-bit length. */
export const KAFKA_ID_MAX_BYTES = 32767;

/** Problems with a connector name, each on the `name` key. Empty when the name is fine. */
export function connectorNameIssues(name: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (name.length > CONNECTOR_NAME_MAX_LENGTH) {
    issues.push({
      key: 'name',
      message: `Connector name is ${name.length} characters long; at most ${CONNECTOR_NAME_MAX_LENGTH} are allowed`,
    });
  }
  if (name !== '' && !NAME_CHARS.test(name)) {
    const bad = [...new Set([...name].filter((c) => !NAME_CHARS.test(c)))].slice(0, 5);
    issues.push({
      key: 'name',
      message:
        `Connector name may only contain letters, digits, ".", "_" and "-"; it contains ` +
        bad.map((c) => JSON.stringify(c)).join(', '),
    });
  }
  return issues;
}

/** `tasks.max` against the worker's cap (the schema already checked that it is an integer ≥ 1). */
export function tasksMaxIssues(raw: RawConfig, limits: ConnectorLimits): ConfigIssue[] {
  const v = Number(raw['tasks.max']?.trim() ?? '');
  if (!Number.isFinite(v) || v <= limits.tasksMax) return [];
  return [
    {
      key: 'tasks.max',
      message: `Invalid value ${raw['tasks.max']} for configuration tasks.max: at most ${limits.tasksMax} tasks are allowed (worker setting limits.tasks.max)`,
    },
  ];
}

/** A Kafka id the runtime derives from the connector (consumer group, client id), checked against the protocol. */
export function kafkaIdIssues(key: string, what: string, id: string): ConfigIssue[] {
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes <= KAFKA_ID_MAX_BYTES) return [];
  return [{ key, message: `gives a Kafka ${what} of ${bytes} bytes; Kafka allows at most ${KAFKA_ID_MAX_BYTES}` }];
}

/** Refuses a connector that would take the cluster past `limits.connectors.max` (a 400, as Connect's bad requests). */
export function assertRoomForConnector(stored: number, limits: ConnectorLimits): void {
  if (stored < limits.connectorsMax) return;
  throw new FerryError(
    'BAD_REQUEST',
    `The cluster already has ${stored} connectors, the most it may hold (worker setting limits.connectors.max = ${limits.connectorsMax}); delete one first`,
  );
}
