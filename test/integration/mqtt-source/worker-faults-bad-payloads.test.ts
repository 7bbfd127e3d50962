/**
 * The MQTT source through a real worker process with bad payloads in the middle of a flowing stream: each goes
 * to the dead-letter queue with its reason, every good one to Kafka.
 * Every message is counted by a sequence number in its payload; duplicates are allowed (at least once) and reported.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTopic, eventually, sleep, stackEnv, startFreshWorker, uniqueId, type WorkerHandle } from '../../helpers';
import {
  DEVICES,
  PARTITIONS,
  report,
  sourceConfig,
  startSource,
  Tally,
  taskState,
  withFaultStream,
} from './fault-stream';

jest.setTimeout(600_000);

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
        const headers = m.headers.map((h) => `${h.key}=${h.value.toString()}`).join(' ');
        if (Number.isInteger(seq)) reasons.set(seq, headers);
        return Promise.resolve(Number.isInteger(seq) ? seq : undefined);
      },
      1,
    );
    await good.start();
    await dead.start();
    await withFaultStream({ worker: () => worker, name, tallies: [good, dead] }, async ({ publish }) => {
      const config = sourceConfig(root, topic, registry, mqttUrl, {
        'mqtt.value.format': 'json',
        'mqtt.value.schema.file': schemaFile,
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': dlq,
        'errors.deadletterqueue.topic.replication.factor': '1',
        'errors.deadletterqueue.context.headers.enable': 'true',
      });
      // A warm-up that fits the value schema, so it reaches the good topic rather than the dead-letter queue.
      const warmPayload = JSON.stringify({ deviceId: 'warm', seq: -1, temp: 0 });
      await startSource(worker, name, config, { mqttUrl, root, tally: good, warmPayload });

      const pub = await publish(mqttUrl, root, 250, payload, N);
      await eventually(() => pub.sent === N, { what: `${N} published`, timeoutMs: 120_000 });
      await pub.stop();
      const bad = new Set([...notJson, ...noDevice]);
      const goodSeqs = [...pub.acked].filter((s) => !bad.has(s));
      await eventually(() => good.missing(goodSeqs).length === 0 && dead.missing(bad).length === 0, {
        what: `all ${goodSeqs.length} good records in ${topic} and all ${bad.size} bad ones in the DLQ`,
        timeoutMs: 240_000,
      });
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
    });
  });
});
