import { randomBytes } from 'node:crypto';
import type { Logger } from '../api';
import { DataProducer, KafkaLog } from '../kafka';
import type { Membership } from '../worker/membership';
import { unitKey } from './assign';
import { ensureClusterTopics, isOtherInstance, waitForClusterTopics, writeStateRecord } from './cluster-topics';
import {
  ASSIGNMENT_KEY,
  ClusterState,
  LEADER_KEY,
  LEADER_PARTITION,
  MEMBER_PREFIX,
  type AcceptedAssignment,
} from './cluster-state';
import {
  resolveMembershipOptions,
  type KafkaGroupMembershipOptions,
  type MembershipSettings,
  type MembershipStatus,
} from './membership-options';
import { plan, sameOwners, type Releasing } from './plan';
import { TokenGroup, sleep, type RebalanceEvent } from './token-group';

export type { KafkaGroupMembershipOptions, MembershipStatus } from './membership-options';

const HANDOVER_TIMEOUT_MS = 5_000;

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
  private readonly settings: MembershipSettings;
  private readonly state = new ClusterState();
  private readonly listeners: (() => void | Promise<void>)[] = [];

  private group: TokenGroup | undefined;
  private producer: DataProducer | undefined;
  private log: KafkaLog | undefined;
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
    this.settings = resolveMembershipOptions(opts);
    this.logger = opts.logger.child({ component: 'cluster', workerId: opts.workerId });
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
    const { clientConf, stateTopic, tokensTopic } = this.settings;
    await ensureClusterTopics(this.settings);
    this.producer = new DataProducer(
      // A write to an unreachable broker fails after a while and the loop retries, rather than hang for 5 minutes.
      { ...clientConf, 'linger.ms': 0, 'compression.type': 'none', 'message.timeout.ms': 30_000 },
      this.logger,
    );
    await this.producer.start();
    await waitForClusterTopics(this.producer.client, this.settings, 30_000);
    this.log = new KafkaLog(
      stateTopic,
      { ...clientConf, 'client.id': `ferry-cluster-state-${this.opts.workerId}` },
      (rec) => {
        const change = this.state.apply(rec);
        if (change === 'members' && this.phase === 'running') this.checkDuplicateId(rec.key, rec.value);
        if (change !== 'none') this.kick();
      },
      this.logger,
    );
    await this.log.start();
    this.group = new TokenGroup(this.opts.groupId, this.settings, this.logger, (tokens, event) =>
      this.onTokens(tokens, event),
    );
    await this.group.join();
    this.phase = 'running';
    this.unitsTimer = setInterval(() => {
      if (this.eligible) this.kick();
    }, this.settings.unitsPollMs);
    this.logger.info({ groupId: this.opts.groupId, tokensTopic, stateTopic }, 'joined the cluster group');
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
          topic: this.settings.stateTopic,
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
      await this.group?.leave();
      this.tokens = new Set();
      await this.log?.stop().catch(() => undefined);
      await this.producer?.stop().catch(() => undefined);
      this.phase = 'stopped';
      this.logger.info('left the cluster group');
    })();
    return this.stopping;
  }

  /** The token partitions held after a rebalance: losing token 0 ends the lead; losing all ends every unit. */
  private onTokens(tokens: Set<number>, event: RebalanceEvent): void {
    const had = this.tokens.has(LEADER_PARTITION);
    this.tokens = tokens;
    if (!had && this.tokens.has(LEADER_PARTITION)) this.leaderClaimNeeded = true;
    if (had && !this.tokens.has(LEADER_PARTITION)) this.myEpoch = undefined;
    // Give up at once what the lost tokens take away: the loop may be stuck on a write to an unreachable broker.
    if (!this.tokens.has(LEADER_PARTITION)) this.eligible = false;
    if (this.setOwned(this.tokens.size === 0 ? new Set() : this.owned, this.leading && this.eligible))
      void this.notify();
    this.logger.info({ event, heldPartitions: [...this.tokens] }, 'cluster group rebalance');
    this.kick();
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

  private checkDuplicateId(key: string, value: Buffer | null): void {
    if (this.duplicateReported || !isOtherInstance(key, value, this.opts.workerId, this.instance)) return;
    this.duplicateReported = true;
    this.logger.error(
      { workerId: this.opts.workerId },
      'another running worker uses the same worker id (advertised host:port); give each worker its own',
    );
  }

  private async lead(): Promise<void> {
    const current: AcceptedAssignment | undefined = this.state.assignment();
    const epoch = this.myEpoch!;
    if (this.releasingEpoch !== epoch) {
      // A new lead: keep waiting for the acknowledgements the previous leader was waiting for.
      this.releasing = new Map();
      for (const [k, r] of current?.releasing ?? [])
        this.releasing.set(k, { ...r, deadlineMs: Date.now() + this.settings.revokeTimeoutMs });
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
      revokeTimeoutMs: this.settings.revokeTimeoutMs,
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

  private write(key: string, value: unknown): Promise<number> {
    return writeStateRecord(this.producer!, this.settings.stateTopic, key, value);
  }
}
