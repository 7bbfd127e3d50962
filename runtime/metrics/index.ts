import client from 'prom-client';
import type { TaskMetrics } from '../api';
import { LatencyHistogram } from './latency-histogram';

const NAME = /^[a-z][a-z0-9_]*$/;

/**
 * The worker's Prometheus registry. Task counters are `ferry_task_<name>_total{connector,task}`, task gauges
 * `ferry_task_<name>{connector,task}`; names come from the runtime and the connectors (e.g. `received`,
 * `acknowledged`, `in_flight`).
 */
export class Metrics {
  readonly registry = new client.Registry();
  private readonly counters = new Map<string, { metric: client.Counter<'connector' | 'task'>; cells: Set<Cell> }>();
  private readonly gauges = new Map<string, { metric: client.Gauge<'connector' | 'task'>; cells: Set<Cell> }>();
  readonly taskState: client.Gauge<'connector' | 'task' | 'state'>;
  readonly connectorState: client.Gauge<'connector' | 'state'>;
  readonly restRequests: client.Counter<'method' | 'route' | 'status'>;
  readonly restLatency: client.Histogram<'method' | 'route'>;
  /** Observed once per record: `recordLatency.observer({ connector, task })`. */
  readonly recordLatency: LatencyHistogram;
  readonly rebalances: client.Counter;
  /** Every state change of the worker, its connectors and tasks (runtime/lifecycle). */
  readonly stateTransitions: client.Counter<'kind' | 'from' | 'to'>;
  private readonly seen = new Map<string, Set<string>>();

  constructor() {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'ferry_process_' });
    this.taskState = new client.Gauge({
      name: 'ferry_task_state',
      help: 'Task state: 1 for the current state, 0 otherwise',
      labelNames: ['connector', 'task', 'state'],
      registers: [this.registry],
    });
    this.connectorState = new client.Gauge({
      name: 'ferry_connector_state',
      help: 'Connector state: 1 for the current state, 0 otherwise',
      labelNames: ['connector', 'state'],
      registers: [this.registry],
    });
    this.restRequests = new client.Counter({
      name: 'ferry_rest_requests_total',
      help: 'REST requests by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.restLatency = new client.Histogram({
      name: 'ferry_rest_request_duration_seconds',
      help: 'REST request latency',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10],
      registers: [this.registry],
    });
    this.recordLatency = new LatencyHistogram(
      'ferry_task_record_latency_seconds',
      'From a record entering Ferry (MQTT arrival or Kafka fetch) until its destination acknowledged it',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      this.registry,
    );
    this.rebalances = new client.Counter({
      name: 'ferry_worker_rebalances_total',
      help: 'Assignment changes this worker went through',
      registers: [this.registry],
    });
    this.stateTransitions = new client.Counter({
      name: 'ferry_state_transitions_total',
      help: 'State transitions of the worker, its connectors and its tasks, by kind, from and to',
      labelNames: ['kind', 'from', 'to'],
      registers: [this.registry],
    });
  }

  forTask(connector: string, task: number): TaskMetrics {
    const labels = { connector, task: String(task) };
    this.see(connector, labels.task);
    // Counting is on the per-record path: a plain number per series here, handed to prom-client at scrape time
    // (prom-client hashes the labels on every inc).
    const counters = new Map<string, Cell>();
    const gauges = new Map<string, Cell>();
    const cell = (kind: 'counter' | 'gauge', name: string, cache: Map<string, Cell>): Cell => {
      let c = cache.get(name);
      if (!c) {
        c = { labels, value: 0, reported: 0 };
        cache.set(name, c);
        (kind === 'counter' ? this.counter(name) : this.gauge(name)).cells.add(c);
      }
      return c;
    };
    return {
      count: (name, n = 1) => {
        (counters.get(name) ?? cell('counter', name, counters)).value += n;
      },
      gauge: (name, value) => {
        (gauges.get(name) ?? cell('gauge', name, gauges)).value = value;
      },
    };
  }

  setTaskState(connector: string, task: number, state: string): void {
    this.see(connector, String(task));
    for (const s of STATES) this.taskState.set({ connector, task: String(task), state: s }, s === state ? 1 : 0);
  }

  setConnectorState(connector: string, state: string): void {
    for (const s of STATES) this.connectorState.set({ connector, state: s }, s === state ? 1 : 0);
  }

  /** Drops every series of a connector (deleted, or moved to another worker). */
  forgetConnector(connector: string): void {
    for (const task of this.seen.get(connector) ?? []) {
      const labels = { connector, task };
      for (const m of [...this.counters.values(), ...this.gauges.values()]) {
        m.metric.remove(labels);
        for (const c of m.cells) if (c.labels.connector === connector) m.cells.delete(c);
      }
      this.recordLatency.remove(labels);
      for (const state of STATES) this.taskState.remove({ ...labels, state });
    }
    for (const state of STATES) this.connectorState.remove({ connector, state });
    this.seen.delete(connector);
  }

  private see(connector: string, task: string): void {
    let s = this.seen.get(connector);
    if (!s) {
      s = new Set();
      this.seen.set(connector, s);
    }
    s.add(task);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  private counter(name: string): { metric: client.Counter<'connector' | 'task'>; cells: Set<Cell> } {
    let c = this.counters.get(name);
    if (!c) {
      if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
      const cells = new Set<Cell>();
      const metric = new client.Counter({
        name: `ferry_task_${name}_total`,
        help: `Task counter: ${name.replace(/_/g, ' ')}`,
        labelNames: ['connector', 'task'],
        registers: [this.registry],
        collect() {
          for (const cell of cells) {
            if (cell.value > cell.reported) this.inc(cell.labels, cell.value - cell.reported);
            cell.reported = cell.value;
          }
        },
      });
      c = { metric, cells };
      this.counters.set(name, c);
    }
    return c;
  }

  private gauge(name: string): { metric: client.Gauge<'connector' | 'task'>; cells: Set<Cell> } {
    let g = this.gauges.get(name);
    if (!g) {
      if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
      const cells = new Set<Cell>();
      const metric = new client.Gauge({
        name: `ferry_task_${name}`,
        help: `Task gauge: ${name.replace(/_/g, ' ')}`,
        labelNames: ['connector', 'task'],
        registers: [this.registry],
        collect() {
          for (const cell of cells) this.set(cell.labels, cell.value);
        },
      });
      g = { metric, cells };
      this.gauges.set(name, g);
    }
    return g;
  }
}

/** One series' value, kept by its task and handed to prom-client when scraped. */
interface Cell {
  readonly labels: { connector: string; task: string };
  value: number;
  reported: number;
}

const STATES = ['UNASSIGNED', 'RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING'] as const;
