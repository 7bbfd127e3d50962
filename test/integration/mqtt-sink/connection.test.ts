import mqtt, { type MqttClient } from 'mqtt';
import { TASK_CLIENT_ID_KEY, releaseMqttSessions } from '../../../connectors/mqtt-common';
import { MqttSinkConnector, MqttSinkTask, parseSinkSettings, type SinkSettings } from '../../../connectors/mqtt-sink';
import { UnavailableError, type ConnectorContext } from '../../../runtime/api';
import { freePort, quietLogger, stackEnv, uniqueId } from '../../helpers';
import { SinkHarness, sinkRecord } from './harness';

/** The CONNACK's session-present flag; mqtt.js keeps the last CONNACK. */
function sessionPresent(client: MqttClient): boolean {
  return (client as unknown as { connackPacket?: { sessionPresent?: boolean } }).connackPacket?.sessionPresent === true;
}

describe('MQTT sink connection handling against the real Mosquitto', () => {
  const { mqtt: url } = stackEnv();

  it('fails over to the next URI when the first broker does not answer', async () => {
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const base = uniqueId('sinkfailover');
    const sub = await mqtt.connectAsync(url, { clientId: uniqueId('sub'), protocolVersion: 5 });
    const got: string[] = [];
    sub.on('message', (topic) => got.push(topic));
    await sub.subscribeAsync(`${base}/#`, { qos: 1 });
    const values = {
      'mqtt.server.uri': `${dead},${url}`,
      topics: 'orders',
      'mqtt.topic': `${base}/t`,
      'mqtt.reconnect.backoff.ms': 50,
    };
    const h = new SinkHarness(uniqueId('sink'), values);
    const task = new MqttSinkTask();
    try {
      await task.start(h);
      await task.put([sinkRecord({ offset: 0, value: 'x' })]);
      await task.flush(AbortSignal.timeout(10_000));
      expect(h.acks.get('orders/0/0')).toBe(1);
    } finally {
      await task.stop();
      await sub.endAsync();
    }
  });

  it('fails start with a retriable error when no broker answers in time', async () => {
    const values = {
      'mqtt.server.uri': `mqtt://127.0.0.1:${await freePort()}`,
      topics: 'orders',
      'mqtt.topic': 'x',
      'mqtt.connect.timeout.ms': 500,
      'mqtt.reconnect.backoff.ms': 50,
    };
    const task = new MqttSinkTask();
    const err = await task.start(new SinkHarness(uniqueId('sink'), values)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    await task.stop(); // idempotent after the failed start
  });

  it('stop releases a put that waits for room in the window', async () => {
    const base = uniqueId('sinkstop');
    const values = { 'mqtt.server.uri': url, topics: 'orders', 'mqtt.topic': `${base}/t`, 'mqtt.max.in.flight': 1 };
    const h = new SinkHarness(uniqueId('sink'), values);
    const task = new MqttSinkTask();
    await task.start(h);
    const put = task.put(Array.from({ length: 50 }, (_, i) => sinkRecord({ offset: i, value: i })));
    await task.stop();
    await expect(put).resolves.toBeUndefined();
    expect(h.acks.size).toBeLessThan(50);
    expect(h.duplicateAcks()).toEqual([]);
  });

  it('gives each task its client id and releases the sessions of removed tasks', async () => {
    const name = uniqueId('sinkrel');
    const raw = { 'mqtt.server.uri': url, topics: 'orders', 'mqtt.topic': 'x', 'mqtt.client.id.prefix': 'ferrytest' };
    const connector = new MqttSinkConnector();
    const ctx: ConnectorContext<SinkSettings> = {
      name,
      settings: parseSinkSettings(raw),
      logger: quietLogger(),
      requestTaskReconfiguration: () => undefined,
      raiseError: () => undefined,
    };
    await connector.start(raw, raw, ctx);
    const configs = connector.taskConfigs(2);
    expect(configs.map((c) => c[TASK_CLIENT_ID_KEY])).toEqual([`ferrytest-${name}-0`, `ferrytest-${name}-1`]);

    // A task leaves a persistent session behind.
    const clientId = configs[1]?.[TASK_CLIENT_ID_KEY] as string;
    const persistent = {
      clientId,
      protocolVersion: 5 as const,
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    };
    const first = await mqtt.connectAsync(url, persistent);
    await first.endAsync();
    const again = await mqtt.connectAsync(url, persistent);
    const present = await new Promise<boolean>((resolve) => {
      // connectAsync resolved on CONNACK; mqtt.js keeps it.
      resolve(
        (again as unknown as { connackPacket?: { sessionPresent?: boolean } }).connackPacket?.sessionPresent === true,
      );
    });
    await again.endAsync();
    expect(present).toBe(true);

    await releaseMqttSessions([configs[1] ?? {}], quietLogger());
    const after = await mqtt.connectAsync(url, persistent);
    const presentAfter = sessionPresent(after);
    // Clean up the session this check created.
    await after.endAsync();
    await releaseMqttSessions([configs[1] ?? {}], quietLogger());
    expect(presentAfter).toBe(false);
    await connector.stop();
  });
});
