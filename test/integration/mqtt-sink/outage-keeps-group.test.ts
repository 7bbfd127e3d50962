import mqtt, { type MqttClient } from 'mqtt';
import type { SinkTaskRunner } from '../../../runtime/tasks/sink-task-runner';
import { createTopic, DedicatedService, eventually, produce, sleep, stackEnv, uniqueId } from '../../helpers';
import { sinkRunner } from './runner-harness';

/** librdkafka's floor for it is the session timeout; the outage below lasts twice as long. */
const MAX_POLL_INTERVAL_MS = 7000;
const OUTAGE_MS = 15_000;

/**
 * An MQTT outage longer than `max.poll.interval.ms` must not drop the sink out of its consumer group: a sink whose
 * loop waits for its broker without polling is taken for dead by librdkafka, its partitions go to another member
 * (two owners) and come back with another rebalance. The runner pauses its partitions and keeps polling instead.
 * Real Kafka (the shared broker) and a Mosquitto of the test's own, stopped for longer than the poll interval.
 */
describe('MQTT sink whose broker is down for longer than max.poll.interval.ms', () => {
  const { kafka } = stackEnv();
  let broker: DedicatedService;
  let runner: SinkTaskRunner | undefined;
  let sub: MqttClient | undefined;

  beforeAll(async () => {
    broker = await DedicatedService.start('mqtt');
  });
  afterAll(async () => {
    await runner?.stop(2000);
    await sub?.endAsync(true);
    await broker.destroy();
  });

  it('keeps its group membership (no revoke, no second assignment) and loses nothing', async () => {
    const topic = uniqueId('sink-outage');
    const base = uniqueId('outage');
    const name = uniqueId('sinkoutage');
    await createTopic(kafka, topic, 2);

    // A subscriber with a persistent session: what the sink publishes right after the broker returns is kept for it.
    const seen = new Map<string, number>();
    sub = await mqtt.connectAsync(broker.url, {
      clientId: uniqueId('outagesub'),
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
      reconnectPeriod: 300,
    });
    sub.on('message', (_t, payload) => seen.set(payload.toString(), (seen.get(payload.toString()) ?? 0) + 1));
    await sub.subscribeAsync(`${base}/#`, { qos: 1 });

    const r = sinkRunner({
      name,
      topic,
      mqtt: {
        'mqtt.server.uri': broker.url,
        'mqtt.topic': `${base}/\${kafka.partition}`,
        'mqtt.qos': '1',
        'mqtt.max.in.flight': '10',
        'mqtt.reconnect.backoff.ms': '200',
        'mqtt.reconnect.backoff.max.ms': '1000',
      },
      consumer: {
        'session.timeout.ms': 6000,
        'heartbeat.interval.ms': 1000,
        'max.poll.interval.ms': MAX_POLL_INTERVAL_MS,
      },
    });
    const { rebalances, consumerErrors, failures } = r;
    runner = r.runner;
    await runner.start();

    const send = (from: number, n: number) =>
      produce(
        kafka,
        Array.from({ length: n }, (_, k) => ({
          topic,
          partition: (from + k) % 2,
          key: `k${from + k}`,
          value: Buffer.from(`m${from + k}`),
        })),
      );
    await send(0, 20);
    await eventually(() => seen.size === 20, { what: 'the first 20 messages', timeoutMs: 60_000 });
    expect(rebalances).toEqual(['assign 2']);

    // The broker goes away; more records arrive than the window holds, so put() waits as well as the pause.
    await broker.down();
    await send(20, 60);
    await sleep(OUTAGE_MS);
    await broker.up();

    await eventually(() => seen.size === 80, { what: 'all 80 messages after the broker returned', timeoutMs: 90_000 });
    console.log(
      `[sink outage] ${OUTAGE_MS} ms outage, max.poll.interval.ms ${MAX_POLL_INTERVAL_MS}: rebalances ${JSON.stringify(rebalances)}, ` +
        `consumer errors ${JSON.stringify(consumerErrors)}, duplicates ${[...seen.values()].filter((n) => n > 1).length}`,
    );
    // The group kept its member: no revoke, no new assignment, librdkafka never gave up on the poll interval.
    expect(rebalances).toEqual(['assign 2']);
    expect(consumerErrors.filter((e) => /poll/i.test(e))).toEqual([]);
    expect(failures).toEqual([]);
    for (let i = 0; i < 80; i++) expect(seen.has(`m${i}`)).toBe(true);
  }, 240_000);
});
