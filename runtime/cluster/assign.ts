/**
 * What the cluster hands out: a connector instance (`task` absent) or one of its tasks. Connectors and tasks are
 * balanced separately, as Kafka Connect's incremental cooperative assignor does, because a task carries the data
 * load and a connector instance almost none.
 */
export interface Unit {
  readonly connector: string;
  readonly task?: number;
}

/** Canonical string key of a unit (compact JSON, so names with any character stay unambiguous). */
export function unitKey(u: Unit): string {
  return u.task === undefined ? JSON.stringify(['c', u.connector]) : JSON.stringify(['t', u.connector, u.task]);
}

/** The unit a key names, or undefined for a key that is not one of ours. */
export function parseUnitKey(key: string): Unit | undefined {
  try {
    const v: unknown = JSON.parse(key);
    if (!Array.isArray(v) || typeof v[1] !== 'string') return undefined;
    if (v[0] === 'c' && v.length === 2) return { connector: v[1] };
    if (v[0] === 't' && v.length === 3 && Number.isInteger(v[2]) && (v[2] as number) >= 0)
      return { connector: v[1], task: v[2] as number };
    return undefined;
  } catch {
    return undefined;
  }
}

/** The units of a set of connectors: each connector and each of its tasks (`tasks` = how many task configs it has). */
export function unitsOf(connectors: readonly { readonly name: string; readonly tasks: number }[]): Unit[] {
  const out: Unit[] = [];
  for (const c of connectors) {
    out.push({ connector: c.name });
    for (let task = 0; task < c.tasks; task++) out.push({ connector: c.name, task });
  }
  return out;
}

/**
 * Balanced, sticky assignment of units to workers. Pure and deterministic (the same inputs in any order give the
 * same result), so the leader's decision can be tested on its own and recomputed by any successor.
 *
 * - Balanced: connectors per worker differ by at most one, and so do tasks per worker.
 * - Sticky: a unit stays with its previous owner whenever that owner is still in `workers` and keeping it does not
 *   break the balance; the number of units that change owner is the minimum the balance requires.
 * - Spread: among the workers that still need units, a free task goes to the one running the fewest tasks of the
 *   same connector, so one connector's tasks do not pile up on one worker.
 *
 * @param previous unit key → worker, from the last assignment (owners no longer in `workers` are ignored)
 * @returns unit key → worker, for every unit (empty when there are no workers)
 */
export function assign(
  previous: ReadonlyMap<string, string>,
  workers: readonly string[],
  units: readonly Unit[],
): Map<string, string> {
  const live = [...new Set(workers)].sort();
  const out = new Map<string, string>();
  if (live.length === 0) return out;
  const byKey = new Map<string, Unit>();
  for (const u of units) byKey.set(unitKey(u), u);
  const keys = [...byKey.keys()].sort();
  const connectorKeys = keys.filter((k) => byKey.get(k)!.task === undefined);
  const taskKeys = keys.filter((k) => byKey.get(k)!.task !== undefined);
  for (const group of [connectorKeys, taskKeys])
    for (const [k, w] of assignGroup(previous, live, group, byKey)) out.set(k, w);
  return out;
}

function assignGroup(
  previous: ReadonlyMap<string, string>,
  live: readonly string[],
  keys: readonly string[],
  byKey: ReadonlyMap<string, Unit>,
): Map<string, string> {
  const liveSet = new Set(live);
  const held = new Map<string, string[]>(live.map((w) => [w, []]));
  const free: string[] = [];
  for (const k of keys) {
    const w = previous.get(k);
    if (w !== undefined && liveSet.has(w)) held.get(w)!.push(k);
    else free.push(k);
  }

  // Quotas: everyone gets `base`, `extra` workers get one more. The extra ones go to the workers already holding
  // the most, which is what makes the number of moves minimal.
  const base = Math.floor(keys.length / live.length);
  const extra = keys.length % live.length;
  const byLoad = [...live].sort((a, b) => held.get(b)!.length - held.get(a)!.length || cmp(a, b));
  const quota = new Map<string, number>(byLoad.map((w, i) => [w, base + (i < extra ? 1 : 0)]));

  // An over-quota worker gives up units of the connector it holds most of, so what remains is spread too.
  for (const w of live) {
    const mine = held.get(w)!;
    while (mine.length > quota.get(w)!) {
      const counts = countByConnector(mine, byKey);
      let pick = mine.length - 1;
      for (let i = mine.length - 1; i >= 0; i--) {
        const c = byKey.get(mine[i]!)!.connector;
        if (counts.get(c)! > counts.get(byKey.get(mine[pick]!)!.connector)!) pick = i;
      }
      free.push(mine.splice(pick, 1)[0]!);
    }
  }

  free.sort();
  for (const k of free) {
    const c = byKey.get(k)!.connector;
    let best: string | undefined;
    let bestSame = 0;
    let bestDeficit = 0;
    for (const w of live) {
      const deficit = quota.get(w)! - held.get(w)!.length;
      if (deficit <= 0) continue;
      const same = held.get(w)!.filter((x) => byKey.get(x)!.connector === c).length;
      if (best === undefined || same < bestSame || (same === bestSame && deficit > bestDeficit)) {
        best = w;
        bestSame = same;
        bestDeficit = deficit;
      }
    }
    // Quotas add up to the number of keys, so a worker with room always exists.
    held.get(best!)!.push(k);
  }

  const out = new Map<string, string>();
  for (const [w, ks] of held) for (const k of ks) out.set(k, w);
  return out;
}

function countByConnector(keys: readonly string[], byKey: ReadonlyMap<string, Unit>): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) {
    const c = byKey.get(k)!.connector;
    m.set(c, (m.get(c) ?? 0) + 1);
  }
  return m;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
