import {
  createConnector,
  createTopic,
  eventually,
  FakeMqttBroker,
  mqttSinkConfig,
  produce,
  rest,
  stackEnv,
  startFreshWorker,
  uniqueId,
  type WorkerHandle,
} from '../../helpers';

const WINDOW = 5;

/**
 * A sink whose publish window is full because its broker stopped acknowledging (a real broker cannot be made to
 * withhold PUBACKs on demand: the in-process fake broker does) must still stop: pause ends with the task PAUSED,
 * and only what the broker acknowledged is committed.
 */
describe('MQTT sink stopped while its window is full and the broker never answers', () => {
  const { kafka } = stackEnv();
  const broker = new FakeMqttBroker(5);
  let w: WorkerHandle;

  beforeAll(async () => {
    await broker.start();
    ({ w } = await startFreshWorker('sinkstopfull', { env: { FERRY_TASK_SHUTDOWN_GRACEFUL_TIMEOUT_MS: '3000' } }));
  });
  afterAll(async () => {
    await w?.stop();
    await broker.stop();
  });

  it('pauses, and commits only the acknowledged records', async () => {
    const topic = uniqueId('sink-stopfull');
    const N = 4 * WINDOW;
    await createTopic(kafka, topic, 1);
    await produce(
      kafka,
      Array.from({ length: N }, (_, i) => ({ topic, partition: 0, key: `k${i}`, value: Buffer.from(String(i)) })),
    );
    const name = uniqueId('sinkstopfull');
    await createConnector(
      w.url,
      name,
      mqttSinkConfig(
        { topics: topic, mqttUrl: broker.url, mqttTopic: `${uniqueId('full')}/\${kafka.partition}` },
        { 'mqtt.payload.format': 'string', 'mqtt.qos': '1', 'mqtt.max.in.flight': String(WINDOW) },
      ),
    );

    // The window fills; two records are acknowledged, the rest never are.
    await eventually(() => broker.unacked.length === WINDOW, { what: 'a full publish window', timeoutMs: 90_000 });
    broker.release(2);
    await eventually(() => broker.publishes.length === WINDOW + 2, {
      what: 'the window full again',
      timeoutMs: 30_000,
    });
    const published = broker.publishes.length;

    expect((await rest(w.url, 'PUT', `/connectors/${name}/pause`)).status).toBe(202);
    await eventually(
      async () => {
        const r = await rest(w.url, 'GET', `/connectors/${name}/status`);
        const tasks = (r.body?.tasks ?? []) as { state: string }[];
        return tasks[0]?.state === 'PAUSED';
      },
      { what: 'the task PAUSED', timeoutMs: 60_000 },
    );
    // No record beyond the acknowledged ones was published or committed.
    expect(broker.publishes.length).toBe(published);
    const r = await rest(w.url, 'GET', `/connectors/${name}/offsets`);
    const offsets = (r.body?.offsets ?? []) as { offset: { kafka_offset: number } }[];
    expect(offsets.map((o) => o.offset.kafka_offset)).toEqual([2]);
    await rest(w.url, 'DELETE', `/connectors/${name}`);
  }, 300_000);
});
