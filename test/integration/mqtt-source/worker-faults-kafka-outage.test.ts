/**
 * The MQTT source's no-loss promise through a real worker process while Kafka stops for 20 s mid-stream.
 * Every message is counted by a sequence number in its payload; duplicates are allowed (at least once) and reported.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import {
  createTopic,
  DedicatedService,
  eventually,
  sleep,
  stackEnv,
  startFreshWorker,
  uniqueId,
  type WorkerHandle,
} from '../../helpers';
import {
  drainAcked,
  envelopeSeq,
  expectNoLoss,
  PARTITIONS,
  report,
  sourceConfig,
  startSource,
  Tally,
  taskMetric,
  taskState,
  WINDOW,
  withFaultStream,
} from './fault-stream';

jest.setTimeout(600_000);

describe('MQTT source in a worker when Kafka stops for 20 s mid-stream', () => {
  const { registry, mqtt: mqttUrl } = stackEnv();
  let kafkaSvc: DedicatedService | undefined;
  let w: WorkerHandle | undefined;

  beforeAll(async () => {
    kafkaSvc = await DedicatedService.start('kafka');
    ({ w } = await startFreshWorker('faultskafka', { env: { FERRY_KAFKA_BOOTSTRAP: kafkaSvc.url } }));
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
    await withFaultStream({ worker: () => worker, name, tallies: [tally] }, async ({ publish }) => {
      const config = sourceConfig(root, topic, registry, mqttUrl, { 'mqtt.max.in.flight': String(WINDOW) });
      await startSource(worker, name, config, { mqttUrl, root, tally });

      const pub = await publish(mqttUrl, root, 250);
      await eventually(() => tally.distinct >= 1000, { what: '1,000 records before the outage', timeoutMs: 120_000 });
      await svc.down();
      const atDown = { sent: pub.sent, received: await taskMetric(worker, 'ferry_task_received_total', name) };
      await sleep(20_000);
      const duringOutage = pub.sent - atDown.sent;
      // Received by the task while Kafka was away: at most one window, the broker kept the rest.
      const receivedInOutage = (await taskMetric(worker, 'ferry_task_received_total', name)) - atDown.received;
      await svc.up();
      const afterUp = pub.sent;
      // The stream resumes through the same worker (its task may have been stopped and started again meanwhile).
      await eventually(() => tally.counts.has(afterUp), {
        what: `a message published after Kafka returned (seq ${afterUp}) in Kafka`,
        timeoutMs: 240_000,
      });
      await sleep(3000);
      await drainAcked(pub, tally);
      report(
        'Kafka stopped 20 s',
        pub,
        tally,
        t0,
        `${duringOutage} published while Kafka was down, ${receivedInOutage} of them taken by the task`,
      );
      expectNoLoss(pub, tally);
      expect(atDown.sent).toBeLessThan(pub.sent); // the outage really was mid-stream
      expect(duringOutage).toBeGreaterThan(WINDOW);
      expect(receivedInOutage).toBeLessThanOrEqual(WINDOW);
      expect(await taskState(worker, name)).toBe('RUNNING');
    });
  });
});
