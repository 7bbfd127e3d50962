/**
 * One connector must never take the worker down. Against a real worker process, real Kafka and a real Mosquitto:
 * a connector stored with a name long enough to overflow MQTT's 65,535-byte strings (as one accepted before names
 * were limited would be), and tasks that throw outside every handler of their own, fail those tasks with their
 * trace while the worker stays up and another connector keeps producing. The REST API refuses such names, and
 * tasks.max and connector counts above the worker's limits.
 */
import path from 'node:path';
import {
  eventually,
  FIXTURE_PLUGINS,
  freshCluster,
  produce,
  rest,
  stackEnv,
  startWorker,
  uniqueId,
  type WorkerHandle,
} from '../../helpers';

const HOSTILE_PLUGINS = path.join(__dirname, '..', '..', 'fixtures', 'hostile-plugins');
const STRING = 'org.apache.kafka.connect.storage.StringConverter';
const TASKS_MAX = 4;
const CONNECTORS_MAX = 8;

interface TaskStatus {
  id: number;
  state: string;
  trace?: string;
}
type Statuses = Record<string, { status: { connector: { state: string; trace?: string }; tasks: TaskStatus[] } }>;

/** Writes a connector config straight into the config topic, as an older worker without name checks stored it. */
async function storeLegacyConnector(topic: string, name: string, config: Record<string, string>): Promise<void> {
  await produce(stackEnv().kafka, [
    {
      topic,
      partition: 0,
      key: `connector-${name}`,
      value: Buffer.from(JSON.stringify({ properties: { ...config, name } })),
    },
  ]);
}

describe('containment: one connector cannot end the worker', () => {
  const cluster = freshCluster('contain');
  let w: WorkerHandle;
  const steady = uniqueId('steady');

  /** Every connector's status, by name (a status URL of a very long name would exceed HTTP's header limits). */
  const statuses = async (): Promise<Statuses> =>
    (await rest(w.url, 'GET', '/connectors?expand=status')).body as Statuses;

  const steadyOffset = async (): Promise<number> => {
    const body = (await rest(w.url, 'GET', `/connectors/${steady}/offsets`)).body as {
      offsets: { offset: { n: number } }[];
    };
    return body.offsets[0]?.offset.n ?? -1;
  };

  /** The worker is alive and the steady connector still moves its offsets forward. */
  const expectWorkerAndSteadyAlive = async (): Promise<void> => {
    expect(w.proc.exitCode).toBeNull();
    expect((await rest(w.url, 'GET', '/health')).status).toBe(200);
    const before = await steadyOffset();
    await eventually(async () => (await steadyOffset()) > before, {
      what: 'the steady connector to keep producing',
      timeoutMs: 60_000,
    });
  };

  beforeAll(async () => {
    w = await startWorker(cluster, {
      env: {
        FERRY_PLUGIN_PATH: `${FIXTURE_PLUGINS},${HOSTILE_PLUGINS}`,
        FERRY_LIMITS_TASKS_MAX: String(TASKS_MAX),
        FERRY_LIMITS_CONNECTORS_MAX: String(CONNECTORS_MAX),
      },
    });
    const created = await rest(w.url, 'POST', '/connectors', {
      name: steady,
      config: {
        'connector.class': 'CounterSource',
        'counter.topic': uniqueId('steady-topic'),
        'counter.batch': '1',
        'counter.interval.ms': '50',
        'key.converter': STRING,
        'value.converter': STRING,
      },
    });
    expect(created.status).toBe(201);
    await eventually(async () => (await steadyOffset()) >= 0, {
      what: 'the steady connector to produce',
      timeoutMs: 60_000,
    });
  });

  afterAll(async () => {
    await w?.stop();
  });

  it('fails a stored connector whose name overflows an MQTT subscription, and keeps running', async () => {
    // With tasks.max 2 each task subscribes to $share/<connector name>/<filter>: over 65,535 bytes here.
    const name = `legacy-${'n'.repeat(70_000)}`;
    await storeLegacyConnector(cluster.configTopic, name, {
      'connector.class': 'MqttSourceConnector',
      'tasks.max': '2',
      'mqtt.server.uri': stackEnv().mqtt,
      'mqtt.topics': `contain/${uniqueId('t')}/#`,
      'kafka.topic': uniqueId('contain-out'),
    });
    // The worker checks the stored config again when it starts the connector: FAILED with the reason, no tasks.
    const connector = await eventually(
      async () => {
        const c = (await statuses())[name]?.status.connector;
        return c?.state === 'FAILED' ? c : undefined;
      },
      { what: 'the long-named connector to fail', timeoutMs: 90_000 },
    );
    expect(connector.trace).toMatch(
      /name: gives a shared subscription of 700\d\d bytes \(\$share\/<group>\/<filter>\); MQTT allows at most 65535/,
    );
    await expectWorkerAndSteadyAlive();
  });

  it.each(['timer', 'emitter', 'rejection'])(
    'fails a task whose %s error escapes every handler, and keeps running',
    async (mode) => {
      const name = uniqueId(`thrower-${mode}`);
      expect(
        (
          await rest(w.url, 'POST', '/connectors', {
            name,
            config: { 'connector.class': 'ThrowingSource', 'thrower.mode': mode },
          })
        ).status,
      ).toBe(201);
      const task = await eventually(
        async () => {
          const t = (await statuses())[name]?.status.tasks[0];
          return t?.state === 'FAILED' ? t : undefined;
        },
        { what: `the ${mode} task to fail`, timeoutMs: 60_000 },
      );
      expect(task.trace).toMatch(/thrown from a task timer|emitter error nobody listens to|rejection nobody handles/);
      await expectWorkerAndSteadyAlive();
      const metrics = String((await rest(w.url, 'GET', '/metrics')).body);
      const kind = mode === 'rejection' ? 'rejection' : 'exception';
      expect(metrics).toMatch(
        new RegExp(`ferry_worker_escaped_errors_total\\{kind="${kind}",attributed="true"\\} [1-9]`),
      );
    },
  );

  it('refuses names, tasks.max and connector counts beyond the limits, naming the field', async () => {
    const base = { 'connector.class': 'CounterSource', 'counter.topic': uniqueId('unused') };
    const long = await rest(w.url, 'POST', '/connectors', { name: 'x'.repeat(40_000), config: base });
    expect(long.status).toBe(400);
    expect(long.body.error_code).toBe(400);
    expect(long.body.message).toMatch(/name: Connector name is 40000 characters long; at most 200/);
    const slash = await rest(w.url, 'PUT', `/connectors/${encodeURIComponent('a/b')}/config`, base);
    expect(slash.status).toBe(400);
    expect(slash.body.message).toMatch(/name: Connector name may only contain letters, digits/);
    const tasks = await rest(w.url, 'POST', '/connectors', {
      name: uniqueId('many'),
      config: { ...base, 'tasks.max': String(TASKS_MAX + 1) },
    });
    expect(tasks.status).toBe(400);
    expect(tasks.body.message).toMatch(new RegExp(`tasks.max: .*at most ${TASKS_MAX} tasks`));

    // Validation shows each derived-id problem on its field.
    const validated = await rest(w.url, 'PUT', '/connector-plugins/MqttSourceConnector/config/validate', {
      'connector.class': 'MqttSourceConnector',
      name: 'ok-name',
      'tasks.max': '2',
      'mqtt.server.uri': stackEnv().mqtt,
      'mqtt.topics': 'a/#',
      'kafka.topic': 'out',
      'mqtt.share.group': 'g'.repeat(70_000),
      'mqtt.username': 'u'.repeat(70_000),
    });
    expect(validated.status).toBe(200);
    const errorsOf = (key: string): string[] =>
      (validated.body.configs as { value: { name: string; errors: string[] } }[]).find((c) => c.value.name === key)
        ?.value.errors ?? [];
    expect(errorsOf('mqtt.share.group').join()).toMatch(/shared subscription of 70\d+ bytes/);
    expect(errorsOf('mqtt.username').join()).toMatch(/user name of 70000 bytes; MQTT allows at most 65535/);

    // Fill the cluster up to the limit; one more is refused, with the setting named.
    const have = ((await rest(w.url, 'GET', '/connectors')).body as string[]).length;
    for (let i = have; i < CONNECTORS_MAX; i++) {
      const r = await rest(w.url, 'POST', '/connectors', {
        name: uniqueId('fill'),
        config: base,
        initial_state: 'PAUSED',
      });
      expect(r.status).toBe(201);
    }
    const over = await rest(w.url, 'POST', '/connectors', { name: uniqueId('over'), config: base });
    expect(over.status).toBe(400);
    expect(over.body.message).toMatch(/limits.connectors.max = 8/);
  });
});
