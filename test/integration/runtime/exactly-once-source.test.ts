/**
 * Exactly-once source mode, slice 1 (docs/exactly-once.md): the real MQTT source task on the suite's Mosquitto,
 * the real source task runner, pipeline and a transactional producer against real Kafka. A read_committed reader
 * sees records (and the task's offset records) only once their transaction is committed, and MQTT acknowledgements
 * go out only then; a forced abort leaves nothing visible, the broker redelivers, and the redelivered messages are
 * committed once.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { mqttSourcePlugin, parseSourceSettings } from '../../../connectors/mqtt-source';
import type { TaskMetrics } from '../../../runtime/api';
import { DataProducer } from '../../../runtime/kafka';
import { createSourcePipeline } from '../../../runtime/pipeline';
import type { OffsetStore } from '../../../runtime/storage';
import { SourceTaskRunner } from '../../../runtime/tasks/source-task-runner';
import { SourceTransactions } from '../../../runtime/tasks/source-transactions';
import type { TopicCreator } from '../../../runtime/tasks/topic-creator';
import { createTopic, eventually, KafkaReader, silentLogger, sleep, stackEnv, uniqueId } from '../../helpers';
import { pipelineContext } from '../pipeline/helpers';

jest.setTimeout(120_000);

const STRING = 'org.apache.kafka.connect.storage.StringConverter';

interface Started {
  runner: SourceTaskRunner;
  txn: SourceTransactions;
  counters: Map<string, number>;
  failures: Error[];
}

describe('exactly-once MQTT source (transactions on real Kafka, Mosquitto)', () => {
  const { kafka, mqtt: mqttUrl } = stackEnv();
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  async function reader(topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<KafkaReader> {
    const r = new KafkaReader(kafka, topic, { partitions: 1, isolation });
    await r.start();
    cleanups.push(() => r.stop());
    return r;
  }

  async function start(
    connector: string,
    root: string,
    dataTopic: string,
    offsetsTopic: string,
    clientPrefix = uniqueId('eos'),
  ): Promise<Started> {
    const counters = new Map<string, number>();
    const metrics: TaskMetrics = {
      count: (name, n = 1) => counters.set(name, (counters.get(name) ?? 0) + n),
      gauge: () => undefined,
    };
    const txn = new SourceTransactions({
      producer: new DataProducer({ 'bootstrap.servers': kafka, 'transactional.id': uniqueId('txn') }, silentLogger),
      transactionalId: 'test',
      connector,
      offsetsTopic,
      boundary: 'interval',
      intervalMs: 3_600_000,
      maxRecords: 5,
      timeoutMs: 30_000,
      logger: silentLogger,
      metrics,
    });
    const raw = {
      'mqtt.server.uri': mqttUrl,
      'mqtt.topics': `${root}/#`,
      'mqtt.qos': '1',
      'mqtt.value.format': 'string',
      'kafka.topic': dataTopic,
      'mqtt.reconnect.backoff.ms': '100',
      'mqtt.reconnect.backoff.max.ms': '300',
      'mqtt.client.id.prefix': clientPrefix,
    };
    const pipeline = await createSourcePipeline(
      { 'key.converter': STRING, 'value.converter': STRING },
      {},
      pipelineContext(() => Promise.reject(new Error('no dead letters here'))),
    );
    const failures: Error[] = [];
    const runner = new SourceTaskRunner({
      connector,
      taskId: 0,
      workerId: 'w',
      plugin: mqttSourcePlugin,
      config: raw,
      rawConfig: raw,
      settings: parseSourceSettings(raw),
      pipeline,
      producer: { send: () => failures.push(new Error('the at-least-once producer was used')) },
      transactions: txn,
      topics: { ensure: () => null } as unknown as TopicCreator,
      offsets: { get: () => null, write: () => Promise.resolve() } as unknown as OffsetStore,
      logger: silentLogger,
      metrics,
      flushIntervalMs: 3_600_000,
      topicCreation: { partitions: -1, replicationFactor: -1 },
      onTopicUsed: () => undefined,
      onFailure: (err) => failures.push(err),
    });
    await runner.start();
    const stop = (): Promise<void> => runner.stop(5000);
    cleanups.push(stop);
    await eventually(() => (counters.get('subscribes') ?? 0) > 0, { what: 'the task subscribed' });
    return { runner, txn, counters, failures };
  }

  async function publisher(): Promise<MqttClient> {
    const c = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('pub'), protocolVersion: 5 });
    cleanups.push(() => c.endAsync());
    return c;
  }

  async function topics(): Promise<{ dataTopic: string; offsetsTopic: string }> {
    const dataTopic = uniqueId('eos-data');
    const offsetsTopic = uniqueId('eos-offsets');
    await createTopic(kafka, dataTopic, 1);
    await createTopic(kafka, offsetsTopic, 1);
    return { dataTopic, offsetsTopic };
  }

  const values = (r: KafkaReader): string[] => r.records.map((m) => m.value?.toString() ?? '');

  it('shows records and offsets to a read_committed reader only after the commit, and acknowledges only then', async () => {
    const { dataTopic, offsetsTopic } = await topics();
    const root = uniqueId('eos');
    const connector = uniqueId('c');
    const { counters, failures } = await start(connector, root, dataTopic, offsetsTopic);
    const committed = await reader(dataTopic, 'read_committed');
    const uncommitted = await reader(dataTopic, 'read_uncommitted');
    const offsets = await reader(offsetsTopic, 'read_committed');
    const pub = await publisher();
    for (let i = 0; i < 4; i++) await pub.publishAsync(`${root}/dev/${i}`, `m${i}`, { qos: 1 });
    // In Kafka, in the open transaction (maxRecords is 5): written but not committed.
    await uncommitted.until((r) => r.length >= 4, { what: '4 uncommitted records' });
    await sleep(1500);
    expect(committed.records).toHaveLength(0);
    expect(offsets.records).toHaveLength(0);
    expect(counters.get('acknowledged') ?? 0).toBe(0);

    await pub.publishAsync(`${root}/dev/4`, 'm4', { qos: 1 });
    await committed.until((r) => r.length >= 5, { what: '5 committed records' });
    expect(values(committed)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    await offsets.until((r) => r.length >= 1, { what: 'the offset record' });
    expect(offsets.records[0]!.key?.toString()).toBe(JSON.stringify([connector, { 'mqtt.filter': `${root}/#` }]));
    expect(JSON.parse(offsets.records[0]!.value!.toString())).toMatchObject({ count: 5 });
    await eventually(() => counters.get('acknowledged') === 5, { what: '5 acknowledged' });
    expect(counters.get('transactions_committed')).toBe(1);
    expect(failures).toEqual([]);
  });

  it('after a forced abort shows nothing of it and fails the task; the restarted task gets the redeliveries and commits them once', async () => {
    const { dataTopic, offsetsTopic } = await topics();
    const root = uniqueId('eos-abort');
    const connector = uniqueId('c');
    const clientPrefix = uniqueId('eos');
    const first = await start(connector, root, dataTopic, offsetsTopic, clientPrefix);
    const committed = await reader(dataTopic, 'read_committed');
    const uncommitted = await reader(dataTopic, 'read_uncommitted');
    const pub = await publisher();
    for (let i = 0; i < 3; i++) await pub.publishAsync(`${root}/dev`, `a${i}`, { qos: 1 });
    await uncommitted.until((r) => r.length >= 3, { what: '3 uncommitted records' });

    await first.txn.abort(new Error('forced by the test'));
    expect(first.counters.get('transactions_aborted')).toBe(1);
    expect(first.counters.get('acknowledged') ?? 0).toBe(0);
    // The task fails on a retriable error: the worker restarts it, as the second runner here does.
    expect(first.failures).toHaveLength(1);
    expect((first.failures[0] as Error & { retriable?: boolean }).retriable).toBe(true);
    await first.runner.stop(5000);

    const second = await start(connector, root, dataTopic, offsetsTopic, clientPrefix);
    // Nothing was acknowledged: Mosquitto resends the three to the same session.
    await uncommitted.until((r) => r.length >= 6, { what: 'the redelivered records' });
    expect(values(uncommitted).slice(3)).toEqual(['a0', 'a1', 'a2']);
    expect(committed.records).toHaveLength(0);

    for (let i = 3; i < 5; i++) await pub.publishAsync(`${root}/dev`, `a${i}`, { qos: 1 });
    await committed.until((r) => r.length >= 5, { what: '5 committed records' });
    await sleep(1000);
    expect(values(committed)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    expect(second.counters.get('acknowledged')).toBe(5);
    expect(second.failures).toEqual([]);
  });
});
