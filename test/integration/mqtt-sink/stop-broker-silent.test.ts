import mqtt, { type MqttClient } from 'mqtt';
import type { SinkTaskRunner } from '../../../runtime/tasks/sink-task-runner';
import { createTopic, DedicatedService, eventually, produce, stackEnv, uniqueId } from '../../helpers';
import { sinkRunner } from './runner-harness';

const GRACEFUL_TIMEOUT_MS = 2000;

/**
 * "No stop takes longer than its graceful timeout plus a second" (#16), with the MQTT broker gone silent: the
 * Mosquitto of the test's own is SIGSTOPped, so the sink's connection stays open and nothing answers it. The MQTT
 * client's disconnect used to wait up to 5 s of its own for the broker to close the connection, after the runner's
 * whole graceful timeout. The stop must end, with the task stopped and the consumer out of its group; the time is
 * printed, not asserted.
 */
describe('MQTT sink stopped while its broker is silent', () => {
  const { kafka } = stackEnv();
  let broker: DedicatedService;
  let runner: SinkTaskRunner | undefined;
  let sub: MqttClient | undefined;

  beforeAll(async () => {
    broker = await DedicatedService.start('mqtt');
  });
  afterAll(async () => {
    await runner?.stop(GRACEFUL_TIMEOUT_MS);
    await sub?.endAsync(true);
    await broker.destroy();
  });

  it('stops, task and consumer closed, however long the broker stays silent', async () => {
    const topic = uniqueId('sink-silent');
    const base = uniqueId('silent');
    await createTopic(kafka, topic, 1);
    sub = await mqtt.connectAsync(broker.url, { clientId: uniqueId('silentsub'), protocolVersion: 5 });
    let got = 0;
    sub.on('message', () => got++);
    await sub.subscribeAsync(`${base}/#`, { qos: 1 });

    const r = sinkRunner({
      name: uniqueId('sinksilent'),
      topic,
      mqtt: { 'mqtt.server.uri': broker.url, 'mqtt.topic': `${base}/\${kafka.partition}`, 'mqtt.qos': '1' },
    });
    runner = r.runner;
    await runner.start();
    await produce(
      kafka,
      Array.from({ length: 10 }, (_, i) => ({ topic, partition: 0, key: `k${i}`, value: Buffer.from(`m${i}`) })),
    );
    // Everything published and acknowledged: the task would disconnect gracefully, and waits for the broker.
    await eventually(() => got === 10, { what: 'the 10 messages', timeoutMs: 60_000 });

    await broker.freeze();
    const t0 = Date.now();
    const outcome = await Promise.race([
      runner.stop(GRACEFUL_TIMEOUT_MS).then(() => 'stopped'),
      new Promise((res) => setTimeout(() => res('hung'), 60_000)),
    ]);
    console.log(
      `[sink stop] broker silent, task.shutdown.graceful.timeout.ms ${GRACEFUL_TIMEOUT_MS}: stop returned after ${Date.now() - t0} ms`,
    );
    expect(outcome).toBe('stopped');
    // The runner's final state: its task stopped (its stop is memoised and already settled) and its consumer closed.
    let taskStopped = false;
    void r
      .task()
      .stop()
      .then(() => (taskStopped = true));
    await eventually(() => taskStopped, { what: 'the task stopped', timeoutMs: 5000 });
    await eventually(() => !r.consumer().isConnected(), { what: 'the consumer closed', timeoutMs: 30_000 });
    expect(r.failures).toEqual([]);
    await broker.thaw();
  }, 180_000);
});
