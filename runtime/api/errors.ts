/**
 * Every error Ferry raises has a code from one closed list and says whether trying again may help. The REST layer
 * maps codes to HTTP statuses in one place; plugins throw these to tell the runtime what went wrong.
 */
export const ErrorCodes = {
  /** A configuration is invalid; `details` names each bad key. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** A request is malformed. */
  BAD_REQUEST: 'BAD_REQUEST',
  NOT_FOUND: 'NOT_FOUND',
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  /** The cluster is rebalancing or the request conflicts with the current state: retry. */
  CONFLICT: 'CONFLICT',
  /** An external system (Kafka, the registry, an MQTT broker) is unreachable or failing: retry. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** A record cannot be processed (conversion, transform, rendering); follows the connector's error policy. */
  RECORD: 'RECORD',
  /** A task cannot go on; it is failed with this reason. */
  TASK_FAILED: 'TASK_FAILED',
  TIMEOUT: 'TIMEOUT',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** The base of every Ferry error. */
export class FerryError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? (code === 'UNAVAILABLE' || code === 'CONFLICT' || code === 'TIMEOUT');
  }
}

/** One problem with one configuration key. */
export interface ConfigIssue {
  /** The key, e.g. `mqtt.qos` or `transforms.route.regex`. */
  readonly key: string;
  readonly message: string;
}

/** A configuration with one or more bad keys; the message lists them all. */
export class ConfigError extends FerryError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], prefix = 'Invalid configuration') {
    super('CONFIG_INVALID', `${prefix}: ${issues.map((i) => `${i.key}: ${i.message}`).join('; ')}`);
    this.issues = issues;
  }
}

/** A record that cannot be processed; the runtime applies the connector's error policy (retry, DLQ, fail). */
export class RecordError extends FerryError {
  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super('RECORD', message, options);
  }
}

/** An external system is unavailable; the runtime retries with back-off. */
export class UnavailableError extends FerryError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('UNAVAILABLE', message, { ...options, retriable: true });
  }
}

/** The task cannot continue; the runtime fails it with this message as the trace. */
export class TaskFailedError extends FerryError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('TASK_FAILED', message, { ...options, retriable: false });
  }
}

/** Full text of an error and its causes, as a status trace. */
export function errorTrace(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 8; depth++) {
    if (cur instanceof Error) {
      parts.push(depth === 0 ? (cur.stack ?? `${cur.name}: ${cur.message}`) : `Caused by: ${cur.stack ?? cur.message}`);
      cur = (cur as { cause?: unknown }).cause;
    } else {
      parts.push(typeof cur === 'string' ? cur : (JSON.stringify(cur) ?? typeof cur));
      break;
    }
  }
  return parts.join('\n');
}
