// Per-connector figures from /metrics: counters summed over the connector's tasks, rates from two scrapes, and a short
// history for the sparklines. Only this worker's tasks are in its /metrics (each worker counts its own).

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Prometheus text → [{name, labels, value}]. */
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(LABEL))
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** What the console shows for each connector, by the runtime's metric names (docs/mqtt-source.md, mqtt-sink.md). */
const SUMS = {
  received: 'ferry_task_received_total',
  written: 'ferry_task_written_total',
  consumed: 'ferry_task_consumed_total',
  published: 'ferry_task_published_total',
  failed: 'ferry_task_failed_total',
  deadLettered: 'ferry_task_dead_lettered_total',
  lag: 'ferry_task_consumer_lag',
  latencySum: 'ferry_task_record_latency_seconds_sum',
  latencyCount: 'ferry_task_record_latency_seconds_count',
};

/** {connector → {received, written, …}} summed over tasks. */
export function perConnector(samples) {
  const out = {};
  for (const s of samples) {
    const connector = s.labels.connector;
    if (connector === undefined) continue;
    for (const [key, name] of Object.entries(SUMS)) {
      if (s.name !== name) continue;
      const c = (out[connector] ??= {});
      c[key] = (c[key] ?? 0) + s.value;
    }
  }
  return out;
}

const HISTORY = 40;

/** Keeps the last scrapes and turns counters into rates (per second) for each connector. */
export class MetricsHistory {
  constructor() {
    this.last = undefined;
    this.series = new Map();
  }

  /** Adds one scrape taken at `atMs`; returns {connector → figures with inRate, outRate, latencyMs}. */
  add(text, atMs) {
    const now = perConnector(parseMetrics(text));
    const figures = {};
    for (const [name, c] of Object.entries(now)) {
      const prev = this.last?.values[name];
      const seconds = this.last ? (atMs - this.last.atMs) / 1000 : 0;
      const isSink = c.consumed !== undefined || c.published !== undefined;
      const inTotal = isSink ? c.consumed : c.received;
      const outTotal = isSink ? c.published : c.written;
      const rate = (total, before) =>
        prev && seconds > 0 && total !== undefined ? Math.max(0, (total - (before ?? 0)) / seconds) : undefined;
      const dCount = (c.latencyCount ?? 0) - (prev?.latencyCount ?? 0);
      const latencyMs =
        prev && dCount > 0 ? (((c.latencySum ?? 0) - (prev.latencySum ?? 0)) / dCount) * 1000 : undefined;
      const f = {
        ...c,
        inTotal,
        outTotal,
        inRate: rate(inTotal, isSink ? prev?.consumed : prev?.received),
        outRate: rate(outTotal, isSink ? prev?.published : prev?.written),
        latencyMs,
        latencyAvgMs: c.latencyCount > 0 ? (c.latencySum / c.latencyCount) * 1000 : undefined,
      };
      figures[name] = f;
      const hist = this.series.get(name) ?? { inRate: [], outRate: [], latencyMs: [], lag: [] };
      for (const k of Object.keys(hist)) {
        hist[k].push(f[k] ?? NaN);
        if (hist[k].length > HISTORY) hist[k].shift();
      }
      this.series.set(name, hist);
    }
    this.last = { atMs, values: now };
    this.figures = figures;
    return figures;
  }

  history(name) {
    return this.series.get(name) ?? { inRate: [], outRate: [], latencyMs: [], lag: [] };
  }
}
