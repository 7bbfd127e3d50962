/**
 * What the MQTT source fault tests share: a device fleet publishing numbered messages, a tally of the numbers that
 * reached Kafka, the connector's config and what to print when a run fails.
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import mqtt, { type MqttClient } from 'mqtt';
import {
  createConnector,
  eventually,
  KafkaReader,
  rest,
  sleep,
  uniqueId,
  type KafkaRecord,
  type WorkerHandle,
} from '../../helpers';

export const AVRO = 'io.confluent.connect.avro.AvroConverter';
export const STRING = 'org.apache.kafka.connect.storage.StringConverter';
export const PARTITIONS = 3;
export const DEVICES = 4;
/** The source's in-flight window in the Kafka outage test: far below what devices publish meanwhile. */
export const WINDOW = 500;
/** The connector's default window, explicit in the kill test because duplicates are bounded by it. */
export const KILL_WINDOW = 2000;

/**
 * Reads a topic's partitions from the beginning in the background and counts every sequence number it decodes.
 * Partitions are assigned, not subscribed: no group rebalance can rewind the position when the broker restarts.
 */
export class Tally {
  readonly counts = new Map<number, number>();
  readonly undecodable: string[] = [];
  private readonly reader: KafkaReader;

  constructor(
    kafka: string,
    topic: string,
    decode: (r: KafkaRecord) => Promise<number | undefined>,
    partitions = PARTITIONS,
  ) {
    this.reader = new KafkaReader(kafka, topic, {
      partitions,
      onRecord: async (r) => {
        const seq = await decode(r);
        if (seq === undefined) this.undecodable.push(r.value?.toString() ?? '');
        else this.counts.set(seq, (this.counts.get(seq) ?? 0) + 1);
      },
    });
  }

  start(): Promise<void> {
    return this.reader.start();
  }

  stop(): Promise<void> {
    return this.reader.stop();
  }

  /** Records read, decodable or not. */
  get records(): number {
    return this.reader.records.length;
  }

  get distinct(): number {
    return this.counts.size;
  }

  missing(seqs: Iterable<number>): number[] {
    return [...seqs].filter((s) => !this.counts.has(s));
  }

  /** Sequence numbers read more than once, and the extra copies in total. */
  duplicates(): { seqs: number; copies: number } {
    let seqs = 0;
    let copies = 0;
    for (const n of this.counts.values()) {
      if (n > 1) {
        seqs++;
        copies += n - 1;
      }
    }
    return { seqs, copies };
  }
}

/**
 * A fleet of devices publishing at a steady rate with QoS 1, message `seq` on `<root>/dev<seq % DEVICES>/t`, until
 * stopped. `acked` holds the sequence numbers the broker confirmed (PUBACK): those are the ones that must reach Kafka.
 */
export class Publisher {
  readonly acked = new Set<number>();
  readonly errors: string[] = [];
  sent = 0;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;

  private constructor(
    private readonly client: MqttClient,
    private readonly root: string,
    private readonly ratePerSecond: number,
    private readonly payload: (seq: number) => string,
    private readonly total: number,
  ) {}

  static async start(
    url: string,
    root: string,
    ratePerSecond: number,
    payload: (seq: number) => string = String,
    total = Infinity,
  ): Promise<Publisher> {
    const client = await mqtt.connectAsync(url, { clientId: uniqueId('faults-pub'), protocolVersion: 4 });
    const p = new Publisher(client, root, ratePerSecond, payload, total);
    p.startedAt = Date.now();
    p.timer = setInterval(() => p.tick(), 20);
    return p;
  }

  private tick(): void {
    const due = Math.floor(((Date.now() - this.startedAt) / 1000) * this.ratePerSecond);
    while (this.sent < Math.min(due, this.total)) {
      const seq = this.sent++;
      this.client.publish(`${this.root}/dev${seq % DEVICES}/t`, this.payload(seq), { qos: 1 }, (err) => {
        if (err) this.errors.push(`${seq}: ${err.message}`);
        else this.acked.add(seq);
      });
    }
  }

  /** Stops publishing and waits until the broker confirmed everything that was sent. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await eventually(() => this.acked.size + this.errors.length >= this.sent, {
      what: 'PUBACKs of everything published',
      timeoutMs: 60_000,
    });
    await this.client.endAsync();
  }
}

export async function taskState(w: WorkerHandle, name: string): Promise<string | undefined> {
  return (await rest(w.url, 'GET', `/connectors/${name}/status`)).body?.tasks?.[0]?.state as string | undefined;
}

/** A task counter or gauge of `connector` from the worker's /metrics, summed over its tasks. */
export async function taskMetric(w: WorkerHandle, metric: string, connector: string): Promise<number> {
  const text = await (await fetch(`${w.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${metric}{`) && line.includes(`connector="${connector}"`))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export const running = (w: WorkerHandle, name: string): Promise<unknown> =>
  eventually(async () => (await taskState(w, name)) === 'RUNNING', { what: `${name} RUNNING`, timeoutMs: 120_000 });

/** The envelope's payload is the sequence number as text. */
export function envelopeSeq(sr: SchemaRegistry): (m: KafkaRecord) => Promise<number | undefined> {
  return async (m) => {
    if (!m.value) return undefined;
    const v = (await sr.decode(m.value)) as { payload?: Buffer };
    const text = Buffer.from(v.payload ?? Buffer.alloc(0)).toString();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  };
}

export function sourceConfig(
  root: string,
  topic: string,
  registry: string,
  mqttUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    'connector.class': 'MqttSourceConnector',
    'tasks.max': '1',
    'mqtt.server.uri': mqttUrl,
    'mqtt.topics': `${root}/+/t`,
    'mqtt.qos': '1',
    'kafka.topic': topic,
    'key.converter': STRING,
    'value.converter': AVRO,
    'value.converter.schema.registry.url': registry,
    'mqtt.reconnect.backoff.ms': '200',
    'mqtt.reconnect.backoff.max.ms': '2000',
    ...extra,
  };
}

/** Publishes a warm-up message (not a sequence number) until one reaches Kafka: the subscription is in place. */
export async function warmUp(mqttUrl: string, root: string, tally: Tally, payload = 'warm'): Promise<void> {
  const pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('faults-warm'), protocolVersion: 4 });
  try {
    await eventually(
      async () => {
        await pub.publishAsync(`${root}/warm/t`, payload, { qos: 1 });
        await sleep(1000);
        return tally.records > 0;
      },
      { what: 'the first record in Kafka', timeoutMs: 120_000 },
    );
  } finally {
    await pub.endAsync();
  }
}

/**
 * Creates the source connector `name` on `w` and waits until the stream is live: its task RUNNING and a warm-up
 * message (`warmPayload`, not a sequence number) counted by `tally`.
 */
export async function startSource(
  w: WorkerHandle,
  name: string,
  config: Record<string, string>,
  at: { mqttUrl: string; root: string; tally: Tally; warmPayload?: string },
): Promise<void> {
  await createConnector(w.url, name, config);
  await running(w, name);
  await warmUp(at.mqttUrl, at.root, at.tally, at.warmPayload);
}

/** Stops the fleet and waits until every message the broker acknowledged has reached `tally`'s topic. */
export async function drainAcked(pub: Publisher, tally: Tally): Promise<ReadonlySet<number>> {
  await pub.stop();
  const acked = pub.acked;
  await eventually(() => tally.missing(acked).length === 0, {
    what: `all ${acked.size} acknowledged messages in Kafka`,
    timeoutMs: 240_000,
  });
  return acked;
}

/** The no-loss verdict of a run: every message published was acknowledged, and each is in Kafka at least once. */
export function expectNoLoss(pub: Publisher, tally: Tally): void {
  expect(pub.errors).toEqual([]);
  expect(pub.acked.size).toBe(pub.sent);
  expect(tally.missing(pub.acked)).toEqual([]);
  expect(tally.distinct).toBe(pub.sent);
}

/** What a failed run needs to be understood: the task's status and counters, the tally, the worker's last warnings. */
export async function diagnose(w: WorkerHandle, name: string, tally: Tally, pub: Publisher | undefined): Promise<void> {
  const status = await rest(w.url, 'GET', `/connectors/${name}/status`).catch((e: Error) => ({ body: e.message }));
  const metrics = await fetch(`${w.url}/metrics`)
    .then(async (r) => (await r.text()).split('\n').filter((l) => l.includes(name) && !l.includes('_bucket')))
    .catch((e: Error) => [e.message]);
  const maxSeq = Math.max(-1, ...tally.counts.keys());
  const logs = w
    .output()
    .split('\n')
    .filter((l) => !l.includes('"level":"info"') || /task|connected|ownership|rebalance/.test(l))
    .slice(-60);
  console.log(
    [
      `DIAGNOSIS ${name}: published ${pub?.sent ?? '-'}, tally ${tally.records} records, ${tally.distinct} distinct, max seq ${maxSeq}`,
      `status: ${JSON.stringify(status.body)}`,
      ...metrics,
      ...logs,
    ].join('\n'),
  );
}

export function report(
  what: string,
  pub: Publisher,
  tally: Tally,
  startedAt: number,
  extra = '',
  expected: Iterable<number> = pub.acked,
): void {
  const d = tally.duplicates();
  console.log(
    `${what}: published ${pub.sent} (acked ${pub.acked.size}), in Kafka ${tally.distinct} distinct of ${tally.records} ` +
      `records, missing ${tally.missing(expected).length}, duplicates ${d.seqs} seqs / ${d.copies} extra copies, ` +
      `${Math.round((Date.now() - startedAt) / 1000)} s${extra ? `; ${extra}` : ''}`,
  );
}

/** The part of a fault run that its body starts and {@link withFaultStream} cleans up. */
export interface FaultStream {
  /** Starts the device fleet (see {@link Publisher.start}); the run stops it however the body ends. */
  publish: (...args: Parameters<typeof Publisher.start>) => Promise<Publisher>;
}

/**
 * Runs a fault test's body against connector `name` on the worker `worker()` returns (the kill test replaces its
 * worker mid-run). If the body fails, the diagnosis of the first tally is printed before the failure is rethrown.
 * However it ends, the publisher and every tally stop and the connector is deleted, so that the next test starts clean;
 * `stopWorker` also stops the worker.
 */
export async function withFaultStream(
  run: { worker: () => WorkerHandle; name: string; tallies: [Tally, ...Tally[]]; stopWorker?: boolean },
  body: (stream: FaultStream) => Promise<void>,
): Promise<void> {
  let pub: Publisher | undefined;
  try {
    await body({ publish: async (...args) => (pub = await Publisher.start(...args)) });
  } catch (err) {
    await diagnose(run.worker(), run.name, run.tallies[0], pub);
    throw err;
  } finally {
    if (pub) await pub.stop().catch(() => undefined);
    for (const tally of run.tallies) await tally.stop();
    await rest(run.worker().url, 'DELETE', `/connectors/${run.name}`).catch(() => undefined);
    if (run.stopWorker) await run.worker().stop();
  }
}
