import type { HealthInfo, Herder } from '../herder/types';
import { topicMetadata, type LogRecord } from '../kafka';
import { StateMachine, runSteps, type MachineSpec } from '../lifecycle';
import { InternalTopic } from '../storage';
import { ConnectorRuntimes } from './connector-runtime';
import { WorkerHerder } from './herder';
import { Reconciler } from './reconciler';
import { createWorkerServices, type WorkerOptions, type WorkerServices } from './services';
import { StateWriter } from './states';
import { TaskControl } from './task-control';

export type WorkerPhase = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * The worker's own lifecycle. Connectors run and REST changes are accepted only while `running`; `stop()` may come
 * at any point (a signal during startup, a failed start), and a worker never starts twice.
 */
export const WORKER_STATES: MachineSpec<WorkerPhase> = {
  kind: 'worker',
  initial: 'created',
  transitions: {
    created: ['starting', 'stopped'],
    starting: ['running', 'stopping'],
    running: ['stopping'],
    stopping: ['stopped'],
    stopped: [],
  },
};

const KAFKA_CHECK_INTERVAL_MS = 10_000;

/**
 * A Ferry worker: keeps connector configs, offsets and statuses in Kafka's compacted topics, runs the connectors
 * and tasks its membership assigns to it (Reconciler, TaskControl), and answers the REST API through `herder`.
 *
 * Every change goes through the config topic first and is applied when read back, so a worker that restarts (or
 * another worker of the cluster) reaches the same state from the log. Transitions of one connector are serialised
 * on its own chain; connectors never wait for each other.
 */
export class Worker {
  /** What the REST layer talks to. */
  readonly herder: Herder;
  private readonly phase: StateMachine<WorkerPhase>;
  private readonly s: WorkerServices;
  private readonly runtimes: ConnectorRuntimes;
  private readonly reconciler: Reconciler;
  private readonly internalTopics: InternalTopic[] = [];
  private kafkaProblem: string | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  constructor(opts: WorkerOptions) {
    this.s = createWorkerServices(opts, () => this.phase.is('running'));
    this.phase = new StateMachine(WORKER_STATES, this.s.logger, { workerId: this.s.workerId }, (labels) =>
      opts.metrics.stateTransitions.inc(labels),
    );
    this.runtimes = new ConnectorRuntimes(this.s.logger);
    const states = new StateWriter(this.s);
    const tasks = new TaskControl(this.s, this.runtimes, states);
    this.reconciler = new Reconciler(this.s, this.runtimes, states, tasks);
    this.herder = new WorkerHerder(this.s, this.runtimes, this.reconciler, tasks, this);
  }

  workerId(): string {
    return this.s.workerId;
  }

  health(): HealthInfo {
    if (this.phase.is('created', 'starting')) return { status: 'starting', message: 'Worker is still starting up.' };
    if (!this.phase.is('running')) return { status: 'unhealthy', message: 'Worker is shutting down.' };
    if (this.kafkaProblem) return { status: 'unhealthy', message: this.kafkaProblem };
    return { status: 'healthy', message: 'Worker has completed startup and is ready to handle requests.' };
  }

  async start(): Promise<void> {
    if (!this.phase.is('created')) return;
    this.phase.to('starting');
    const { s } = this;
    const t0 = Date.now();
    await s.internalProducer.start();
    await s.dataProducer.start();
    const topic = (name: string, partitions: number, rf: number, apply: (r: LogRecord) => void): InternalTopic => {
      const t = new InternalTopic(
        { name, partitions, replicationFactor: rf },
        s.admin,
        s.internalProducer,
        s.kafkaConf('consumer'),
        apply,
        s.logger,
      );
      this.internalTopics.push(t);
      return t;
    };
    // Offsets and statuses first: when the config topic is applied, every connector finds its offsets and status.
    await s.offsets.start(
      topic(s.cfg.offsetsTopic, s.cfg.offsetsPartitions, s.cfg.offsetsReplicationFactor, (r) => s.offsets.apply(r)),
    );
    await s.statuses.start(
      topic(s.cfg.statusTopic, s.cfg.statusPartitions, s.cfg.statusReplicationFactor, (r) => s.statuses.apply(r)),
    );
    s.configs.onChange((e) => this.reconciler.configChanged(e));
    await s.configs.start(topic(s.cfg.configTopic, 1, s.cfg.configReplicationFactor, (r) => s.configs.apply(r)));
    // Started only now: the config topic has been read to its end, so the units a leader hands out are complete.
    s.membership.onChange(() => this.reconciler.reconcileAll());
    await s.membership.start();
    // stop() was called while starting: it owns the rest.
    if (!this.phase.is('starting')) return;
    this.phase.to('running');
    this.healthTimer = setInterval(() => void this.checkKafka(), KAFKA_CHECK_INTERVAL_MS);
    s.logger.info(
      { workerId: s.workerId, connectors: s.configs.names().length, ms: Date.now() - t0 },
      'worker started',
    );
    void this.reconciler.reconcileAll();
  }

  /**
   * Graceful stop: tasks stop (offsets flushed, statuses written), then the membership is left and Kafka clients
   * close, each step on its own so one failing client does not keep the others open. Every caller gets the same
   * promise.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.phase.is('created')) {
        this.phase.to('stopped');
        return;
      }
      this.phase.to('stopping');
      this.s.logger.info('worker stopping');
      const { s } = this;
      await runSteps(s.logger, [
        ['health check', () => clearInterval(this.healthTimer)],
        ['connectors', () => this.stopConnectors()],
        ['membership', () => s.membership.stop()],
        ...this.internalTopics.map((t, i) => [`internal topic ${i}`, () => t.stop()] as const),
        ['data producer', () => s.dataProducer.stop()],
        ['internal producer', () => s.internalProducer.stop()],
        ['admin client', () => s.admin.stop()],
      ]);
      this.phase.to('stopped');
      s.logger.info('worker stopped');
    })();
    return this.stopping;
  }

  /** Every connector stops on its own chain, after whatever step it is in; they stop side by side. */
  private async stopConnectors(): Promise<void> {
    await Promise.all(
      this.runtimes
        .all()
        .map((rt) =>
          this.runtimes
            .enqueue(rt.name, () => this.reconciler.stopConnector(rt, 'UNASSIGNED'))
            .catch((err: unknown) => this.s.logger.warn({ err, connector: rt.name }, 'connector did not stop cleanly')),
        ),
    );
  }

  private async checkKafka(): Promise<void> {
    try {
      // One topic's metadata is enough to prove a broker answers (see runtime/kafka/metadata.ts).
      await topicMetadata(this.s.internalProducer.client, this.s.cfg.configTopic, 5000);
      if (this.kafkaProblem) this.s.logger.info('Kafka is reachable again');
      this.kafkaProblem = undefined;
    } catch (err) {
      if (!this.kafkaProblem) this.s.logger.warn({ err: (err as Error).message }, 'Kafka is unreachable');
      this.kafkaProblem = `Kafka is unreachable: ${(err as Error).message}`;
    }
  }
}
