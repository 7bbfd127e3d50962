import { assign, unitKey, type Unit } from './assign';

/** A unit taken from a live worker, unowned until that worker has applied the generation that took it away. */
export interface Releasing {
  readonly worker: string;
  /** Generation of the assignment that took it away; undefined until that assignment is written. */
  generation: number | undefined;
  /** After this time the leader stops waiting for the worker's acknowledgement. */
  readonly deadlineMs: number;
}

export interface PlanInput {
  /** Owners in the newest accepted assignment. */
  readonly current: ReadonlyMap<string, string>;
  readonly live: readonly string[];
  readonly units: readonly Unit[];
  readonly releasing: ReadonlyMap<string, Releasing>;
  /** Newest generation a worker has applied. */
  readonly applied: (worker: string) => number;
  readonly nowMs: number;
  readonly revokeTimeoutMs: number;
}

export interface Plan {
  readonly next: Map<string, string>;
  readonly releasing: Map<string, Releasing>;
  /** When a pending release times out: the leader plans again then. */
  readonly wakeAtMs: number | undefined;
}

/**
 * One step of incremental cooperative rebalancing, as the leader takes it. A unit that moves between two live
 * workers is first taken away (left unowned) and handed to its new owner only once the old owner acknowledged the
 * generation that took it away, so a task never runs twice. Units of workers that left the group, and new units,
 * are handed out at once. Units that do not move are not touched.
 */
export function plan(input: PlanInput): Plan {
  const liveSet = new Set(input.live);
  const unitKeys = new Set(input.units.map(unitKey));
  const prev = new Map<string, string>();
  for (const [k, w] of input.current) if (liveSet.has(w) && unitKeys.has(k)) prev.set(k, w);

  const releasing = new Map<string, Releasing>();
  for (const [k, r] of input.releasing) {
    const acked = r.generation !== undefined && input.applied(r.worker) >= r.generation;
    if (unitKeys.has(k) && liveSet.has(r.worker) && !acked && input.nowMs < r.deadlineMs) releasing.set(k, r);
  }

  const target = assign(prev, input.live, input.units);
  const next = new Map<string, string>();
  for (const [k, w] of target) {
    const p = prev.get(k);
    if (p !== undefined && p !== w) {
      releasing.set(k, { worker: p, generation: undefined, deadlineMs: input.nowMs + input.revokeTimeoutMs });
      continue;
    }
    const r = releasing.get(k);
    if (r && r.worker !== w) continue; // still running on its previous owner
    releasing.delete(k);
    next.set(k, w);
  }

  let wakeAtMs: number | undefined;
  for (const r of releasing.values()) wakeAtMs = Math.min(wakeAtMs ?? Infinity, r.deadlineMs);
  return { next, releasing, wakeAtMs };
}

export function sameOwners(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, w] of a) if (b.get(k) !== w) return false;
  return true;
}
