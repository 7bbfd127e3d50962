import mqtt, { type MqttClient } from 'mqtt';
import {
  createConnector,
  createTopic,
  eventually,
  mqttSinkConfig,
  produce,
  rest,
  stackEnv,
  startFreshWorker,
  uniqueId,
  type WorkerHandle,
} from '../../helpers';

/** The value of `ferry_task_<name>_total` for a connector's task 0 in the worker's metrics text, 0 when absent. */
function counter(text: string, name: string, connector: string): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`ferry_task_${name}_total{`) && l.includes(`connector="${connector}"`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/**
 * Once seen: a sink's `consumed` counter at twice its `published` with nothing lost, because the runtime and the MQTT
 * sink task both counted every record. Each record read from Kafka counts once.
 */
describe('MQTT sink task metrics, in a worker with real Kafka and Mosquitto', () => {
  const { kafka, mqtt: mqttUrl } = stackEnv();
  let w: WorkerHandle;
  let sub: MqttClient | undefined;

  beforeAll(async () => {
    ({ w } = await startFreshWorker('sinkmetrics'));
  });
  afterAll(async () => {
    await sub?.endAsync();
    await w?.stop();
  });

  it('counts each record consumed once, as many as were published', async () => {
    const topic = uniqueId('sink-metrics');
    const base = uniqueId('metrics');
    const N = 25;
    await createTopic(kafka, topic, 1);
    await produce(
      kafka,
      Array.from({ length: N }, (_, i) => ({ topic, partition: 0, key: `k${i}`, value: Buffer.from(String(i)) })),
    );
    sub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('metricssub'), protocolVersion: 5 });
    let got = 0;
    sub.on('message', () => got++);
    await sub.subscribeAsync(`${base}/#`, { qos: 1 });

    const name = uniqueId('sinkmetrics');
    await createConnector(
      w.url,
      name,
      mqttSinkConfig(
        { topics: topic, mqttUrl, mqttTopic: `${base}/\${key}` },
        { 'mqtt.payload.format': 'string', 'mqtt.qos': '1' },
      ),
    );
    await eventually(() => got >= N, { what: `${N} MQTT messages`, timeoutMs: 90_000 });
    const text = await eventually(
      async () => {
        const r = await rest(w.url, 'GET', '/metrics');
        const t = String(r.body);
        return counter(t, 'published', name) === N ? t : undefined;
      },
      { what: `published_total at ${N}`, timeoutMs: 30_000 },
    );
    expect({ consumed: counter(text, 'consumed', name), published: counter(text, 'published', name) }).toEqual({
      consumed: N,
      published: N,
    });
    await rest(w.url, 'DELETE', `/connectors/${name}`);
  }, 200_000);
});
