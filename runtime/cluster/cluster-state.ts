/**
 * The cluster's shared state as read from its single-partition, compacted state topic. Every member applies the
 * same records in the same (log) order, so every member reaches the same view; nothing here does I/O.
 *
 * Three kinds of records:
 * - `leader` `{"worker"}`: written by a member when the group coordinator gives it token partition 0. The record's
 *   offset is that leader's epoch: offsets only grow, so a later leader always has a larger epoch, and no counter has
 *   to be read and incremented (which two members could do at once).
 * - `assignment` `{"epoch","leader","owners":{unitKey: worker}}`: accepted only when `epoch` is the offset of the
 *   newest leader record and `leader` its worker. A deposed leader's assignment, written after its successor's leader
 *   record, is ignored by everyone. The accepted record's offset + 1 is the cluster generation.
 * - `member-<worker>` `{"worker","partitions":[…],"applied"}` (tombstone on graceful leave): which token partitions
 *   the group coordinator gives this member, and the newest generation it has applied (its acknowledgement that it
 *   stopped what that generation took away).
 */

export const LEADER_KEY = 'leader';
export const ASSIGNMENT_KEY = 'assignment';
export const MEMBER_PREFIX = 'member-';

/** Token partition whose owner leads: the group coordinator gives a partition to one member at a time. */
export const LEADER_PARTITION = 0;

export interface StateRecord {
  readonly key: string;
  readonly value: Buffer | null;
  readonly offset: number;
}

export interface LeaderRecord {
  readonly worker: string;
  readonly epoch: number;
}

export interface AcceptedAssignment {
  readonly generation: number;
  readonly epoch: number;
  readonly leader: string;
  readonly owners: ReadonlyMap<string, string>;
  /**
   * Units this assignment keeps unowned because they were taken from a live worker that has not yet acknowledged
   * it (unit key → that worker and the generation that took the unit away). Carried in the record so that a new
   * leader keeps waiting for the same acknowledgements instead of handing those units out while they still run.
   */
  readonly releasing: ReadonlyMap<string, { readonly worker: string; readonly generation: number }>;
}

interface MemberRecord {
  readonly partitions: ReadonlySet<number>;
  readonly applied: number;
}

export type StateChange = 'leader' | 'assignment' | 'members' | 'none';

export class ClusterState {
  private leaderRec: LeaderRecord | undefined;
  private current: AcceptedAssignment | undefined;
  private readonly members = new Map<string, MemberRecord>();
  /** Token partition → the member whose newest record claims it (a later claim by another member wins). */
  private readonly partitionOwner = new Map<number, string>();
  private position = 0;

  /** Applies one record; says what kind of state it changed. Malformed records are ignored. */
  apply(rec: StateRecord): StateChange {
    this.position = Math.max(this.position, rec.offset + 1);
    const value = parse(rec.value);
    if (rec.key === LEADER_KEY) {
      if (!isObject(value) || typeof value.worker !== 'string') return 'none';
      this.leaderRec = { worker: value.worker, epoch: rec.offset };
      return 'leader';
    }
    if (rec.key === ASSIGNMENT_KEY) {
      if (!isObject(value) || typeof value.epoch !== 'number' || typeof value.leader !== 'string') return 'none';
      if (!this.leaderRec || value.epoch !== this.leaderRec.epoch || value.leader !== this.leaderRec.worker)
        return 'none'; // from a deposed (or not yet known) leader: fenced
      const owners = new Map<string, string>();
      if (isObject(value.owners))
        for (const [k, w] of Object.entries(value.owners)) if (typeof w === 'string') owners.set(k, w);
      const generation = rec.offset + 1;
      const releasing = new Map<string, { worker: string; generation: number }>();
      if (isObject(value.releasing))
        for (const [k, r] of Object.entries(value.releasing))
          if (isObject(r) && typeof r.worker === 'string')
            // null: taken away by this very record, whose generation its writer could not know in advance
            releasing.set(k, {
              worker: r.worker,
              generation: typeof r.generation === 'number' ? r.generation : generation,
            });
      this.current = { generation, epoch: value.epoch, leader: value.leader, owners, releasing };
      return 'assignment';
    }
    if (rec.key.startsWith(MEMBER_PREFIX)) {
      const worker = rec.key.slice(MEMBER_PREFIX.length);
      const before = this.members.get(worker);
      let next: MemberRecord | undefined;
      if (rec.value !== null) {
        if (!isObject(value) || !Array.isArray(value.partitions)) return 'none';
        const partitions = new Set(value.partitions.filter((p): p is number => Number.isInteger(p)));
        next = { partitions, applied: typeof value.applied === 'number' ? value.applied : 0 };
      }
      for (const p of before?.partitions ?? [])
        if (!next?.partitions.has(p) && this.partitionOwner.get(p) === worker) this.partitionOwner.delete(p);
      if (next) {
        for (const p of next.partitions) this.partitionOwner.set(p, worker);
        this.members.set(worker, next);
      } else this.members.delete(worker);
      return 'members';
    }
    return 'none';
  }

  leader(): LeaderRecord | undefined {
    return this.leaderRec;
  }

  assignment(): AcceptedAssignment | undefined {
    return this.current;
  }

  /**
   * Members the group coordinator currently counts: those holding at least one token partition. A crashed
   * member's record stays in the topic, but the coordinator hands its partitions to the survivors, whose newer
   * claims take them over, so it drops out of this list without any heartbeat of our own.
   */
  liveMembers(): string[] {
    return [...new Set(this.partitionOwner.values())].sort();
  }

  /** Offset after the last record applied. */
  nextOffset(): number {
    return this.position;
  }

  /** Token partitions a member's newest record claims and no later claim took over. */
  partitionsOf(worker: string): number[] {
    return [...this.partitionOwner]
      .filter(([, w]) => w === worker)
      .map(([p]) => p)
      .sort((a, b) => a - b);
  }

  /** Newest generation a member reported as applied (0 if none). */
  applied(worker: string): number {
    return this.members.get(worker)?.applied ?? 0;
  }
}

function parse(value: Buffer | null): unknown {
  if (value === null) return null;
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
