/**
 * Issue #21: an MQTT 5 user property named like the runtime's dead-letter reason header (`__ferry.error`) used to mark
 * its record as failed, so a publisher could fail a source task (the default error policy). Against the real
 * Mosquitto and Kafka: such a message is an ordinary record, the property reaches Kafka as an ordinary header, and
 * the task stays RUNNING.
 */
import mqtt from 'mqtt';
import {
  createConnector,
  eventually,
  freshCluster,
  headerValues,
  KafkaReader,
  mqttSourceConfig,
  rest,
  stackEnv,
  startWorker,
  uniqueId,
  type KafkaRecord,
  type WorkerHandle,
} from '../../helpers';

jest.setTimeout(180_000);

describe('MQTT source: a user property named like the dead-letter reason header', () => {
  const { kafka, mqtt: mqttUrl } = stackEnv();
  let w: WorkerHandle;

  beforeAll(async () => {
    w = await startWorker(freshCluster('forged'));
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('is an ordinary Kafka header and the task stays RUNNING (default error policy: a failure would fail it)', async () => {
    const root = uniqueId('forged');
    const topic = root.replace(/[^a-zA-Z0-9-]/g, '-');
    const name = uniqueId('forged-src');
    await createConnector(
      w.url,
      name,
      mqttSourceConfig(
        { filters: `${root}/#`, mqttUrl, kafkaTopic: topic },
        { 'mqtt.protocol.version': '5', 'mqtt.value.format': 'string' },
      ),
    );
    const taskState = async (): Promise<string | undefined> =>
      ((await rest(w.url, 'GET', `/connectors/${name}/status`)).body?.tasks?.[0]?.state as string | undefined) ??
      undefined;
    await eventually(async () => (await taskState()) === 'RUNNING', { what: `${name} RUNNING`, timeoutMs: 90_000 });

    const reader = new KafkaReader(kafka, topic);
    await reader.start();
    const read = reader.records;
    const text = (r: KafkaRecord): string => r.value?.toString() ?? '';
    const pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('forged-pub'), protocolVersion: 5 });
    try {
      // The subscription exists only once the task has subscribed (RUNNING comes first): publish until one arrives.
      let seq = 0;
      await eventually(
        async () => {
          seq += 1;
          await pub.publishAsync(`${root}/d1`, `forged ${seq}`, {
            qos: 1,
            properties: { userProperties: { '__ferry.error': 'set by a publisher' } },
          });
          return read.length > 0;
        },
        { what: 'a record of a message with the user property in Kafka', timeoutMs: 60_000 },
      );
      await pub.publishAsync(`${root}/d1`, 'after', { qos: 1 });
      await eventually(() => read.some((r) => text(r) === 'after'), {
        what: 'the next message in Kafka',
        timeoutMs: 60_000,
      });
    } finally {
      await pub.endAsync();
      await reader.stop();
    }
    const forged = read.filter((r) => text(r).startsWith('forged '));
    expect(forged.length).toBeGreaterThan(0);
    for (const r of forged) expect(headerValues(r, '__ferry.error')).toContain('set by a publisher');
    expect(await taskState()).toBe('RUNNING');
    await rest(w.url, 'DELETE', `/connectors/${name}`);
  });
});
