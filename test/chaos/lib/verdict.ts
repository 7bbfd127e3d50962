/** What the readers and writers of one row saw, and what that means: the counts every row prints. */

export type SeqsByKey = Record<string, number[]>;

export interface Delivered {
  /** What the upstream (MQTT publisher or Kafka producer) sent and what was acknowledged to it. */
  readonly sent: number;
  readonly acked: SeqsByKey;
  readonly ackedAtMs: SeqsByKey;
  readonly errors: string[];
  /** Every sequence number read back, per key, in the order read. */
  readonly reads: SeqsByKey;
}

/**
 * A broker SIGKILL: when it was killed and when a new broker was listening again (undefined: not back yet). No broker
 * could acknowledge anything in between, so an acknowledgement read then was written before the kill and only read
 * late (a busy publisher's event loop, its socket's buffer).
 */
export interface BrokerKill {
  readonly atMs: number;
  readonly backAtMs?: number;
}

export interface Stop {
  readonly what: string;
  readonly ms: number;
  /** Did it finish cleanly: within the harness's bound, and a worker exiting with 0 rather than forcing its exit. */
  readonly finished: boolean;
}

export interface Counts {
  sent: number;
  acked: number;
  read: number;
  distinct: number;
  /** Acknowledged upstream and never read. */
  lost: number;
  /**
   * Of `lost`: acknowledged by a broker within its persistence save interval before that broker was SIGKILLed
   * (read up to the save interval before the kill, or while no broker was there).
   */
  lostInBrokerSaveWindow: number;
  /** Extra copies read (reads minus distinct). */
  duplicates: number;
  /** A sequence number read for the first time after a higher one of its key: the stream was reordered. */
  orderViolations: number;
  /** Any step back within a key (includes replays after a redelivery, which at-least-once allows). */
  rewinds: number;
  /** When the lost messages were acknowledged, relative to the nearest broker SIGKILL (ms, negative: before it). */
  lostAckedAroundKillMs?: [number, number];
  stops: number;
  maxStopMs: number | null;
  /** Stops that took longer than the graceful timeout plus a second, or never finished. */
  slowStops: number;
  /** Stops that never finished cleanly: cut off by the harness, or a worker that had to force its own exit. */
  unfinishedStops: number;
}

export function analyse(
  d: Delivered,
  stops: Stop[],
  budgetMs: number,
  brokerKills: readonly BrokerKill[],
  saveWindowMs: number,
): Counts {
  let acked = 0;
  let lost = 0;
  let lostInWindow = 0;
  let read = 0;
  let distinct = 0;
  let orderViolations = 0;
  let rewinds = 0;
  let around: [number, number] | undefined;
  const seenByKey = new Map<string, Set<number>>();
  for (const [key, seqs] of Object.entries(d.reads)) {
    const seen = new Set<number>();
    let max = -1;
    for (const s of seqs) {
      read++;
      if (s < max) {
        rewinds++;
        if (!seen.has(s)) orderViolations++;
      }
      if (!seen.has(s)) distinct++;
      seen.add(s);
      max = Math.max(max, s);
    }
    seenByKey.set(key, seen);
  }
  for (const [key, seqs] of Object.entries(d.acked)) {
    const seen = seenByKey.get(key);
    const at = d.ackedAtMs[key] ?? [];
    seqs.forEach((s, i) => {
      acked++;
      if (seen?.has(s)) return;
      lost++;
      const t = at[i] ?? 0;
      if (brokerKills.some((k) => t > k.atMs - saveWindowMs && t <= (k.backAtMs ?? k.atMs))) lostInWindow++;
      const nearest = brokerKills.reduce<number | undefined>(
        (best, k) => (best === undefined || Math.abs(t - k.atMs) < Math.abs(best) ? t - k.atMs : best),
        undefined,
      );
      if (nearest !== undefined)
        around = around ? [Math.min(around[0], nearest), Math.max(around[1], nearest)] : [nearest, nearest];
    });
  }
  const budget = (s: Stop): boolean => s.finished && s.ms <= budgetMs;
  return {
    sent: d.sent,
    acked,
    read,
    distinct,
    lost,
    lostInBrokerSaveWindow: lostInWindow,
    ...(around ? { lostAckedAroundKillMs: around } : {}),
    duplicates: read - distinct,
    orderViolations,
    rewinds,
    stops: stops.length,
    maxStopMs: stops.length ? Math.max(...stops.map((s) => s.ms)) : null,
    slowStops: stops.filter((s) => !budget(s)).length,
    unfinishedStops: stops.filter((s) => !s.finished).length,
  };
}

export interface RowResult {
  readonly row: string;
  readonly params: Record<string, string | number>;
  readonly counts?: Counts;
  /** Facts a row observed beyond the counts (e.g. a sink's committed offsets). */
  readonly notes: string[];
  readonly error?: string;
  readonly seconds: number;
  readonly at: string;
}

export function paramText(params: Record<string, string | number>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** The one line a row prints. */
export function line(r: RowResult): string {
  const head = `[chaos] ${r.row} ${paramText(r.params)}`;
  if (!r.counts) return `${head}: ERROR ${r.error ?? ''} (${r.seconds} s)`;
  const c = r.counts;
  const lost = c.lostAckedAroundKillMs
    ? `${c.lost} (${c.lostInBrokerSaveWindow} in the broker's save window; acked ${aroundText(c.lostAckedAroundKillMs)} around a broker kill)`
    : `${c.lost}`;
  return (
    `${head}: acked ${c.acked}/${c.sent}, read ${c.read} (${c.distinct} distinct), lost ${lost}, ` +
    `duplicates ${c.duplicates}, order violations ${c.orderViolations} (rewinds ${c.rewinds}), ` +
    `stops ${c.stops} max ${c.maxStopMs ?? '-'} ms slow ${c.slowStops} unfinished ${c.unfinishedStops}` +
    `${r.notes.length ? `; ${r.notes.join('; ')}` : ''}${r.error ? `; ERROR ${r.error}` : ''} (${r.seconds} s)`
  );
}

/** "-1.2..+0.1 s": when lost messages were acknowledged, relative to a broker kill. */
export function aroundText([a, b]: [number, number]): string {
  const f = (ms: number): string => `${ms >= 0 ? '+' : ''}${(ms / 1000).toFixed(1)}`;
  return a === b ? `${f(a)} s` : `${f(a)}..${f(b)} s`;
}
