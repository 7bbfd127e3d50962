import mqtt from 'mqtt';
import {
  mqttSourcePlugin,
  parseSourceSettings,
  SubscriberSession,
  type MqttSourceTask,
} from '../../../connectors/mqtt-source';
import type { Logger } from '../../../runtime/api';
import { DedicatedService, eventually, silentLogger, uniqueId } from '../../helpers';
import { startTask } from './harness';

jest.setTimeout(120_000);

describe('MQTT source task when the broker fails', () => {
  let svc: DedicatedService;
  const tasks: MqttSourceTask[] = [];
  beforeAll(async () => {
    svc = await DedicatedService.start('mqtt');
  });
  afterEach(async () => {
    await Promise.all(tasks.splice(0).map((t) => t.stop()));
  });
  afterAll(async () => {
    await svc.destroy();
  });

  const config = (root: string, version: string): Record<string, string> => ({
    'mqtt.server.uri': svc.url,
    'mqtt.protocol.version': version,
    'mqtt.topics': `${root}/#`,
    'mqtt.qos': '1',
    'kafka.topic': 'iot.raw',
    'mqtt.reconnect.backoff.ms': '100',
    'mqtt.reconnect.backoff.max.ms': '300',
    'mqtt.connect.timeout.ms': '2000',
  });

  it.each(['3.1.1', '5'])(
    'MQTT %s: held messages survive a broker restart and are redelivered; the task reconnects by itself',
    async (version) => {
      const root = uniqueId('restart');
      const { task, h } = await startTask(uniqueId('c'), config(root, version), { kind: 'hold' });
      tasks.push(task);
      await eventually(() => (h.counters.get('subscribes') ?? 0) >= 1, {
        what: "(h.counters.get('subscribes') ?? 0) >= 1",
        timeoutMs: 60_000,
      });
      const pub = await mqtt.connectAsync(svc.url, { clientId: uniqueId('pub') });
      for (const n of ['a', 'b', 'c']) await pub.publishAsync(`${root}/d/x`, n, { qos: 1 });
      await pub.endAsync();
      await h.untilPayload('c');
      const firstDelivery = h.sent.length;

      await svc.down(); // graceful: Mosquitto writes its persistence file
      await eventually(() => task.lastError !== undefined, { what: 'task.lastError !== undefined', timeoutMs: 60_000 });
      await svc.up();
      await eventually(() => (h.counters.get('connects') ?? 0) >= 2, {
        what: "(h.counters.get('connects') ?? 0) >= 2",
        timeoutMs: 60_000,
      });
      // Never acknowledged, so the resumed session brings them again, flagged DUP.
      await h.until(() => h.sent.length >= firstDelivery + 3);
      const again = h.sent.slice(firstDelivery);
      expect(again.map((s) => s.record.originalBytes?.toString())).toEqual(['a', 'b', 'c']);
      expect(again.every((s) => s.record.headers.some((x) => x.key === 'mqtt.dup' && x.value === true))).toBe(true);
      expect(task.lastError).toBeUndefined();
    },
  );

  it('a first connect that fails keeps retrying, exposes the error, and connects once the broker is up', async () => {
    const root = uniqueId('first');
    await svc.down();
    let started: Awaited<ReturnType<typeof startTask>> | undefined;
    try {
      // start() must not throw: the task stays RUNNING and keeps trying.
      started = await startTask(uniqueId('c'), config(root, '5'));
      tasks.push(started.task);
      const { h } = started;
      await eventually(() => (h.counters.get('connection_errors') ?? 0) >= 2, {
        what: "(h.counters.get('connection_errors') ?? 0) >= 2",
        timeoutMs: 60_000,
      });
      expect(started.task.lastError?.message).toMatch(/MQTT connection to .* (failed|closed)/);
    } finally {
      await svc.up();
    }
    const { task, h } = started;
    await eventually(() => (h.counters.get('subscribes') ?? 0) >= 1, {
      what: "(h.counters.get('subscribes') ?? 0) >= 1",
      timeoutMs: 60_000,
    });
    expect(task.lastError).toBeUndefined();
    const pub = await mqtt.connectAsync(svc.url, { clientId: uniqueId('pub') });
    await pub.publishAsync(`${root}/x`, 'hello', { qos: 1 });
    await pub.endAsync();
    await h.untilPayload('hello');
    expect(h.payloads()).toEqual(['hello']);
  });

  it('resubscribes on reconnect when the broker has no session (clean start)', async () => {
    const root = uniqueId('resub');
    const got: string[] = [];
    const session = new SubscriberSession(
      {
        servers: [{ host: '127.0.0.1', port: svc.port, tls: false }],
        protocolVersion: 5,
        clientId: uniqueId('s'),
        keepaliveSeconds: 5,
        connectTimeoutMs: 2000,
        reconnectMinMs: 50,
        reconnectMaxMs: 100,
        cleanStart: true,
        sessionExpirySeconds: 0,
        maxInFlight: 10,
        subscriptions: [{ topic: `${root}/#`, qos: 1 }],
      },
      (m, complete) => {
        got.push(m.payload.toString());
        complete();
      },
    );
    let subscribes = 0;
    session.on('subscribed', () => subscribes++);
    session.start();
    try {
      await eventually(() => subscribes >= 1, { what: 'subscribes >= 1', timeoutMs: 60_000 });
      session.dropConnection(new Error('test: drop'));
      await eventually(() => subscribes >= 2, { what: 'subscribes >= 2', timeoutMs: 60_000 });
      const pub = await mqtt.connectAsync(svc.url, { clientId: uniqueId('pub') });
      await pub.publishAsync(`${root}/x`, 'after', { qos: 1 });
      await pub.endAsync();
      await eventually(() => got.includes('after'), { what: "got.includes('after')", timeoutMs: 60_000 });
      expect(got).toEqual(['after']);
    } finally {
      await session.stop();
    }
  });

  it('releaseTasks gives up (logged, not thrown) when the broker is unreachable', async () => {
    const warnings: unknown[] = [];
    const logger: Logger = { ...silentLogger, warn: (o) => warnings.push(o), child: () => logger };
    await svc.down();
    try {
      await mqttSourcePlugin.releaseTasks?.(
        [
          {
            ...config(uniqueId('gone'), '5'),
            'mqtt.task.client.id': uniqueId('gone'),
            'mqtt.connect.timeout.ms': '1000',
          },
        ],
        logger,
      );
    } finally {
      await svc.up();
    }
    expect(warnings).toHaveLength(1);
  });

  it('releaseTasks ends the persistent session of a removed task: what it had queued is gone', async () => {
    const root = uniqueId('release');
    const name = uniqueId('c');
    const cfg = config(root, '5');
    const connector = mqttSourcePlugin.createConnector();
    await connector.start(cfg, cfg, {
      name,
      settings: parseSourceSettings(cfg),
      logger: silentLogger,
      requestTaskReconfiguration: () => undefined,
      raiseError: () => undefined,
    });
    const [taskConfig] = connector.taskConfigs(1);
    if (!taskConfig) throw new Error('no task config');
    const a = await startTask(name, taskConfig, { kind: 'hold' });
    await eventually(() => (a.h.counters.get('subscribes') ?? 0) >= 1, {
      what: "(a.h.counters.get('subscribes') ?? 0) >= 1",
      timeoutMs: 60_000,
    });
    const pub = await mqtt.connectAsync(svc.url, { clientId: uniqueId('pub') });
    await pub.publishAsync(`${root}/d/x`, 'queued', { qos: 1 });
    await a.h.untilPayload('queued');
    await a.task.stop();

    await mqttSourcePlugin.releaseTasks?.([taskConfig], silentLogger);

    // A task with the same client id now finds no session: it subscribes afresh and gets nothing old.
    const b = await startTask(name, taskConfig);
    tasks.push(b.task);
    await eventually(() => (b.h.counters.get('subscribes') ?? 0) >= 1, {
      what: "(b.h.counters.get('subscribes') ?? 0) >= 1",
      timeoutMs: 60_000,
    });
    await pub.publishAsync(`${root}/d/x`, 'marker', { qos: 1 });
    await b.h.untilPayload('marker');
    await pub.endAsync();
    expect(b.h.payloads()).toEqual(['marker']);
  });
});
