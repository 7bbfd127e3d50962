/**
 * The MQTT source's no-loss promise through a real worker process SIGKILLed three times while devices keep
 * publishing.
 * Every message is counted by a sequence number in its payload; duplicates are allowed (at least once) and reported.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import {
  createTopic,
  eventually,
  stackEnv,
  startFreshWorker,
  startWorker,
  uniqueId,
  type WorkerHandle,
} from '../../helpers';
import {
  drainAcked,
  envelopeSeq,
  expectNoLoss,
  KILL_WINDOW,
  PARTITIONS,
  report,
  sourceConfig,
  startSource,
  Tally,
  taskState,
  withFaultStream,
} from './fault-stream';

jest.setTimeout(600_000);

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
      const kills: string[] = [];
      const publishedWhileDown: number[] = [];
      await withFaultStream({ worker: () => w, name, tallies: [tally], stopWorker: true }, async ({ publish }) => {
        const config = sourceConfig(root, topic, registry, mqttUrl, {
          'mqtt.protocol.version': version,
          'mqtt.max.in.flight': String(KILL_WINDOW),
        });
        await startSource(w, name, config, { mqttUrl, root, tally });

        const pub = await publish(mqttUrl, root, 250);
        for (let k = 1; k <= 3; k++) {
          // Kill only once this worker has written records published after it started: it is mid-stream.
          const from = pub.sent;
          await eventually(() => tally.counts.has(from + 500), {
            what: `seq ${from + 500} in Kafka before kill ${k}`,
            timeoutMs: 240_000,
          });
          await w.kill();
          const atKill = pub.sent;
          w = await startWorker(started.cluster);
          workers.push(w);
          // Devices published while no worker ran: the broker must keep those for the persistent session.
          publishedWhileDown.push(pub.sent - atKill);
          kills.push(`kill ${k} at seq ${atKill} (${tally.distinct} in Kafka), restarted at seq ${pub.sent}`);
        }
        const afterLast = pub.sent;
        await eventually(() => tally.counts.has(afterLast + 500), {
          what: `seq ${afterLast + 500} in Kafka after the last restart`,
          timeoutMs: 240_000,
        });
        await drainAcked(pub, tally);
        report(`worker SIGKILL x3, MQTT ${version}`, pub, tally, t0, kills.join(', '));
        expectNoLoss(pub, tally);
        expect(publishedWhileDown).toHaveLength(3);
        expect(publishedWhileDown.every((n) => n > 0)).toBe(true);
        // Only records in Kafka whose acks had not reached the broker come again: at most one window per crash
        // (plus one, should a rebalance have restarted the task once). More means a session was redelivered whole.
        expect(tally.duplicates().copies).toBeLessThanOrEqual((kills.length + 1) * KILL_WINDOW);
        expect(await taskState(w, name)).toBe('RUNNING');
      });
    },
  );
});
