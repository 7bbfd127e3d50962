import { randomBytes } from 'node:crypto';
import Kafka from 'node-rdkafka';
import type { Logger } from '../api';
import { ConfigError, UnavailableError, type ConfigIssue } from '../api';
import { DataProducer, KafkaAdmin, KafkaLog, connectClient, topicMetadata } from '../kafka';
import type { Membership } from '../worker/membership';
import { unitKey, type Unit } from './assign';
import {
  ASSIGNMENT_KEY,
  ClusterState,
  LEADER_KEY,
  LEADER_PARTITION,
  MEMBER_PREFIX,
  type AcceptedAssignment,
} from './cluster-state';
import { plan, sameOwners, type Releasing } from './plan';

const ERR_ASSIGN_PARTITIONS = -175;
const ERR_REVOKE_PARTITIONS = -174;
const HANDOVER_TIMEOUT_MS = 5_000;

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

type Phase = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * Cluster membership through Kafka's group coordinator (see docs/cluster.md for the design and its bounds).
 *
 * Every worker joins consumer group `group.id` with the cooperative-sticky assignor on a token topic whose
 * partitions carry no data: they only mark who is in the group. The coordinator detects failures and moves a lost
 * member's tokens to the survivors; each member writes the tokens it holds to a single-partition state topic, so
 * everyone derives the same list of live members from the log. The holder of token partition 0 leads: it writes a
 * leader record (whose offset is its epoch) and then assignments of connectors and tasks stamped with that epoch;
 * members accept only assignments of the newest leader epoch, so a deposed leader cannot publish one.
 *
 * States: created → starting → running → stopping → stopped. All reactions (rebalance callbacks, state records,
 * unit changes, timers) run one at a time on a single internal loop.
 */
export class KafkaGroupMembership implements Membership {
  private phase: Phase = 'created';
  private readonly logger: Logger;
  private readonly sessionTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly revokeTimeoutMs: number;
  private readonly tokenPartitions: number;
  private readonly tokensTopic: string;
  private readonly stateTopic: string;
  private readonly clientConf: Record<string, string | number | boolean>;
  private readonly state = new ClusterState();
  private readonly listeners: (() => void | Promise<void>)[] = [];

  private consumer: Kafka.KafkaConsumer | undefined;
  private producer: DataProducer | undefined;
  private log: KafkaLog | undefined;
  private consuming = false;
  private consumeLoop: Promise<void> | undefined;
  private unitsTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;

  /** Token partitions the coordinator gave this member (as of the last rebalance callback). */
  private tokens = new Set<number>();
  /** Tokens as last written to the state topic. */
  private writtenTokens: string | undefined;
  /** Offset of this member's newest leader record; set when it takes token partition 0. */
  private myEpoch: number | undefined;
  private leaderClaimNeeded = false;
  /** What this worker acts on: the units it owns and whether it leads, as last told to the listeners. */
  private owned = new Set<string>();
  private leading = false;
  /** Holds token 0 and its leader record is the newest: may publish (even while leaving, to hand over). */
  private eligible = false;
  private appliedGeneration = 0;
  private ackedGeneration = 0;
  /** Leader only: units being taken from live workers, waiting for their acknowledgement. */
  private releasing = new Map<string, Releasing>();
  private releasingEpoch: number | undefined;
  private leaving = false;

  /** Tells this process's member records apart from another process wrongly using the same worker id. */
  private readonly instance = randomBytes(8).toString('hex');
  private duplicateReported = false;
  private pump: Promise<void> | undefined;
  private again = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: KafkaGroupMembershipOptions) {
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
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 8_000;
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 1_000;
    if (this.heartbeatIntervalMs >= this.sessionTimeoutMs)
      issues.push({ key: 'heartbeat.interval.ms', message: 'must be lower than session.timeout.ms' });
    if (issues.length > 0) throw new ConfigError(issues, 'Invalid cluster settings');
    this.revokeTimeoutMs = opts.revokeTimeoutMs ?? this.sessionTimeoutMs;
    this.tokenPartitions = opts.tokenPartitions ?? 64;
    this.tokensTopic = opts.tokensTopic ?? `${opts.groupId}-cluster-tokens`;
    this.stateTopic = opts.stateTopic ?? `${opts.groupId}-cluster-state`;
    this.logger = opts.logger.child({ component: 'cluster', workerId: opts.workerId });
    this.clientConf = {
      ...(opts.clientConfig ?? {}),
      'bootstrap.servers': opts.bootstrapServers,
      'client.id': `ferry-cluster-${opts.workerId}`,
    };
  }

  // ------------------------------------------------------------------ Membership

  generation(): number {
    return this.appliedGeneration;
  }

  ownsConnector(name: string): boolean {
    return this.owned.has(unitKey({ connector: name }));
  }

  ownsTask(name: string, task: number): boolean {
    return this.owned.has(unitKey({ connector: name, task }));
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** A listener may return a promise: the acknowledgement that lets a moved unit start elsewhere waits for it. */
  onChange(listener: () => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  /** The units may have changed (a connector added or removed, its task count changed): the leader re-plans now. */
  unitsChanged(): void {
    this.kick();
  }

  /** The current leader's worker id (its REST `host:port`), e.g. to forward a request that only it may serve. */
  leaderId(): string | undefined {
    return this.state.leader()?.worker;
  }

  status(): MembershipStatus {
    return {
      workerId: this.opts.workerId,
      generation: this.appliedGeneration,
      leader: this.state.leader()?.worker,
      isLeader: this.leading,
      members: this.state.liveMembers(),
      tokenPartitions: [...this.tokens].sort((a, b) => a - b),
      owned: [...this.owned].sort(),
      stateOffset: this.state.nextOffset(),
    };
  }

  // ------------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    if (this.phase !== 'created') return;
    this.phase = 'starting';
    const admin = new KafkaAdmin(this.clientConf);
    try {
      const rf = this.opts.replicationFactor ?? -1;
      await admin.ensureTopic({ name: this.tokensTopic, partitions: this.tokenPartitions, replicationFactor: rf });
      await admin.ensureTopic({
        name: this.stateTopic,
        partitions: 1,
        replicationFactor: rf,
        config: { 'cleanup.policy': 'compact' },
      });
    } finally {
      admin.stop();
    }
    this.producer = new DataProducer(
      // A write to an unreachable broker fails after a while and the loop retries, rather than hang for 5 minutes.
      { ...this.clientConf, 'linger.ms': 0, 'compression.type': 'none', 'message.timeout.ms': 30_000 },
      this.logger,
    );
    await this.producer.start();
    await this.waitForTopics(30_000);
    this.log = new KafkaLog(
      this.stateTopic,
      { ...this.clientConf, 'client.id': `ferry-cluster-state-${this.opts.workerId}` },
      (rec) => {
        const change = this.state.apply(rec);
        if (change === 'members' && this.phase === 'running') this.checkDuplicateId(rec.key, rec.value);
        if (change !== 'none') this.kick();
      },
      this.logger,
    );
    await this.log.start();
    this.consumer = this.newConsumer();
    await connectClient(this.consumer, 30_000, 'cannot join cluster group');
    this.consumer.subscribe([this.tokensTopic]);
    this.consuming = true;
    this.consumeLoop = this.runConsumeLoop();
    this.phase = 'running';
    this.unitsTimer = setInterval(() => {
      if (this.eligible) this.kick();
    }, this.opts.unitsPollMs ?? 1_000);
    this.logger.info(
      { groupId: this.opts.groupId, tokensTopic: this.tokensTopic, stateTopic: this.stateTopic },
      'joined the cluster group',
    );
  }

  /**
   * Leaves at once: a leader first hands its own units to the others, every member tombstones its member record
   * (the leader re-plans without it right away) and then leaves the group, so nobody waits for a session timeout.
   * Call it after this worker stopped its tasks. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.phase === 'created') {
        this.phase = 'stopped';
        return;
      }
      this.leaving = true;
      if (this.unitsTimer) clearInterval(this.unitsTimer);
      if (this.wakeTimer) clearTimeout(this.wakeTimer);
      // A leader hands its units over; bounded, since the broker may be unreachable (then the others wait for the
      // coordinator to notice instead).
      this.kick();
      const drained = await Promise.race([
        this.drainPump().then(() => true),
        sleep(HANDOVER_TIMEOUT_MS).then(() => false),
      ]);
      if (!drained) this.logger.warn({ timeoutMs: HANDOVER_TIMEOUT_MS }, 'could not hand over before leaving');
      this.phase = 'stopping';
      this.setOwned(new Set(), false);
      const leave = this.producer
        ?.sendAsync({
          topic: this.stateTopic,
          partition: 0,
          key: Buffer.from(MEMBER_PREFIX + this.opts.workerId),
          value: null,
          headers: [],
        })
        .then(() => true)
        .catch((err: unknown) => {
          this.logger.warn({ err }, 'could not write the leave record');
          return true;
        });
      if (leave && !(await Promise.race([leave, sleep(HANDOVER_TIMEOUT_MS).then(() => false)])))
        this.logger.warn('the leave record was not written in time; leaving the group anyway');
      await this.leaveGroup();
      await this.log?.stop().catch(() => undefined);
      await this.producer?.stop().catch(() => undefined);
      this.phase = 'stopped';
      this.logger.info('left the cluster group');
    })();
    return this.stopping;
  }

  /** A topic just created may not show in metadata for a moment; readers need its partitions. */
  private async waitForTopics(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const client = this.producer!.client;
      const ready = async (name: string): Promise<boolean> =>
        ((await topicMetadata(client, name, 5_000).catch(() => undefined))?.partitions.length ?? 0) >= 1;
      if ((await ready(this.stateTopic)) && (await ready(this.tokensTopic))) return;
      if (Date.now() > deadline)
        throw new UnavailableError(`cluster topics ${this.tokensTopic} and ${this.stateTopic} are not available`);
      await sleep(200);
    }
  }

  private newConsumer(): Kafka.KafkaConsumer {
    const consumer = new Kafka.KafkaConsumer(
      {
        ...this.clientConf,
        'group.id': this.opts.groupId,
        'partition.assignment.strategy': 'cooperative-sticky',
        'session.timeout.ms': this.sessionTimeoutMs,
        'heartbeat.interval.ms': this.heartbeatIntervalMs,
        'enable.auto.commit': false,
        'enable.partition.eof': false,
        rebalance_cb: (err: Kafka.LibrdKafkaError | undefined, assignment: Kafka.Assignment[]) =>
          this.onRebalance(consumer, err, assignment),
      },
      { 'auto.offset.reset': 'latest' },
    );
    consumer.on('event.error', (err) => this.logger.warn({ err: err.message }, 'cluster group client error'));
    return consumer;
  }

  /**
   * librdkafka calls this from the consumer's poll. Revocations include partitions lost to a session timeout:
   * librdkafka gives them up by itself once it has not reached the coordinator for session.timeout.ms, which is
   * what makes a cut-off worker stop its units no later than the coordinator hands them out.
   */
  private onRebalance(
    consumer: Kafka.KafkaConsumer,
    err: Kafka.LibrdKafkaError | undefined,
    assignment: Kafka.Assignment[],
  ): void {
    try {
      if (err?.code === ERR_ASSIGN_PARTITIONS) {
        consumer.incrementalAssign(assignment);
        // Tokens carry no data: never fetch them.
        consumer.pause(assignment.map((a) => ({ topic: a.topic, partition: a.partition })));
      } else if (err?.code === ERR_REVOKE_PARTITIONS) {
        consumer.incrementalUnassign(assignment);
      } else {
        this.logger.warn({ err: err?.message }, 'unexpected rebalance event');
      }
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'rebalance step failed');
    }
    let now: Kafka.Assignment[] = [];
    try {
      now = consumer.assignments();
    } catch {
      /* disconnected: holds nothing */
    }
    const had = this.tokens.has(LEADER_PARTITION);
    this.tokens = new Set(now.filter((a) => a.topic === this.tokensTopic).map((a) => a.partition));
    if (!had && this.tokens.has(LEADER_PARTITION)) this.leaderClaimNeeded = true;
    if (had && !this.tokens.has(LEADER_PARTITION)) this.myEpoch = undefined;
    // Give up at once what the lost tokens take away: the loop may be stuck on a write to an unreachable broker.
    if (!this.tokens.has(LEADER_PARTITION)) this.eligible = false;
    if (this.setOwned(this.tokens.size === 0 ? new Set() : this.owned, this.leading && this.eligible))
      void this.notify();
    this.logger.info(
      { event: err?.code === ERR_ASSIGN_PARTITIONS ? 'assign' : 'revoke', heldPartitions: [...this.tokens] },
      'cluster group rebalance',
    );
    this.kick();
  }

  private async runConsumeLoop(): Promise<void> {
    this.consumer!.setDefaultConsumeTimeout(200);
    while (this.consuming) {
      // Paused partitions return nothing; consuming is what serves heartbeats' rebalance callbacks.
      await new Promise<void>((resolve) => this.consumer!.consume(1, () => resolve()));
    }
  }

  private async leaveGroup(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    try {
      // Unsubscribing revokes (served by the still-running consume loop) and sends LeaveGroup; closing with a
      // rebalance pending would wait on a callback that has no JS thread to run on.
      consumer.unsubscribe();
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && this.tokens.size > 0 && safeAssignments(consumer).length > 0) await sleep(20);
    } catch (err) {
      this.logger.warn({ err }, 'could not unsubscribe from the cluster group');
    }
    this.consuming = false;
    await this.consumeLoop?.catch(() => undefined);
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
    this.tokens = new Set();
  }

  // ------------------------------------------------------------------ the loop

  private kick(): void {
    if (this.phase === 'stopped' || this.phase === 'stopping') return;
    if (this.pump) {
      this.again = true;
      return;
    }
    this.pump = (async () => {
      do {
        this.again = false;
        try {
          await this.step();
        } catch (err) {
          this.logger.warn({ err: (err as Error).message }, 'cluster step failed; retrying');
          await sleep(500);
          this.again = true;
        }
      } while (this.again && (this.phase === 'running' || this.phase === 'starting'));
    })().finally(() => {
      this.pump = undefined;
    });
  }

  private async drainPump(): Promise<void> {
    while (this.pump) await this.pump;
  }

  private async step(): Promise<void> {
    if (this.phase !== 'running') return;
    // 1. Act on what we know locally first: losing the tokens must stop everything even when no write can succeed
    //    (cut off from the broker), so this never waits on Kafka.
    await this.applyAssignment();
    // 2. Tell the others which tokens the coordinator gave us and which generation we applied (the acknowledgement).
    await this.writeMember(this.tokens.size > 0 && this.appliedGeneration > this.ackedGeneration);
    // 3. Holder of token 0: claim leadership with a record whose offset becomes the epoch. Claim again if a later
    //    leader record appeared while we hold token 0 (a deposed leader's write that was delayed in flight):
    //    otherwise nobody would lead until token 0 moves.
    const newest = this.state.leader();
    if (this.tokens.has(LEADER_PARTITION) && this.myEpoch !== undefined && newest && newest.epoch > this.myEpoch) {
      this.logger.warn({ epoch: this.myEpoch, newer: newest }, 'a later leader record while holding token 0');
      this.leaderClaimNeeded = true;
    }
    if (this.leaderClaimNeeded && this.tokens.has(LEADER_PARTITION) && !this.leaving) {
      const offset = await this.write(LEADER_KEY, { worker: this.opts.workerId });
      this.leaderClaimNeeded = false;
      this.myEpoch = offset;
      this.logger.info({ epoch: offset }, 'took the cluster lead');
      await this.log!.readToEnd();
      await this.applyAssignment();
    }
    // 4. Leader: plan and publish (a leaving leader still publishes once, to hand its own units over).
    if (this.eligible) await this.lead();
  }

  /** Recomputes what this worker owns from the newest accepted assignment and its tokens; tells the listeners. */
  private async applyAssignment(): Promise<void> {
    const a = this.state.assignment();
    const leader = this.state.leader();
    const leading =
      this.myEpoch !== undefined &&
      this.tokens.has(LEADER_PARTITION) &&
      leader?.epoch === this.myEpoch &&
      leader.worker === this.opts.workerId;
    const owned = new Set<string>();
    // Without tokens this member is out of the group (or not yet in): it must not run anything.
    if (a && this.tokens.size > 0 && !this.leaving)
      for (const [k, w] of a.owners) if (w === this.opts.workerId) owned.add(k);
    this.eligible = leading;
    this.appliedGeneration = a?.generation ?? 0;
    if (this.setOwned(owned, leading && !this.leaving)) await this.notify();
  }

  private setOwned(owned: Set<string>, leading: boolean): boolean {
    const same = owned.size === this.owned.size && [...owned].every((k) => this.owned.has(k));
    if (same && leading === this.leading) return false;
    this.owned = owned;
    this.leading = leading;
    this.logger.info({ generation: this.appliedGeneration, leading, units: owned.size }, 'ownership changed');
    return true;
  }

  private async notify(): Promise<void> {
    await Promise.allSettled(this.listeners.map(async (l) => l()));
  }

  private async writeMember(force = false): Promise<void> {
    const partitions = [...this.tokens].sort((a, b) => a - b);
    const sig = JSON.stringify([partitions, this.appliedGeneration]);
    if (!force && sig === this.writtenTokens) return;
    if (this.writtenTokens === undefined && partitions.length === 0) return; // not in the group yet
    await this.write(MEMBER_PREFIX + this.opts.workerId, {
      worker: this.opts.workerId,
      instance: this.instance,
      partitions,
      applied: this.appliedGeneration,
    });
    this.writtenTokens = sig;
    this.ackedGeneration = this.appliedGeneration;
    await this.log!.readToEnd();
  }

  /** Two live workers advertising the same host:port would share one member record and confuse everyone. */
  private checkDuplicateId(key: string, value: Buffer | null): void {
    if (key !== MEMBER_PREFIX + this.opts.workerId || value === null || this.duplicateReported) return;
    let instance: unknown;
    try {
      instance = (JSON.parse(value.toString('utf8')) as { instance?: unknown }).instance;
    } catch {
      return;
    }
    if (typeof instance === 'string' && instance !== this.instance) {
      this.duplicateReported = true;
      this.logger.error(
        { workerId: this.opts.workerId },
        'another running worker uses the same worker id (advertised host:port); give each worker its own',
      );
    }
  }

  private async lead(): Promise<void> {
    const current: AcceptedAssignment | undefined = this.state.assignment();
    const epoch = this.myEpoch!;
    if (this.releasingEpoch !== epoch) {
      // A new lead: keep waiting for the acknowledgements the previous leader was waiting for.
      this.releasing = new Map();
      for (const [k, r] of current?.releasing ?? [])
        this.releasing.set(k, { ...r, deadlineMs: Date.now() + this.revokeTimeoutMs });
      this.releasingEpoch = epoch;
    }
    const live = this.state.liveMembers().filter((w) => !(this.leaving && w === this.opts.workerId));
    const p = plan({
      current: current?.owners ?? new Map(),
      live,
      units: this.opts.units(),
      releasing: this.releasing,
      applied: (w) => this.state.applied(w),
      nowMs: Date.now(),
      revokeTimeoutMs: this.revokeTimeoutMs,
    });
    this.releasing = p.releasing;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (p.wakeAtMs !== undefined) this.wakeTimer = setTimeout(() => this.kick(), Math.max(10, p.wakeAtMs - Date.now()));
    const sameReleasing =
      current !== undefined &&
      current.releasing.size === p.releasing.size &&
      [...p.releasing].every(([k, r]) => current.releasing.get(k)?.worker === r.worker);
    if (current && current.epoch === epoch && sameOwners(current.owners, p.next) && sameReleasing) return;
    const releasing: Record<string, { worker: string; generation: number | null }> = {};
    for (const [k, r] of p.releasing) releasing[k] = { worker: r.worker, generation: r.generation ?? null };
    const offset = await this.write(ASSIGNMENT_KEY, {
      epoch,
      leader: this.opts.workerId,
      owners: Object.fromEntries([...p.next].sort()),
      releasing,
    });
    for (const r of this.releasing.values()) r.generation ??= offset + 1;
    this.logger.info(
      { generation: offset + 1, epoch, members: live, units: p.next.size, releasing: p.releasing.size },
      'published an assignment',
    );
    await this.log!.readToEnd();
    this.again = true; // apply it here too, and re-plan once acknowledgements arrive
  }

  private async write(key: string, value: unknown): Promise<number> {
    const offset = await this.producer!.sendAsync({
      topic: this.stateTopic,
      partition: 0,
      key: Buffer.from(key),
      value: Buffer.from(JSON.stringify(value)),
      headers: [],
    });
    if (offset === undefined) throw new UnavailableError(`no offset for the ${key} record`);
    return offset;
  }
}

function safeAssignments(consumer: Kafka.KafkaConsumer): Kafka.Assignment[] {
  try {
    return consumer.assignments();
  } catch {
    return [];
  }
}

/** Timers that never keep the process alive on their own (stop() races against them). */
function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
