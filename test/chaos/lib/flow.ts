import { Role } from './procs';
import { Broker, createTopic } from './stack';
import { analyse, type BrokerKill, type Delivered, type RowResult, type Stop } from './verdict';
import { mustPoll, newCluster, poll, rest, sleep, uniqueId, waitState, Worker, type ClusterSpec } from './workers';

const STRING = 'org.apache.kafka.connect.storage.StringConverter';
/** Mosquitto's `autosave_interval` in deploy/local/stack.sh: what it acknowledged since the last save dies with it. */
const MOSQUITTO_SAVE_WINDOW_MS = 6000;

/** The brokers a run uses; fault rows need private ones. */
export interface Brokers {
  readonly kafka: Broker;
  readonly mqtt: Broker;
  readonly registry?: string;
}

export interface StreamParams {
  readonly qos: 1 | 2;
  readonly mqttVersion: '3.1.1' | '5';
  readonly keys: number;
  readonly ratePerSecond: number;
  readonly partitions: number;
  /** mqtt.max.in.flight of the connector: duplicates after a crash are bounded by it. */
  readonly window: number;
  /** The workers' `session.timeout.ms`. */
  readonly sessionTimeoutMs?: number;
}

export const DEFAULT_STREAM: StreamParams = {
  qos: 1,
  mqttVersion: '5',
  keys: 4,
  ratePerSecond: 200,
  partitions: 3,
  window: 1000,
};

/**
 * One row's moving parts: upstream writer, downstream reader, the workers of its cluster and the connector under
 * test, plus what the row's faults observed (stops, broker kills, notes). Every process is tracked for cleanup.
 */
export class Stream {
  readonly workers: Worker[] = [];
  readonly stops: Stop[] = [];
  readonly brokerKills: BrokerKill[] = [];
  readonly notes: string[] = [];
  readonly cluster: ClusterSpec;
  readonly name = uniqueId('chaos-conn');
  readonly root = uniqueId('chaos');
  readonly topic = `${this.root}-out`;
  private writer: Role | undefined;
  private reader: Role | undefined;

  constructor(
    readonly kind: 'source' | 'sink',
    readonly brokers: Brokers,
    readonly p: StreamParams,
  ) {
    this.cluster = newCluster(brokers.kafka.address, brokers.registry, 5000, p.sessionTimeoutMs ?? 8000);
  }

  get budgetMs(): number {
    return this.cluster.gracefulMs + 1000;
  }

  get any(): Worker {
    const w = this.workers.find((x) => x.alive);
    if (!w) throw new Error('no live worker');
    return w;
  }

  async addWorker(): Promise<Worker> {
    const w = await Worker.start(this.cluster);
    this.workers.push(w);
    return w;
  }

  connectorConfig(extra: Record<string, string> = {}): Record<string, string> {
    const common = {
      'key.converter': STRING,
      'value.converter': STRING,
      'mqtt.server.uri': this.brokers.mqtt.address,
      'mqtt.protocol.version': this.p.mqttVersion,
      'mqtt.qos': String(this.p.qos),
      'mqtt.reconnect.backoff.ms': '200',
      'mqtt.reconnect.backoff.max.ms': '2000',
      'mqtt.max.in.flight': String(this.p.window),
    };
    if (this.kind === 'source')
      return {
        'connector.class': 'MqttSourceConnector',
        'tasks.max': '1',
        'mqtt.topics': `${this.root}/+/t`,
        'kafka.topic': this.topic,
        'mqtt.value.format': 'string',
        ...common,
        ...extra,
      };
    return {
      'connector.class': 'MqttSinkConnector',
      'tasks.max': '1',
      topics: `${this.root}-in`,
      'mqtt.topic': `${this.root}/out/\${key}`,
      'mqtt.payload.format': 'string',
      ...common,
      ...extra,
    };
  }

  /** Topic, reader, `workers` workers, the connector RUNNING, and one warm-up message through: the path is open. */
  async open(workers: number, extra: Record<string, string> = {}): Promise<void> {
    const tasks = Number(extra['tasks.max'] ?? '1');
    const version = this.p.mqttVersion === '5' ? 5 : 4;
    if (this.kind === 'source') {
      await createTopic(this.brokers.kafka.address, this.topic, this.p.partitions);
      this.reader = await Role.start('kafka-reader.js', {
        bootstrap: this.brokers.kafka.address,
        topic: this.topic,
        partitions: this.p.partitions,
      });
    } else {
      await createTopic(this.brokers.kafka.address, `${this.root}-in`, this.p.partitions);
      this.reader = await Role.start('mqtt-reader.js', {
        url: this.brokers.mqtt.address,
        filter: `${this.root}/out/#`,
        qos: this.p.qos,
        protocolVersion: version,
        clientId: `${this.root}-reader`,
      });
    }
    for (let i = 0; i < workers; i++) await this.addWorker();
    const created = await rest(this.any.url, 'POST', '/connectors', {
      name: this.name,
      config: this.connectorConfig(extra),
    });
    if (created.status !== 201)
      throw new Error(`creating the connector: ${created.status} ${JSON.stringify(created.body)}`);
    if ((await waitState(this.any, this.name, 'RUNNING', tasks, 120_000)) === undefined)
      throw new Error(
        `connector not RUNNING within 120 s: ${JSON.stringify((await rest(this.any.url, 'GET', `/connectors/${this.name}/status`)).body)}`,
      );
    this.writer =
      this.kind === 'source'
        ? await Role.start('mqtt-publisher.js', {
            url: this.brokers.mqtt.address,
            root: this.root,
            keys: this.p.keys,
            qos: this.p.qos,
            protocolVersion: version,
            rate: this.p.ratePerSecond,
            maxInFlight: 500,
            clientId: `${this.root}-pub`,
          })
        : await Role.start('kafka-producer.js', {
            bootstrap: this.brokers.kafka.address,
            topic: `${this.root}-in`,
            keys: this.p.keys,
            rate: this.p.ratePerSecond,
            maxInFlight: 2000,
          });
    const reader = this.reader;
    const writer = this.writer;
    await mustPoll(
      async () => {
        await writer.call('warm', {}, 10_000);
        await sleep(1000);
        return (await reader.call<{ records: number }>('progress')).records > 0;
      },
      120_000,
      'the warm-up message to come through',
    );
    await writer.call('start');
  }

  /** Runs until at least `n` more messages were acknowledged upstream. */
  async flowFor(n: number, limitMs = 120_000): Promise<void> {
    const writer = this.writer!;
    const base = (await writer.call<{ acked: number }>('progress')).acked;
    await mustPoll(
      async () => (await writer.call<{ acked: number }>('progress')).acked >= base + n,
      limitMs,
      `${n} more acknowledged messages`,
    );
  }

  async sent(): Promise<number> {
    return (await this.writer!.call<{ sent: number }>('progress')).sent;
  }

  /** Times one stop step; a step that does not finish within `limitMs` is recorded as unfinished. */
  async timedStop(what: string, step: () => Promise<boolean>, limitMs = 60_000): Promise<Stop> {
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const cutOff = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), limitMs)));
    const finished = await Promise.race([step(), cutOff]).finally(() => clearTimeout(timer));
    const stop = { what, ms: Date.now() - t0, finished };
    this.stops.push(stop);
    return stop;
  }

  /** SIGTERM a worker; its exit is the stop measured (a worker that forces its exit, code 1, did not stop cleanly). */
  async terminate(w: Worker): Promise<void> {
    const limit = this.cluster.gracefulMs + 30_000;
    await this.timedStop(
      'worker SIGTERM',
      async () => {
        const { code } = await w.terminate(limit);
        if (code !== 0) this.notes.push(`a worker exited with ${code ?? 'nothing (killed)'} after SIGTERM`);
        return code === 0;
      },
      limit + 1000,
    );
  }

  async killBroker(b: Broker): Promise<void> {
    this.brokerKills.push({ atMs: Date.now() });
    b.kill();
    await sleep(500);
  }

  /** A killed broker listens again: acknowledgements read from now on may come from it. */
  brokerBack(): void {
    const last = this.brokerKills.at(-1);
    if (last && last.backAtMs === undefined)
      this.brokerKills[this.brokerKills.length - 1] = { ...last, backAtMs: Date.now() };
  }

  /**
   * Stops the writer, waits for every acknowledged message to be read (or for the stream to stay quiet for
   * `quietMs` with some still missing: those are lost), then a few seconds more for late duplicates.
   */
  async finish(row: string, params: Record<string, string | number>, t0: number): Promise<RowResult> {
    const writer = this.writer!;
    const reader = this.reader!;
    const w = await writer.call<Omit<Delivered, 'reads'>>('stop', { drainMs: 60_000 }, 90_000);
    await reader.call('watch', { acked: w.acked });
    const deadline = Date.now() + 240_000;
    for (;;) {
      const p = await reader.call<{ missing: number; lastReadAgoMs: number }>('progress');
      if (p.missing === 0 || p.lastReadAgoMs > 45_000 || Date.now() > deadline) break;
      await sleep(1000);
    }
    await sleep(3000);
    const r = await reader.call<{ reads: Delivered['reads'] }>('stop', {}, 60_000);
    const reads = this.kind === 'source' ? await this.rereadIfMissing(w.acked, r.reads) : r.reads;
    const counts = analyse({ ...w, reads }, this.stops, this.budgetMs, this.brokerKills, MOSQUITTO_SAVE_WINDOW_MS);
    if (w.errors.length) this.notes.push(`upstream errors: ${w.errors.slice(0, 3).join(' | ')}`);
    return {
      row,
      params,
      counts,
      notes: this.notes,
      seconds: Math.round((Date.now() - t0) / 1000),
      at: new Date().toISOString(),
    };
  }

  /**
   * A reader that survived a Kafka restart has been seen to stop receiving: when messages are missing, a fresh
   * reader reads the topic again from offset 0, so "lost" means not in Kafka rather than not seen by one consumer.
   */
  private async rereadIfMissing(acked: Delivered['acked'], reads: Delivered['reads']): Promise<Delivered['reads']> {
    const seen = new Map(Object.entries(reads).map(([k, v]) => [k, new Set(v)]));
    const missing = Object.entries(acked).reduce((n, [k, v]) => n + v.filter((x) => !seen.get(k)?.has(x)).length, 0);
    if (missing === 0) return reads;
    const fresh = await Role.start('kafka-reader.js', {
      bootstrap: this.brokers.kafka.address,
      topic: this.topic,
      partitions: this.p.partitions,
    });
    try {
      await fresh.call('watch', { acked });
      const t0 = Date.now();
      let p = { missing, lastReadAgoMs: 0 };
      while (p.missing > 0 && Date.now() - t0 < 120_000 && !(Date.now() - t0 > 15_000 && p.lastReadAgoMs > 10_000)) {
        await sleep(1000);
        p = await fresh.call<{ missing: number; lastReadAgoMs: number }>('progress');
      }
      const again = await fresh.call<{ reads: Delivered['reads'] }>('stop', {}, 60_000);
      this.notes.push(`the row's reader missed ${missing}; a fresh reader of the topic missed ${p.missing}`);
      return p.missing < missing ? again.reads : reads;
    } finally {
      await fresh.kill();
    }
  }

  /** Waits until the reader sees new messages again after a fault, and notes how long that took (or that it did not). */
  async resumed(what: string, limitMs = 180_000): Promise<void> {
    const reader = this.reader!;
    const base = (await reader.call<{ records: number }>('progress')).records;
    const t0 = Date.now();
    const ok = await poll(
      async () => (await reader.call<{ records: number }>('progress')).records > base + 10,
      limitMs,
      500,
    );
    this.notes.push(
      ok
        ? `stream resumed ${Math.round((Date.now() - t0) / 1000)} s after ${what}`
        : `stream did not resume within ${limitMs / 1000} s after ${what}`,
    );
  }

  /** Ends everything this row started; never throws. */
  async close(): Promise<void> {
    const w = this.workers.find((x) => x.alive);
    if (w) await rest(w.url, 'DELETE', `/connectors/${this.name}`).catch(() => undefined);
    await Promise.all([this.writer?.kill(), this.reader?.kill(), ...this.workers.map((x) => x.kill())]).catch(
      () => undefined,
    );
  }

  /** A one-line excerpt of a worker's warnings and errors, for a failed row's note. */
  static tail(w: Worker, n = 5): string {
    return w
      .output()
      .split('\n')
      .filter((l) => /"level":(40|50|60)|"level":"(warn|error|fatal)"/.test(l))
      .slice(-n)
      .join(' / ')
      .slice(0, 1500);
  }
}

export { poll, rest, sleep, waitState };
