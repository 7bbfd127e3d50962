/**
 * What an MQTT publisher (not an operator) can make a source connector do, through a real worker process, real
 * Kafka and a real Mosquitto on MQTT 3.1.1 (which has no way to announce a packet size): a templated kafka.topic
 * naming the worker's own topics, Kafka's or the registry's goes to the dead-letter queue with the reason; so does
 * a record for one new topic more than limits.topics.per.connector.max, and a PUBLISH larger than
 * mqtt.max.packet.bytes. The task stays RUNNING throughout and counts what it refused.
 */
import mqtt from 'mqtt';
import {
  eventually,
  freshCluster,
  headerValue,
  readTopic,
  rest,
  stackEnv,
  startWorker,
  uniqueId,
  type WorkerHandle,
} from '../../helpers';

const STRING = 'org.apache.kafka.connect.storage.StringConverter';
const MAX_PACKET = 4096;

describe('MQTT source: what publishers cannot do', () => {
  const cluster = freshCluster('publimits');
  const name = uniqueId('publimits');
  const root = `publimits/${uniqueId('r')}`;
  const dlq = uniqueId('publimits-dlq');
  let w: WorkerHandle;
  let client: mqtt.MqttClient;

  const taskState = async (): Promise<string | undefined> =>
    ((await rest(w.url, 'GET', `/connectors/${name}/status`)).body as { tasks: { state: string }[] }).tasks[0]?.state;

  beforeAll(async () => {
    w = await startWorker(cluster, { env: { FERRY_LIMITS_TOPICS_PER_CONNECTOR_MAX: '2' } });
    const created = await rest(w.url, 'POST', '/connectors', {
      name,
      config: {
        'connector.class': 'MqttSourceConnector',
        'mqtt.server.uri': stackEnv().mqtt,
        'mqtt.protocol.version': '3.1.1',
        'mqtt.topics': `${root}/#`,
        'mqtt.qos': '1',
        'kafka.topic': '${mqtt.topic[2]}',
        'mqtt.value.format': 'string',
        'mqtt.max.packet.bytes': String(MAX_PACKET),
        'key.converter': STRING,
        'value.converter': STRING,
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': dlq,
        'errors.deadletterqueue.context.headers.enable': 'true',
      },
    });
    expect(created.status).toBe(201);
    await eventually(async () => (await taskState()) === 'RUNNING', {
      what: 'the source task to run',
      timeoutMs: 60_000,
    });
    await eventually(
      async () =>
        String((await rest(w.url, 'GET', '/metrics')).body).includes(`ferry_task_subscribes_total{connector="${name}"`),
      { what: 'the task to subscribe', timeoutMs: 60_000 },
    );
    client = await mqtt.connectAsync(stackEnv().mqtt, { clientId: uniqueId('publimits-pub'), protocolVersion: 4 });
  });

  afterAll(async () => {
    await client?.endAsync();
    await w?.stop();
  });

  it('dead-letters records for internal topics, one created topic too many and oversized payloads; the task keeps running', async () => {
    const fresh = [uniqueId('pl-new1'), uniqueId('pl-new2'), uniqueId('pl-new3')];
    const sends: [string, string | Buffer][] = [
      [cluster.configTopic, 'into-config'],
      ['_schemas', 'into-schemas'],
      ['__consumer_offsets', 'into-offsets'],
      [fresh[0]!, 'first'],
      [fresh[1]!, 'second'],
      [fresh[2]!, 'third'],
      [fresh[0]!, Buffer.alloc(MAX_PACKET * 3, 0x78)],
      [fresh[0]!, 'after-the-big-one'],
    ];
    // One at a time: the order of the dead-letter records then follows the sends.
    for (const [topic, payload] of sends) await client.publishAsync(`${root}/${topic}`, payload, { qos: 1 });

    await eventually(
      async () =>
        new RegExp(`ferry_task_dead_lettered_total\\{connector="${name}",task="0"\\} 5`).test(
          String((await rest(w.url, 'GET', '/metrics')).body),
        ),
      { what: 'five records dead-lettered', timeoutMs: 60_000 },
    );
    const dead = await readTopic(stackEnv().kafka, dlq, { count: 5, what: 'the dead-letter records' });
    const reasons = dead.map((m) => headerValue(m, '__connect.errors.exception.message') ?? '');
    expect(reasons).toHaveLength(5);
    expect(reasons[0]).toMatch(new RegExp(`topic "${cluster.configTopic}" is an internal topic`));
    expect(reasons[1]).toMatch(/topic "_schemas" is an internal topic/);
    expect(reasons[2]).toMatch(/topic "__consumer_offsets" is an internal topic/);
    expect(reasons[3]).toMatch(
      new RegExp(`topic "${fresh[2]}" does not exist, and this connector already made this worker create 2 topics`),
    );
    // The whole packet: the payload, the topic and the headers.
    expect(reasons[4]).toMatch(/MQTT message of 12\d{3} bytes is larger than mqtt.max.packet.bytes/);
    expect(dead.slice(0, 3).map((m) => m.value?.toString())).toEqual(['into-config', 'into-schemas', 'into-offsets']);
    // The oversized payload was never read, so the dead-letter record cannot carry it.
    expect(dead[4]?.value?.length ?? 0).toBe(0);

    const first = await readTopic(stackEnv().kafka, fresh[0]!, { count: 2 });
    expect(first.map((m) => m.value?.toString())).toEqual(['first', 'after-the-big-one']);
    expect((await readTopic(stackEnv().kafka, fresh[1]!, { count: 1 }))[0]?.value?.toString()).toBe('second');
    expect(await taskState()).toBe('RUNNING');
    const metrics = String((await rest(w.url, 'GET', '/metrics')).body);
    expect(metrics).toMatch(new RegExp(`ferry_task_oversized_total\\{connector="${name}",task="0"\\} 1`));
    expect(metrics).toMatch(new RegExp(`ferry_task_dead_lettered_total\\{connector="${name}",task="0"\\} 5`));
  });
});
