import type { ConnectorPlugin, Logger, RawConfig, SourceConnectorPlugin } from '../../../runtime/api';
import { DEFAULT_LIMITS, type WorkerConfig } from '../../../runtime/config';
import type { LogRecord } from '../../../runtime/kafka';
import { Metrics } from '../../../runtime/metrics';
import { PluginRegistry } from '../../../runtime/plugins';
import { ConfigStore, StatusStore, type InternalTopic } from '../../../runtime/storage';
import { ConnectorRuntimes, type TaskRunner } from '../../../runtime/worker/connector-runtime';
import type { Membership } from '../../../runtime/worker/membership';
import { Reconciler } from '../../../runtime/worker/reconciler';
import type { WorkerServices } from '../../../runtime/worker/services';
import { StateWriter } from '../../../runtime/worker/states';
import { TaskControl } from '../../../runtime/worker/task-control';
import type { TaskBuilder } from '../../../runtime/worker/task-factory';

export const quiet: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => quiet,
};

/** An internal topic kept in memory: a write is applied (read back) before it resolves, as the real one's is. */
export function memoryTopic(apply: (r: LogRecord) => void, written: { key: string; value: unknown }[]): InternalTopic {
  let offset = 0;
  const topic = {
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    readToEnd: () => Promise.resolve(),
    write: (records: readonly { key: string; value: unknown }[]) => {
      for (const r of records) {
        written.push(r);
        const value = r.value === null ? null : Buffer.from(JSON.stringify(r.value));
        apply({ key: r.key, value, partition: 0, offset: offset++ });
      }
      return Promise.resolve();
    },
  };
  return topic as unknown as InternalTopic;
}

/** Ownership the test sets: everything by default. */
export class FakeMembership implements Membership {
  owns: (connector: string, task?: number) => boolean = () => true;
  gen = 1;
  unitsChangedCalls = 0;
  start = (): Promise<void> => Promise.resolve();
  stop = (): Promise<void> => Promise.resolve();
  generation = (): number => this.gen;
  ownsConnector = (name: string): boolean => this.owns(name);
  ownsTask = (name: string, task: number): boolean => this.owns(name, task);
  onChange(): void {}
  isLeader = (): boolean => true;
  unitsChanged = (): void => {
    this.unitsChangedCalls++;
  };
}

/** A runner that records what the worker asked of it; `failStart` makes its start throw. */
export class FakeRunner implements TaskRunner {
  started = false;
  stopped = false;
  constructor(
    readonly connector: string,
    readonly task: number,
    readonly config: RawConfig,
    readonly fail: (err: Error) => void,
    private readonly failStart: Error | undefined,
  ) {}
  start(): Promise<void> {
    if (this.failStart) return Promise.reject(this.failStart);
    this.started = true;
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
  /** Set when the worker asked it to drain (a shrink) while it still ran; `drains` is its answer. */
  retiredWhileRunning = false;
  drains = true;
  retire(): Promise<boolean> {
    this.retiredWhileRunning = this.started && !this.stopped;
    return Promise.resolve(this.drains);
  }
}

/** A source plugin whose connector hands out `tasks.max` task configs, each naming its index. */
export function splittingSource(released: RawConfig[][]): SourceConnectorPlugin {
  return {
    className: 'SplitSource',
    type: 'source',
    version: '1',
    config: { type: 'object', properties: { topic: { type: 'string', description: 'Topic' } } },
    createConnector: () => ({
      start: () => Promise.resolve(),
      taskConfigs: (max: number) =>
        Array.from({ length: max }, (_, i) => ({ 'connector.class': 'SplitSource', index: String(i) })),
      stop: () => Promise.resolve(),
    }),
    createTask: () => ({ start: () => Promise.resolve(), stop: () => Promise.resolve() }),
    releaseTasks: (configs) => {
      released.push([...configs]);
      return Promise.resolve();
    },
  };
}

/** The worker's reconciliation wired as Worker wires it, over in-memory config and status topics and fake runners. */
export async function reconcilerHarness(plugins: ConnectorPlugin[]) {
  const configs = new ConfigStore(quiet);
  const statuses = new StatusStore(quiet, 'test');
  const configWrites: { key: string; value: unknown }[] = [];
  const statusWrites: { key: string; value: unknown }[] = [];
  await configs.start(memoryTopic((r) => configs.apply(r), configWrites));
  await statuses.start(memoryTopic((r) => statuses.apply(r), statusWrites));
  const membership = new FakeMembership();
  const metrics = new Metrics();
  const runners: FakeRunner[] = [];
  const failStarts = new Map<string, Error>();
  let running = true;
  const cfg = {
    shutdownTimeoutMs: 1000,
    sessionTimeoutMs: 1000,
    converterDefaults: {},
    limits: DEFAULT_LIMITS,
  } as unknown as WorkerConfig;
  const s: WorkerServices = {
    opts: {
      config: cfg,
      registry: new PluginRegistry(plugins),
      pipeline: { resolveConfigProviders: (raw: RawConfig) => Promise.resolve(raw) } as never,
      logger: quiet,
      metrics,
      version: 'test',
    },
    cfg,
    logger: quiet,
    workerId: 'w1:8083',
    kafkaConf: () => ({}),
    admin: {} as never,
    internalProducer: {} as never,
    dataProducer: {} as never,
    configs,
    offsets: {} as never,
    statuses,
    topics: {} as never,
    topicGuard: {} as never,
    sinkOffsets: {} as never,
    membership,
    hooks: {} as never,
    running: () => running,
  };
  const build: TaskBuilder = (_s, rt, t, stored, onFailure) => {
    const runner = new FakeRunner(rt.name, t.id, stored, onFailure, failStarts.get(`${rt.name}-${t.id}`));
    runners.push(runner);
    return Promise.resolve({ runner, abort: new AbortController() });
  };
  const runtimes = new ConnectorRuntimes(quiet);
  const states = new StateWriter(s);
  const tasks = new TaskControl(s, runtimes, states, build);
  const reconciler = new Reconciler(s, runtimes, states, tasks);
  configs.onChange((e) => reconciler.configChanged(e));

  /** Waits until no step is queued on the connector's chain any more (a step may queue the next). */
  const idle = async (name: string): Promise<void> => {
    for (;;) {
      const chain = runtimes.get(name)?.chain;
      if (!chain) return;
      await chain;
      await new Promise((r) => setImmediate(r));
      if (runtimes.get(name)?.chain === chain) return;
    }
  };
  const taskStatus = (name: string) =>
    Object.fromEntries([...statuses.tasksOf(name)].map(([id, r]) => [id, `${r.state}@${r.worker_id}`]));
  const live = (name: string) => runners.filter((r) => r.connector === name && r.started && !r.stopped);
  return {
    configs,
    statuses,
    statusWrites,
    membership,
    metrics,
    runners,
    failStarts,
    runtimes,
    reconciler,
    idle,
    taskStatus,
    live,
    stopRunning: () => {
      running = false;
    },
  };
}
