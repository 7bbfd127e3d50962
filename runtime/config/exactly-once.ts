import { ConfigError, type ConfigIssue, type ConfigProperty, type RawConfig } from '../api';

/** The validate/GET …/config group of these keys (Connect's name for it). */
export const EXACTLY_ONCE_GROUP = 'Exactly Once Support';

/**
 * A source connector's exactly-once keys (docs/exactly-once.md). Connect's names where Connect has them; Connect's
 * `connector` boundary is not offered (no Ferry connector defines its own transactions).
 */
export const EXACTLY_ONCE_PROPERTIES: Readonly<Record<string, ConfigProperty>> = {
  'exactly.once.support': {
    type: 'string',
    enum: ['requested', 'required'],
    description:
      'Write this connector\'s records and source offsets in Kafka transactions. "required": refused unless the ' +
      'worker sets exactly.once.source.support=enabled; "requested": transactions on such a worker, at-least-once ' +
      '(with a warning) on any other. Unset: at-least-once.',
    'x-importance': 'MEDIUM',
    'x-group': EXACTLY_ONCE_GROUP,
    'x-display-name': 'Exactly once support',
  },
  'transaction.boundary': {
    type: 'string',
    enum: ['poll', 'interval'],
    default: 'poll',
    description:
      'When a transaction is committed. "poll": as soon as the previous commit is done and records are waiting ' +
      '(smallest latency); "interval": every transaction.boundary.interval.ms. Either also commits at ' +
      'transaction.max.records.',
    'x-importance': 'MEDIUM',
    'x-group': EXACTLY_ONCE_GROUP,
    'x-display-name': 'Transaction boundary',
  },
  'transaction.boundary.interval.ms': {
    type: 'integer',
    minimum: 1,
    description:
      "With transaction.boundary=interval: how often to commit. Unset: the worker's offset.flush.interval.ms.",
    'x-importance': 'LOW',
    'x-group': EXACTLY_ONCE_GROUP,
    'x-display-name': 'Transaction boundary interval (ms)',
  },
  'transaction.max.records': {
    type: 'integer',
    minimum: 1,
    default: 1000,
    description:
      'Records one transaction may hold before it is committed, whatever the boundary. MQTT messages stay ' +
      "unacknowledged until the commit, so keep it at or below the source's in-flight window.",
    'x-importance': 'LOW',
    'x-group': EXACTLY_ONCE_GROUP,
    'x-display-name': 'Transaction max records',
  },
};

/** How one source task writes: at-least-once, or in transactions with these settings. */
export type SourceDelivery =
  | {
      readonly transactional: false;
      /** Why exactly-once was asked for but not given (logged as a warning). */ readonly fallback?: string;
    }
  | {
      readonly transactional: true;
      readonly boundary: 'poll' | 'interval';
      readonly intervalMs: number;
      readonly maxRecords: number;
    };

/** The one worker-dependent problem: `required` on a worker without exactly-once source support. */
export function exactlyOnceIssues(raw: RawConfig, workerEnabled: boolean): ConfigIssue[] {
  if (workerEnabled || raw['exactly.once.support']?.trim() !== 'required') return [];
  return [
    {
      key: 'exactly.once.support',
      message:
        'exactly.once.support=required, but this worker does not support exactly-once sources: set the worker ' +
        'setting exactly.once.source.support=enabled (or ask for "requested" to fall back to at-least-once)',
    },
  ];
}

function positiveInt(raw: RawConfig, key: string, dflt: number): number {
  const text = raw[key]?.trim();
  if (text === undefined || text === '') return dflt;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError([{ key, message: `must be an integer ≥ 1, not ${text}` }]);
  return n;
}

/**
 * A source task's delivery mode from its (validated) config and the worker's support. Throws ConfigError naming
 * `exactly.once.support` when it is `required` and the worker does not support it (a config stored before the
 * worker's setting changed, or a cluster whose workers disagree).
 */
export function sourceDelivery(raw: RawConfig, workerEnabled: boolean, defaultIntervalMs: number): SourceDelivery {
  const asked = raw['exactly.once.support']?.trim();
  if (asked === undefined || asked === '') return { transactional: false };
  const issues = exactlyOnceIssues(raw, workerEnabled);
  if (issues.length > 0) throw new ConfigError(issues, 'Task configuration is invalid');
  if (!workerEnabled)
    return {
      transactional: false,
      fallback:
        'exactly.once.support=requested, but this worker does not set exactly.once.source.support=enabled: ' +
        'records are written at-least-once',
    };
  const boundary = raw['transaction.boundary']?.trim() || 'poll';
  if (boundary !== 'poll' && boundary !== 'interval')
    throw new ConfigError([{ key: 'transaction.boundary', message: `must be poll or interval, not ${boundary}` }]);
  return {
    transactional: true,
    boundary,
    intervalMs: positiveInt(raw, 'transaction.boundary.interval.ms', defaultIntervalMs),
    maxRecords: positiveInt(raw, 'transaction.max.records', 1000),
  };
}
