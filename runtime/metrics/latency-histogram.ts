import type client from 'prom-client';

type Labels = Readonly<Record<string, string>>;

interface Series {
  readonly labels: Labels;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram observed once per record. prom-client's Histogram hashes the label set on every observe
 * (2 % of a busy task's allocations); here each series gets an observer function up front, and an observation is a
 * bucket search and three additions. The exposition is the same as prom-client's histogram (cumulative `le` buckets
 * with `+Inf`, `_sum`, `_count`), produced when the registry is scraped.
 */
export class LatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator: client.Aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
    registry: client.Registry,
  ) {
    // prom-client's registry takes any metric that has a name and get().
    registry.registerMetric(this as unknown as client.Metric);
  }

  /** An observer (seconds) for one label set; a second call for the same labels shares the series. */
  observer(labels: Labels): (value: number) => void {
    const key = seriesKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { ...labels }, counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    const series = s;
    const bounds = this.buckets;
    return (value: number) => {
      let i = 0;
      while (i < bounds.length && value > bounds[i]!) i++;
      series.counts[i]!++;
      series.sum += value;
      series.count++;
    };
  }

  /** Drops the series whose labels include all of `labels`. */
  remove(labels: Labels): void {
    for (const [key, s] of this.series) {
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) this.series.delete(key);
    }
  }

  /** What prom-client's registry reads at scrape time (its histogram's shape). */
  get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    values: client.MetricValueWithName<string>[];
    aggregator: client.Aggregator;
  }> {
    const values: client.MetricValueWithName<string>[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += s.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...s.labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...s.labels }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: 'histogram' as const,
      values,
      aggregator: this.aggregator,
    });
  }

  reset(): void {
    this.series.clear();
  }
}

function seriesKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join('\u0000');
}
