import type { Logger } from '../api';
import { ConfigError, type ConfigIssue } from '../api';
import type { Unit } from './assign';

export interface KafkaGroupMembershipOptions {
  readonly bootstrapServers: string;
  /** Workers with the same group id form one cluster. */
  readonly groupId: string;
  /** This worker's id: its advertised REST `host:port`, as status records and Connect's REST show it. */
  readonly workerId: string;
  /** The units to hand out now: every connector and each of its tasks (see `unitsOf`). Read by the leader. */
  readonly units: () => readonly Unit[];
  readonly logger: Logger;
  /** How long the group coordinator waits for a silent member before moving its units. Default 10 000. */
  readonly sessionTimeoutMs?: number;
  /** Default 1 000 (the worker's default); also bounds how long survivors take to notice a rebalance. */
  readonly heartbeatIntervalMs?: number;
  /** How long the leader waits for a worker to acknowledge giving up a unit before moving it anyway. Default: the session timeout. */
  readonly revokeTimeoutMs?: number;
  /** Partitions of the token topic; the cluster can have at most this many workers. Default 64. */
  readonly tokenPartitions?: number;
  /** Default `<group.id>-cluster-tokens`. */
  readonly tokensTopic?: string;
  /** Default `<group.id>-cluster-state`. */
  readonly stateTopic?: string;
  /** -1 (default): the broker's default. */
  readonly replicationFactor?: number;
  /** How often the leader looks for changed units when nobody called `unitsChanged()`. Default 1 000. */
  readonly unitsPollMs?: number;
  /** Extra librdkafka settings for all three clients (e.g. security), applied before ours. */
  readonly clientConfig?: Readonly<Record<string, string | number | boolean>>;
}

/** The options with every default applied, checked once. */
export interface MembershipSettings {
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly revokeTimeoutMs: number;
  readonly tokenPartitions: number;
  readonly tokensTopic: string;
  readonly stateTopic: string;
  readonly replicationFactor: number;
  readonly unitsPollMs: number;
  /** The settings every cluster client starts from: the user's, then ours. */
  readonly clientConf: Record<string, string | number | boolean>;
}

/** Applies the defaults; throws a ConfigError naming every bad setting. */
export function resolveMembershipOptions(opts: KafkaGroupMembershipOptions): MembershipSettings {
  const issues: ConfigIssue[] = [];
  const positive = (key: string, v: number | undefined): void => {
    if (v !== undefined && (!Number.isInteger(v) || v <= 0))
      issues.push({ key, message: `must be a positive integer, got ${v}` });
  };
  if (!opts.bootstrapServers) issues.push({ key: 'bootstrap.servers', message: 'is required for a cluster' });
  if (!opts.groupId) issues.push({ key: 'group.id', message: 'is required for a cluster' });
  if (!opts.workerId) issues.push({ key: 'worker id', message: 'must be the advertised host:port' });
  positive('session.timeout.ms', opts.sessionTimeoutMs);
  positive('heartbeat.interval.ms', opts.heartbeatIntervalMs);
  positive('revoke timeout', opts.revokeTimeoutMs);
  positive('token partitions', opts.tokenPartitions);
  const sessionTimeoutMs = opts.sessionTimeoutMs ?? 8_000;
  const heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 1_000;
  if (heartbeatIntervalMs >= sessionTimeoutMs)
    issues.push({ key: 'heartbeat.interval.ms', message: 'must be lower than session.timeout.ms' });
  if (issues.length > 0) throw new ConfigError(issues, 'Invalid cluster settings');
  return {
    sessionTimeoutMs,
    heartbeatIntervalMs,
    revokeTimeoutMs: opts.revokeTimeoutMs ?? sessionTimeoutMs,
    tokenPartitions: opts.tokenPartitions ?? 64,
    tokensTopic: opts.tokensTopic ?? `${opts.groupId}-cluster-tokens`,
    stateTopic: opts.stateTopic ?? `${opts.groupId}-cluster-state`,
    replicationFactor: opts.replicationFactor ?? -1,
    unitsPollMs: opts.unitsPollMs ?? 1_000,
    clientConf: {
      ...(opts.clientConfig ?? {}),
      'bootstrap.servers': opts.bootstrapServers,
      'client.id': `ferry-cluster-${opts.workerId}`,
    },
  };
}

/** A snapshot for diagnostics (REST, tests). */
export interface MembershipStatus {
  readonly workerId: string;
  readonly generation: number;
  readonly leader: string | undefined;
  readonly isLeader: boolean;
  readonly members: string[];
  readonly tokenPartitions: number[];
  readonly owned: string[];
  /** Offset after the last state record this worker applied. */
  readonly stateOffset: number;
}
