import type { ConfigIssue, ConfigProperty, RawConfig } from '../api';

/** Where in the pipeline a record failed, with Connect's stage names (`__connect.errors.stage`). */
export type Stage =
  | 'TASK_POLL'
  | 'KEY_CONVERTER'
  | 'VALUE_CONVERTER'
  | 'HEADER_CONVERTER'
  | 'TRANSFORMATION'
  | 'KAFKA_PRODUCE'
  | 'TASK_PUT';

/** The connector's `errors.*` settings, resolved. */
export interface ErrorPolicy {
  /** -1 = retry retriable failures forever; 0 = never. */
  readonly retryTimeoutMs: number;
  readonly retryDelayMaxMs: number;
  readonly tolerance: 'none' | 'all';
  readonly logEnable: boolean;
  readonly logIncludeMessages: boolean;
  /** Empty: no dead-letter queue. */
  readonly deadLetterTopic: string;
  readonly deadLetterReplicationFactor: number;
  readonly contextHeaders: boolean;
}

export const ERROR_POLICY_KEYS: Readonly<Record<string, ConfigProperty>> = {
  'errors.retry.timeout': {
    type: 'integer',
    minimum: -1,
    default: 0,
    description: 'How long, in ms, to retry a failed operation that may succeed later; -1 retries forever, 0 never.',
    'x-connect-type': 'LONG',
    'x-importance': 'MEDIUM',
    'x-display-name': 'Retry Timeout for Errors',
  },
  'errors.retry.delay.max.ms': {
    type: 'integer',
    minimum: 1,
    default: 60000,
    description: 'Longest back-off between consecutive retries, in ms.',
    'x-connect-type': 'LONG',
    'x-importance': 'MEDIUM',
    'x-display-name': 'Maximum Delay Between Retries for Errors',
  },
  'errors.tolerance': {
    type: 'string',
    enum: ['none', 'all'],
    default: 'none',
    description: 'none: a failing record fails the task; all: it is skipped (or dead-lettered) and counted.',
    'x-importance': 'MEDIUM',
    'x-display-name': 'Error Tolerance',
  },
  'errors.log.enable': {
    type: 'boolean',
    default: false,
    description: 'Log each failure with the record coordinates.',
    'x-importance': 'MEDIUM',
    'x-display-name': 'Log Errors',
  },
  'errors.log.include.messages': {
    type: 'boolean',
    default: false,
    description: 'Also log the record key and value of each failure.',
    'x-importance': 'MEDIUM',
    'x-display-name': 'Log Error Details',
  },
  'errors.deadletterqueue.topic.name': {
    type: 'string',
    default: '',
    description: 'Topic for records that failed (sources and sinks); empty for none.',
    'x-importance': 'MEDIUM',
    'x-display-name': 'Dead Letter Queue Topic Name',
  },
  'errors.deadletterqueue.topic.replication.factor': {
    type: 'integer',
    default: 3,
    description: 'Replication factor of the dead-letter topic when it is created (-1 for the broker default).',
    'x-connect-type': 'SHORT',
    'x-importance': 'MEDIUM',
    'x-display-name': 'Dead Letter Queue Topic Replication Factor',
  },
  'errors.deadletterqueue.context.headers.enable': {
    type: 'boolean',
    default: false,
    description: 'Add __connect.errors.* headers describing the failure to dead-letter records.',
    'x-importance': 'MEDIUM',
    'x-display-name': 'Enable Error Context Headers',
  },
};

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/** Parses the `errors.*` keys; every bad key is reported. */
export function parseErrorPolicy(raw: RawConfig): { policy: ErrorPolicy; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const int = (key: string, dflt: number, min: number): number => {
    const v = raw[key];
    if (v === undefined || v.trim() === '') return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) {
      issues.push({ key, message: `must be an integer >= ${min}, got '${v}'` });
      return dflt;
    }
    return n;
  };
  const bool = (key: string): boolean => {
    const v = raw[key];
    if (v === undefined || v.trim() === '') return false;
    const l = v.trim().toLowerCase();
    if (l !== 'true' && l !== 'false') issues.push({ key, message: `must be true or false, got '${v}'` });
    return l === 'true';
  };
  const toleranceText = (raw['errors.tolerance'] ?? 'none').trim().toLowerCase() || 'none';
  if (toleranceText !== 'none' && toleranceText !== 'all') {
    issues.push({ key: 'errors.tolerance', message: `must be none or all, got '${raw['errors.tolerance']}'` });
  }
  const dlq = (raw['errors.deadletterqueue.topic.name'] ?? '').trim();
  if (dlq !== '' && (!TOPIC_NAME.test(dlq) || dlq === '.' || dlq === '..')) {
    issues.push({ key: 'errors.deadletterqueue.topic.name', message: `'${dlq}' is not a valid Kafka topic name` });
  }
  const rf = int('errors.deadletterqueue.topic.replication.factor', 3, -1);
  if (rf === 0)
    issues.push({ key: 'errors.deadletterqueue.topic.replication.factor', message: 'must be -1 or at least 1' });
  const policy: ErrorPolicy = {
    retryTimeoutMs: int('errors.retry.timeout', 0, -1),
    retryDelayMaxMs: int('errors.retry.delay.max.ms', 60_000, 1),
    tolerance: toleranceText === 'all' ? 'all' : 'none',
    logEnable: bool('errors.log.enable'),
    logIncludeMessages: bool('errors.log.include.messages'),
    deadLetterTopic: dlq,
    deadLetterReplicationFactor: rf,
    contextHeaders: bool('errors.deadletterqueue.context.headers.enable'),
  };
  return { policy, issues };
}
