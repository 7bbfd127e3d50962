/**
 * A worker against a SASL/SCRAM listener, given no plaintext listener at all: every Kafka client it creates (the
 * internal topics' producer and readers, the admin client, the cluster membership, source producer, sink consumer,
 * the offsets endpoints) has to authenticate, or the worker cannot start, run a connector or answer for offsets.
 */
import mqtt from 'mqtt';
import Kafka from 'node-rdkafka';
import {
  DedicatedService,
  eventually,
  freshCluster,
  rest,
  stackEnv,
  startWorker,
  uniqueId,
  type WorkerHandle,
} from '../../helpers';

jest.setTimeout(300_000);

const STRING = 'org.apache.kafka.connect.storage.StringConverter';
const USER = process.env.FERRY_KAFKA_SASL_USER ?? 'ferry';
const PASSWORD = process.env.FERRY_KAFKA_SASL_PASSWORD ?? 'ferry-local-scram';

/** The test's own clients authenticate too (SCRAM-SHA-512; the worker uses SCRAM-SHA-256). */
function scram(bootstrap: string): Kafka.GlobalConfig {
  return {
    'bootstrap.servers': bootstrap,
    'security.protocol': 'sasl_plaintext',
    'sasl.mechanisms': 'SCRAM-SHA-512',
    'sasl.username': USER,
    'sasl.password': PASSWORD,
  };
}

async function scramAnswers(bootstrap: string): Promise<boolean> {
  const c = new Kafka.KafkaConsumer({ ...scram(bootstrap), 'group.id': uniqueId('sasl-probe') }, {});
  const ok = await new Promise<boolean>((resolve) =>
    c.connect({ timeout: 5_000, allTopics: false }, (err) => resolve(!err)),
  );
  if (ok) await new Promise<void>((r) => c.disconnect(() => r()));
  return ok;
}

/** Every record of the topic's partitions from the beginning, read with SCRAM, until `n` arrived. */
async function readAll(bootstrap: string, topic: string, n: number): Promise<Kafka.Message[]> {
  const c = new Kafka.KafkaConsumer(
    { ...scram(bootstrap), 'group.id': uniqueId('sasl-read'), 'enable.auto.commit': false },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) =>
    c.connect({ timeout: 30_000, allTopics: false }, (err) => (err ? reject(new Error(err.message)) : resolve())),
  );
  const out: Kafka.Message[] = [];
  try {
    c.subscribe([topic]);
    const deadline = Date.now() + 60_000;
    while (out.length < n && Date.now() < deadline)
      out.push(...(await new Promise<Kafka.Message[]>((r) => c.consume(100, (err, m) => r(err ? [] : m)))));
  } finally {
    await new Promise<void>((r) => c.disconnect(() => r()));
  }
  return out;
}

describe('a worker on a SASL/SCRAM listener only', () => {
  const { mqtt: mqttUrl } = stackEnv();
  let own: DedicatedService | undefined;
  let bootstrap = process.env.FERRY_KAFKA_SASL_BOOTSTRAP ?? '';
  const workers: WorkerHandle[] = [];
  const security = (password: string): NodeJS.ProcessEnv => ({
    FERRY_KAFKA_BOOTSTRAP: bootstrap,
    FERRY_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
    FERRY_SASL_MECHANISM: 'SCRAM-SHA-256',
    FERRY_SASL_USERNAME: USER,
    FERRY_SASL_PASSWORD: password,
  });

  beforeAll(async () => {
    // A stack started before its SASL listener existed has none until it restarts: then use a broker of our own.
    if (!bootstrap || !(await scramAnswers(bootstrap))) {
      own = await DedicatedService.start('kafka');
      bootstrap = own.saslUrl;
    }
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await own?.destroy();
  });

  it('runs a source and a sink, writes its internal topics and answers for offsets, never showing the password', async () => {
    const cluster = freshCluster('sasl');
    const w = await startWorker(cluster, { env: security(PASSWORD) });
    workers.push(w);
    const root = uniqueId('sasl');
    const topic = root.replace(/[^a-zA-Z0-9-]/g, '-');
    const source = uniqueId('sasl-src');
    const sink = uniqueId('sasl-sink');
    const common = { 'tasks.max': '1', 'mqtt.server.uri': mqttUrl, 'key.converter': STRING, 'value.converter': STRING };
    expect(
      (
        await rest(w.url, 'POST', '/connectors', {
          name: source,
          config: {
            ...common,
            'connector.class': 'MqttSourceConnector',
            'mqtt.topics': `${root}/in/#`,
            'mqtt.value.format': 'string',
            'kafka.topic': topic,
            'topic.creation.default.replication.factor': '1',
          },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await rest(w.url, 'POST', '/connectors', {
          name: sink,
          config: {
            ...common,
            'connector.class': 'MqttSinkConnector',
            topics: topic,
            'mqtt.topic': `${root}/out`,
            'mqtt.payload.format': 'string',
          },
        })
      ).status,
    ).toBe(201);
    for (const name of [source, sink])
      await eventually(
        async () => (await rest(w.url, 'GET', `/connectors/${name}/status`)).body?.tasks?.[0]?.state === 'RUNNING',
        { timeoutMs: 120_000, what: `${name} RUNNING` },
      );

    const sub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('sasl-sub') });
    const echoed: string[] = [];
    sub.on('message', (_t, payload) => echoed.push(payload.toString()));
    await sub.subscribeAsync(`${root}/out`, { qos: 1 });
    const pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('sasl-pub') });
    try {
      // The source subscribes just after RUNNING: repeat the first message until one reaches Kafka.
      await eventually(
        async () => {
          await pub.publishAsync(`${root}/in/warm`, 'warm', { qos: 1 });
          return echoed.includes('warm');
        },
        { timeoutMs: 120_000, intervalMs: 500, what: 'a message through MQTT → Kafka → MQTT' },
      );
      for (let i = 0; i < 5; i++) await pub.publishAsync(`${root}/in/m`, `m${i}`, { qos: 1 });
      await eventually(() => Promise.resolve(['m0', 'm1', 'm2', 'm3', 'm4'].every((m) => echoed.includes(m))), {
        timeoutMs: 60_000,
        what: 'echoes',
      });
    } finally {
      await pub.endAsync();
      await sub.endAsync();
    }

    const records = await readAll(bootstrap, topic, 6);
    expect(records.map((r) => r.value?.toString())).toEqual(expect.arrayContaining(['m0', 'm1', 'm2', 'm3', 'm4']));
    // The internal producer wrote statuses and offsets; the internal readers read them back (REST shows them).
    const statuses = await readAll(bootstrap, cluster.statusTopic, 1);
    expect(statuses.some((r) => r.key?.toString() === `status-task-${source}-0`)).toBe(true);
    await eventually(
      async () => {
        const body = (await rest(w.url, 'GET', `/connectors/${source}/offsets`)).body;
        return Array.isArray(body?.offsets) && body.offsets.length > 0;
      },
      { timeoutMs: 60_000, what: 'source offsets' },
    );
    expect((await readAll(bootstrap, cluster.offsetsTopic, 1)).length).toBeGreaterThan(0);
    // A sink's offsets are its consumer group's, read by a client of the offsets endpoint.
    expect((await rest(w.url, 'PUT', `/connectors/${sink}/stop`)).status).toBe(204);
    const sinkOffsets = await eventually(
      async () => {
        const res = await rest(w.url, 'GET', `/connectors/${sink}/offsets`);
        return res.status === 200 && res.body.offsets.length > 0 ? res.body : undefined;
      },
      { timeoutMs: 60_000, what: 'sink offsets' },
    );
    expect(sinkOffsets.offsets[0].partition.kafka_topic).toBe(topic);

    for (const p of ['/', '/connectors?expand=status&expand=info', `/connectors/${source}`, '/health'])
      expect(JSON.stringify((await rest(w.url, 'GET', p)).body)).not.toContain(PASSWORD);
    expect(w.output()).not.toContain(PASSWORD);
  });

  it('refuses to start with a wrong password, saying the credentials were refused and not showing them', async () => {
    const wrong = `wrong-${uniqueId('pw')}`;
    const w = await startWorker(freshCluster('sasl-bad'), { env: security(wrong), waitHealthy: false });
    workers.push(w);
    const code = await new Promise<number | null>((resolve) => w.proc.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(w.output()).toMatch(/Kafka refused the SASL credentials \(check sasl\.username, sasl\.password/);
    expect(w.output()).toMatch(/SCRAM-SHA-256/);
    expect(w.output()).not.toContain(wrong);
  });
});
