/**
 * The MQTT source's no-loss promise through a real worker process, while things fail: Kafka stopped mid-stream,
 * the worker SIGKILLed several times while devices keep publishing, a bad payload in the middle of the stream.
 * Every message is counted by a sequence number in its payload; duplicates are allowed (at least once) and reported.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import mqtt, { type MqttClient } from 'mqtt';
import Kafka from 'node-rdkafka';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { uniqueId } from '../../helpers/ids';
import { DedicatedService, stackEnv } from '../../helpers/stack';
import {
  eventually,
  freshCluster,
  rest,
  startWorker,
  type ClusterNames,
  type WorkerHandle,
} from '../../helpers/worker';

jest.setTimeout(600_000);

const AVRO = 'io.confluent.connect.avro.AvroConverter';
const STRING = 'org.apache.kafka.connect.storage.StringConverter';
const PARTITIONS = 3;
const DEVICES = 4;
/** The source's in-flight window in the Kafka outage test: far below what devices publish meanwhile. */
const WINDOW = 500;
/** The connector's default window, explicit in the kill test because duplicates are bounded by it. */
const KILL_WINDOW = 2000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function createTopic(kafka: string, topic: string, partitions: number): Promise<void> {
  const admin = Kafka.AdminClient.create({ 'bootstrap.servers': kafka });
  try {
    await new Promise<void>((resolve, reject) =>
      admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, (err) =>
        err ? reject(new Error(err.message)) : resolve(),
      ),
    );
  } finally {
    admin.disconnect();
  }
}

/**
 * Reads a topic's partitions from the beginning in the background and counts every sequence number it decodes.
 * Partitions are assigned, not subscribed: no group rebalance can rewind the position when the broker restarts.
 */
class Tally {
  readonly counts = new Map<number, number>();
  readonly undecodable: string[] = [];
  records = 0;
  private readonly consumer: Kafka.KafkaConsumer;
  private loop: Promise<void> | undefined;
  private running = false;

  constructor(
    kafka: string,
    private readonly topic: string,
    private readonly decode: (m: Kafka.Message) => Promise<number | undefined>,
    private readonly partitions = PARTITIONS,
  ) {
    this.consumer = new Kafka.KafkaConsumer(
      { 'group.id': uniqueId('faults-read'), 'bootstrap.servers': kafka, 'enable.auto.commit': false },
      { 'auto.offset.reset': 'earliest' },
    );
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.consumer.connect({}, (err) => (err ? reject(new Error(err.message)) : resolve())),
    );
    this.consumer.assign(
      Array.from({ length: this.partitions }, (_, partition) => ({ topic: this.topic, partition, offset: 0 })),
    );
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const batch = await new Promise<Kafka.Message[]>((resolve) =>
        this.consumer.consume(500, (err, msgs) => resolve(err ? [] : msgs)),
      );
      for (const m of batch) {
        this.records++;
        const seq = await this.decode(m);
        if (seq === undefined) this.undecodable.push(m.value?.toString() ?? '');
        else this.counts.set(seq, (this.counts.get(seq) ?? 0) + 1);
      }
      if (batch.length === 0) await sleep(50);
    }
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

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
  }
}

/**
 * A fleet of devices publishing at a steady rate with QoS 1, message `seq` on `<root>/dev<seq % DEVICES>/t`, until
 * stopped. `acked` holds the sequence numbers the broker confirmed (PUBACK): those are the ones that must reach Kafka.
 */
class Publisher {
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
    await eventually(
      () => Promise.resolve(this.acked.size + this.errors.length >= this.sent),
      60_000,
      'PUBACKs of everything published',
    );
    await this.client.endAsync();
  }
}

/** A fresh cluster's first worker has been seen to die at start (internal topics brand new): up to three tries. */
async function startFreshWorker(
  prefix: string,
  env?: NodeJS.ProcessEnv,
): Promise<{ w: WorkerHandle; cluster: ClusterNames }> {
  for (let attempt = 1; ; attempt++) {
    const cluster = freshCluster(prefix);
    try {
      return { w: await startWorker(cluster, { env }), cluster };
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

async function taskState(w: WorkerHandle, name: string): Promise<string | undefined> {
  return (await rest(w.url, 'GET', `/connectors/${name}/status`)).body?.tasks?.[0]?.state as string | undefined;
}

/** A task counter or gauge of `connector` from the worker's /metrics, summed over its tasks. */
async function taskMetric(w: WorkerHandle, metric: string, connector: string): Promise<number> {
  const text = await (await fetch(`${w.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${metric}{`) && line.includes(`connector="${connector}"`))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const running = (w: WorkerHandle, name: string): Promise<unknown> =>
  eventually(async () => (await taskState(w, name)) === 'RUNNING', 120_000, `${name} RUNNING`);

/** The envelope's payload is the sequence number as text. */
function envelopeSeq(sr: SchemaRegistry): (m: Kafka.Message) => Promise<number | undefined> {
  return async (m) => {
    if (!m.value) return undefined;
    const v = (await sr.decode(m.value)) as { payload?: Buffer };
    const text = Buffer.from(v.payload ?? Buffer.alloc(0)).toString();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  };
}

function sourceConfig(
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
async function warmUp(mqttUrl: string, root: string, tally: Tally, payload = 'warm'): Promise<void> {
  const pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('faults-warm'), protocolVersion: 4 });
  try {
    await eventually(
      async () => {
        await pub.publishAsync(`${root}/warm/t`, payload, { qos: 1 });
        await sleep(1000);
        return tally.records > 0;
      },
      120_000,
      'the first record in Kafka',
    );
  } finally {
    await pub.endAsync();
  }
}

/** What a failed run needs to be understood: the task's status and counters, the tally, the worker's last warnings. */
async function diagnose(w: WorkerHandle, name: string, tally: Tally, pub: Publisher | undefined): Promise<void> {
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

function report(
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

describe('MQTT source in a worker when Kafka stops for 20 s mid-stream', () => {
  const { registry, mqtt: mqttUrl } = stackEnv();
  let kafkaSvc: DedicatedService | undefined;
  let w: WorkerHandle | undefined;

  beforeAll(async () => {
    kafkaSvc = await DedicatedService.start('kafka');
    ({ w } = await startFreshWorker('faultskafka', { FERRY_KAFKA_BOOTSTRAP: kafkaSvc.url }));
  }, 300_000);
  afterAll(async () => {
    await w?.kill();
    await kafkaSvc?.destroy();
  });

  it('stops taking messages while Kafka is away and loses none: every published sequence number reaches Kafka', async () => {
    const svc = kafkaSvc!;
    const worker = w!;
    const t0 = Date.now();
    const root = uniqueId('faultskafka');
    const topic = uniqueId('faultskafka-out');
    const name = uniqueId('src');
    await createTopic(svc.url, topic, PARTITIONS);
    const sr = new SchemaRegistry({ host: registry });
    const tally = new Tally(svc.url, topic, envelopeSeq(sr));
    await tally.start();
    let pub: Publisher | undefined;
    try {
      const created = await rest(worker.url, 'POST', '/connectors', {
        name,
        config: sourceConfig(root, topic, registry, mqttUrl, { 'mqtt.max.in.flight': String(WINDOW) }),
      });
      expect(created.status).toBe(201);
      await running(worker, name);
      await warmUp(mqttUrl, root, tally);

      pub = await Publisher.start(mqttUrl, root, 250);
      await eventually(() => Promise.resolve(tally.distinct >= 1000), 120_000, '1,000 records before the outage');
      await svc.down();
      const atDown = { sent: pub.sent, received: await taskMetric(worker, 'ferry_task_received_total', name) };
      await sleep(20_000);
      const duringOutage = pub.sent - atDown.sent;
      // Received by the task while Kafka was away: at most one window, the broker kept the rest.
      const receivedInOutage = (await taskMetric(worker, 'ferry_task_received_total', name)) - atDown.received;
      await svc.up();
      const afterUp = pub.sent;
      // The stream resumes through the same worker (its task may have been stopped and started again meanwhile).
      await eventually(
        () => Promise.resolve(tally.counts.has(afterUp)),
        240_000,
        `a message published after Kafka returned (seq ${afterUp}) in Kafka`,
      );
      await sleep(3000);
      await pub.stop();
      const acked = pub.acked;
      await eventually(
        () => Promise.resolve(tally.missing(acked).length === 0),
        240_000,
        `all ${acked.size} acknowledged messages in Kafka`,
      );
      report(
        'Kafka stopped 20 s',
        pub,
        tally,
        t0,
        `${duringOutage} published while Kafka was down, ${receivedInOutage} of them taken by the task`,
      );
      expect(pub.errors).toEqual([]);
      expect(pub.acked.size).toBe(pub.sent);
      expect(atDown.sent).toBeLessThan(pub.sent); // the outage really was mid-stream
      expect(duringOutage).toBeGreaterThan(WINDOW);
      expect(receivedInOutage).toBeLessThanOrEqual(WINDOW);
      expect(tally.missing(acked)).toEqual([]);
      expect(tally.distinct).toBe(pub.sent);
      expect(await taskState(worker, name)).toBe('RUNNING');
    } catch (err) {
      await diagnose(worker, name, tally, pub);
      throw err;
    } finally {
      if (pub) await pub.stop().catch(() => undefined);
      await tally.stop();
      await rest(worker.url, 'DELETE', `/connectors/${name}`).catch(() => undefined);
    }
  });
});

describe('MQTT source in a worker killed with SIGKILL while devices keep publishing', () => {
  const { kafka, registry, mqtt: mqttUrl } = stackEnv();
  const workers: WorkerHandle[] = [];
  afterAll(async () => {
    await Promise.all(workers.map((x) => x.kill()));
  });

  it.each(['3.1.1', '5'])(
    'MQTT %s: three kills and restarts; every published message is in Kafka at least once',
    async (version) => {
      const t0 = Date.now();
      const root = uniqueId(`faultskill${version.replace(/\./g, '')}`);
      const topic = uniqueId('faultskill-out');
      const name = uniqueId('src');
      await createTopic(kafka, topic, PARTITIONS);
      const sr = new SchemaRegistry({ host: registry });
      const tally = new Tally(kafka, topic, envelopeSeq(sr));
      await tally.start();
      const started = await startFreshWorker('faultskill');
      let w = started.w;
      workers.push(w);
      let pub: Publisher | undefined;
      const kills: string[] = [];
      const publishedWhileDown: number[] = [];
      try {
        const created = await rest(w.url, 'POST', '/connectors', {
          name,
          config: sourceConfig(root, topic, registry, mqttUrl, {
            'mqtt.protocol.version': version,
            'mqtt.max.in.flight': String(KILL_WINDOW),
          }),
        });
        expect(created.status).toBe(201);
        await running(w, name);
        await warmUp(mqttUrl, root, tally);

        pub = await Publisher.start(mqttUrl, root, 250);
        for (let k = 1; k <= 3; k++) {
          // Kill only once this worker has written records published after it started: it is mid-stream.
          const from = pub.sent;
          await eventually(
            () => Promise.resolve(tally.counts.has(from + 500)),
            240_000,
            `seq ${from + 500} in Kafka before kill ${k}`,
          );
          await w.kill();
          const atKill = pub.sent;
          w = await startWorker(started.cluster);
          workers.push(w);
          // Devices published while no worker ran: the broker must keep those for the persistent session.
          publishedWhileDown.push(pub.sent - atKill);
          kills.push(`kill ${k} at seq ${atKill} (${tally.distinct} in Kafka), restarted at seq ${pub.sent}`);
        }
        const afterLast = pub.sent;
        await eventually(
          () => Promise.resolve(tally.counts.has(afterLast + 500)),
          240_000,
          `seq ${afterLast + 500} in Kafka after the last restart`,
        );
        await pub.stop();
        const acked = pub.acked;
        await eventually(
          () => Promise.resolve(tally.missing(acked).length === 0),
          240_000,
          `all ${acked.size} acknowledged messages in Kafka`,
        );
        report(`worker SIGKILL x3, MQTT ${version}`, pub, tally, t0, kills.join(', '));
        expect(pub.errors).toEqual([]);
        expect(pub.acked.size).toBe(pub.sent);
        expect(tally.missing(acked)).toEqual([]);
        expect(tally.distinct).toBe(pub.sent);
        expect(publishedWhileDown).toHaveLength(3);
        expect(publishedWhileDown.every((n) => n > 0)).toBe(true);
        // Only records in Kafka whose acks had not reached the broker come again: at most one window per crash
        // (plus one, should a rebalance have restarted the task once). More means a session was redelivered whole.
        expect(tally.duplicates().copies).toBeLessThanOrEqual((kills.length + 1) * KILL_WINDOW);
        expect(await taskState(w, name)).toBe('RUNNING');
      } catch (err) {
        await diagnose(w, name, tally, pub);
        throw err;
      } finally {
        if (pub) await pub.stop().catch(() => undefined);
        await tally.stop();
        await rest(w.url, 'DELETE', `/connectors/${name}`).catch(() => undefined);
        await w.stop();
      }
    },
  );
});

describe('MQTT source in a worker: bad payloads in the middle of a flowing stream', () => {
  const { kafka, registry, mqtt: mqttUrl } = stackEnv();
  let w: WorkerHandle | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    ({ w } = await startFreshWorker('faultsdlq'));
  }, 300_000);
  afterAll(async () => {
    await w?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('json mode, errors.tolerance=all: each bad payload lands in the DLQ with its reason, every good one in Kafka, the task keeps running', async () => {
    const worker = w!;
    const t0 = Date.now();
    dir = mkdtempSync(path.join(tmpdir(), 'ferry-faults-schema-'));
    const schemaFile = path.join(dir, 'reading.avsc');
    writeFileSync(
      schemaFile,
      JSON.stringify({
        type: 'record',
        name: 'Reading',
        namespace: 'io.ferry.test',
        fields: [
          { name: 'deviceId', type: 'string' },
          { name: 'seq', type: 'long' },
          { name: 'temp', type: 'double' },
        ],
      }),
    );
    const N = 3000;
    // Not JSON at all, and JSON without the required deviceId, spread through the stream.
    const notJson = new Set([250, 1250, 2250]);
    const noDevice = new Set([750, 1750, 2750]);
    const payload = (seq: number): string =>
      notJson.has(seq)
        ? `not json #${seq}`
        : noDevice.has(seq)
          ? JSON.stringify({ seq, temp: 1 })
          : JSON.stringify({ deviceId: `dev${seq % DEVICES}`, seq, temp: 20 + (seq % 10) / 10 });
    const root = uniqueId('faultsdlq');
    const topic = uniqueId('faultsdlq-out');
    const dlq = uniqueId('faultsdlq-dlq');
    const name = uniqueId('src');
    await createTopic(kafka, topic, PARTITIONS);
    await createTopic(kafka, dlq, 1);
    const sr = new SchemaRegistry({ host: registry });
    const good = new Tally(kafka, topic, async (m) => {
      if (!m.value) return undefined;
      const v = (await sr.decode(m.value)) as { seq?: number; deviceId?: string };
      return v.deviceId === 'warm' ? undefined : v.seq;
    });
    const reasons = new Map<number, string>();
    const dead = new Tally(
      kafka,
      dlq,
      (m) => {
        const raw = m.value?.toString() ?? '';
        const seq = Number(/(\d+)/.exec(raw)?.[1]);
        const headers = (m.headers ?? [])
          .flatMap((h) => Object.entries(h).map(([k, v]) => `${k}=${Buffer.from(v).toString()}`))
          .join(' ');
        if (Number.isInteger(seq)) reasons.set(seq, headers);
        return Promise.resolve(Number.isInteger(seq) ? seq : undefined);
      },
      1,
    );
    await good.start();
    await dead.start();
    let pub: Publisher | undefined;
    try {
      const created = await rest(worker.url, 'POST', '/connectors', {
        name,
        config: sourceConfig(root, topic, registry, mqttUrl, {
          'mqtt.value.format': 'json',
          'mqtt.value.schema.file': schemaFile,
          'errors.tolerance': 'all',
          'errors.deadletterqueue.topic.name': dlq,
          'errors.deadletterqueue.topic.replication.factor': '1',
          'errors.deadletterqueue.context.headers.enable': 'true',
        }),
      });
      expect(created.status).toBe(201);
      await running(worker, name);
      // A warm-up that fits the value schema, so it reaches the good topic rather than the dead-letter queue.
      await warmUp(mqttUrl, root, good, JSON.stringify({ deviceId: 'warm', seq: -1, temp: 0 }));

      pub = await Publisher.start(mqttUrl, root, 250, payload, N);
      await eventually(() => Promise.resolve(pub!.sent === N), 120_000, `${N} published`);
      await pub.stop();
      const bad = new Set([...notJson, ...noDevice]);
      const goodSeqs = [...pub.acked].filter((s) => !bad.has(s));
      await eventually(
        () => Promise.resolve(good.missing(goodSeqs).length === 0 && dead.missing(bad).length === 0),
        240_000,
        `all ${goodSeqs.length} good records in ${topic} and all ${bad.size} bad ones in the DLQ`,
      );
      await sleep(2000); // anything that should not be there would have arrived by now
      report('bad payloads mid-stream (good topic)', pub, good, t0, `${dead.records} DLQ records`, goodSeqs);
      expect(pub.errors).toEqual([]);
      expect(pub.acked.size).toBe(N);
      expect(good.missing(goodSeqs)).toEqual([]);
      expect([...good.counts.keys()].filter((s) => bad.has(s))).toEqual([]);
      expect([...dead.counts.keys()].sort((a, b) => a - b)).toEqual([...bad].sort((a, b) => a - b));
      for (const s of notJson) expect(reasons.get(s)).toMatch(/not JSON/);
      for (const s of noDevice) expect(reasons.get(s)).toMatch(/deviceId is required/);
      expect(await taskState(worker, name)).toBe('RUNNING');
    } catch (err) {
      await diagnose(worker, name, good, pub);
      throw err;
    } finally {
      if (pub) await pub.stop().catch(() => undefined);
      await good.stop();
      await dead.stop();
      await rest(worker.url, 'DELETE', `/connectors/${name}`).catch(() => undefined);
    }
  });
});
