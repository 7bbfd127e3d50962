import mqtt, { type MqttClient } from 'mqtt';
import {
  MqttSourceConnector,
  parseSourceSettings,
  type MqttSourceTask,
  type SourceSettings,
} from '../../../connectors/mqtt-source';
import type { ConnectorContext, Logger } from '../../../runtime/api';
import { eventually, stackEnv, uniqueId } from '../../helpers';
import { startTask, type Harness } from './harness';

const { mqtt: url } = stackEnv();
jest.setTimeout(30_000);

type Version = '3.1.1' | '5';

async function publisher(version: Version): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId: uniqueId('pub'), protocolVersion: version === '5' ? 5 : 4 });
}

function baseConfig(version: Version, root: string, over: Record<string, string> = {}): Record<string, string> {
  return {
    'mqtt.server.uri': url,
    'mqtt.protocol.version': version,
    'mqtt.topics': `${root}/#`,
    'mqtt.qos': '1',
    'kafka.topic': 'iot.${mqtt.topic[1]}',
    'mqtt.reconnect.backoff.ms': '100',
    'mqtt.reconnect.backoff.max.ms': '500',
    'mqtt.client.id.prefix': 'ferry-it',
    ...over,
  };
}

const counted = (h: Harness, counter: string, n: number): Promise<unknown> =>
  eventually(() => (h.counters.get(counter) ?? 0) >= n, { what: `${n} ${counter}`, timeoutMs: 20_000 });
const subscribed = (h: Harness, n = 1): Promise<unknown> => counted(h, 'subscribes', n);
const connected = (h: Harness, n = 1): Promise<unknown> => counted(h, 'connects', n);

describe.each<Version>(['3.1.1', '5'])('MQTT source task on MQTT %s', (version) => {
  const tasks: MqttSourceTask[] = [];
  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(tasks.splice(0).map((t) => t.stop()));
    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
  });
  const start = async (...args: Parameters<typeof startTask>): ReturnType<typeof startTask> => {
    const started = await startTask(...args);
    tasks.push(started.task);
    return started;
  };
  const pub = async (): Promise<MqttClient> => {
    const c = await publisher(version);
    clients.push(c);
    return c;
  };

  it('maps topic levels, key, QoS 0/1/2 and wildcards into records', async () => {
    const root = uniqueId('w');
    const connector = uniqueId('c');
    const { h } = await start(
      connector,
      baseConfig(version, root, { 'mqtt.topics': `${root}/+/temp,${root}/alarm/#`, 'mqtt.qos': '2' }),
    );
    await subscribed(h);
    const p = await pub();
    await p.publishAsync(`${root}/press7/temp`, 'q0', { qos: 0 });
    await p.publishAsync(`${root}/press7/temp`, 'q1', { qos: 1 });
    await p.publishAsync(`${root}/press7/temp`, 'q2', { qos: 2 });
    await p.publishAsync(`${root}/press7/humidity`, 'not-matched', { qos: 1 });
    await p.publishAsync(`${root}/alarm/a/b`, 'deep', { qos: 1 });
    await h.untilPayload('deep');
    const got = h.payloads();
    expect(got).toEqual(['q0', 'q1', 'q2', 'deep']);
    const q2 = h.find('q2')?.record;
    expect(q2?.topic).toBe('iot.press7');
    expect(q2?.key).toBe(`${root}/press7/temp`);
    expect(q2?.headers.find((x) => x.key === 'mqtt.qos')?.value).toBe(2);
    expect(h.find('deep')?.record.topic).toBe('iot.alarm');
    expect(h.find('deep')?.record.sourcePartition).toEqual({ 'mqtt.filter': `${root}/alarm/#` });
  });

  it('never acknowledges a message whose record is not done: the broker redelivers it to the restarted task', async () => {
    const root = uniqueId('early');
    const connector = uniqueId('c');
    const config = baseConfig(version, root);
    const a = await start(connector, config, { kind: 'hold' });
    await subscribed(a.h);
    const p = await pub();
    await p.publishAsync(`${root}/d1/x`, 'held', { qos: 1 });
    await a.h.untilPayload('held');
    await a.task.stop(); // killed before Kafka confirmed: nothing may have been acknowledged

    const b = await start(connector, config);
    await connected(b.h);
    await p.publishAsync(`${root}/d1/x`, 'marker', { qos: 1 });
    await b.h.untilPayload('marker');
    // The broker resends unacknowledged messages right after CONNACK, before anything published later.
    expect(b.h.payloads()).toEqual(['held', 'marker']);
    expect(b.h.find('held')?.record.headers.find((x) => x.key === 'mqtt.dup')?.value).toBe(true);
  });

  it('acknowledges only the done prefix, in arrival order, whatever order Kafka completes in', async () => {
    const root = uniqueId('order');
    const connector = uniqueId('c');
    const config = baseConfig(version, root);
    const a = await start(connector, config, { kind: 'hold' });
    await subscribed(a.h);
    const p = await pub();
    const names = ['m1', 'm2', 'm3', 'm4', 'm5'];
    for (const n of names) await p.publishAsync(`${root}/d1/x`, n, { qos: 1 });
    await a.h.untilPayload('m5');
    // Kafka confirms m5, m4, m2, m1 — not m3. Only m1 and m2 may be acknowledged.
    for (const n of ['m5', 'm4', 'm2', 'm1']) {
      const s = a.h.find(n);
      if (s) a.h.complete(s);
    }
    await eventually(() => (a.h.counters.get('acknowledged') ?? 0) >= 2, {
      what: "(a.h.counters.get('acknowledged') ?? 0) >= 2",
      timeoutMs: 20_000,
    });
    expect(a.h.counters.get('acknowledged')).toBe(2);
    expect(a.task.inFlight).toBe(3);
    await a.task.stop();

    const b = await start(connector, config);
    await connected(b.h);
    await p.publishAsync(`${root}/d1/x`, 'marker', { qos: 1 });
    await b.h.untilPayload('marker');
    expect(b.h.payloads()).toEqual(['m3', 'm4', 'm5', 'marker']);
  });

  it('QoS 2: PUBREC only after done; a held QoS 2 message is redelivered, a done one is not', async () => {
    const root = uniqueId('q2');
    const connector = uniqueId('c');
    const config = baseConfig(version, root, { 'mqtt.qos': '2' });
    const a = await start(connector, config, { kind: 'hold' });
    await subscribed(a.h);
    const p = await pub();
    await p.publishAsync(`${root}/d/x`, 'first', { qos: 2 });
    await p.publishAsync(`${root}/d/x`, 'second', { qos: 2 });
    await a.h.untilPayload('second');
    const first = a.h.find('first');
    if (first) a.h.complete(first);
    await eventually(() => (a.h.counters.get('acknowledged') ?? 0) >= 1, {
      what: "(a.h.counters.get('acknowledged') ?? 0) >= 1",
      timeoutMs: 20_000,
    });
    await a.task.stop();

    const b = await start(connector, config);
    await connected(b.h);
    await p.publishAsync(`${root}/d/x`, 'marker', { qos: 2 });
    await b.h.untilPayload('marker');
    expect(b.h.payloads()).toEqual(['second', 'marker']);
  });

  it('never has more than mqtt.max.in.flight records outstanding, and still gets every message', async () => {
    const root = uniqueId('window');
    const { h } = await start(uniqueId('c'), baseConfig(version, root, { 'mqtt.max.in.flight': '10' }), {
      kind: 'delay',
      ms: 5,
    });
    await subscribed(h);
    const p = await pub();
    const n = 300;
    await Promise.all(Array.from({ length: n }, (_, i) => p.publishAsync(`${root}/d${i % 7}/x`, `n${i}`, { qos: 1 })));
    await h.until(() => h.sent.length >= n);
    expect(h.maxOutstanding).toBeLessThanOrEqual(10);
    expect(h.maxOutstanding).toBe(10); // the window was really filled: the bound was exercised
    expect(new Set(h.payloads()).size).toBe(n);
    // Per-device order: records of one MQTT topic were sent in publish order.
    const d0 = h.payloads().filter((_, i) => h.sent[i]?.record.key === `${root}/d0/x`);
    expect(d0).toEqual([...d0].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))));
  });

  it('handles records completed synchronously inside send: each once, all acknowledged', async () => {
    const root = uniqueId('sync');
    const connector = uniqueId('c');
    const config = baseConfig(version, root, { 'mqtt.max.in.flight': '5' });
    const a = await start(connector, config, { kind: 'sync' });
    await subscribed(a.h);
    const p = await pub();
    const n = 100;
    await Promise.all(Array.from({ length: n }, (_, i) => p.publishAsync(`${root}/d/x`, `y${i}`, { qos: 1 })));
    await a.h.until(() => a.h.sent.length >= n);
    expect(a.h.payloads()).toEqual(Array.from({ length: n }, (_, i) => `y${i}`));
    await eventually(() => (a.h.counters.get('acknowledged') ?? 0) >= n, {
      what: "(a.h.counters.get('acknowledged') ?? 0) >= n",
      timeoutMs: 20_000,
    });
    await a.task.stop();
    const b = await start(connector, config);
    await connected(b.h);
    await p.publishAsync(`${root}/d/x`, 'marker', { qos: 1 });
    await b.h.untilPayload('marker');
    expect(b.h.payloads()).toEqual(['marker']);
  });

  it('keeps the connection alive while acks are held and reads are paused', async () => {
    const root = uniqueId('keepalive');
    const { task, h } = await start(
      uniqueId('c'),
      baseConfig(version, root, { 'mqtt.keepalive.seconds': '1', 'mqtt.max.in.flight': '2' }),
      { kind: 'hold' },
    );
    await subscribed(h);
    const p = await pub();
    // One message acknowledged first: Mosquitto honours Receive Maximum only until acks flow, and the window is
    // meant to be filled by the client's own bound here.
    await p.publishAsync(`${root}/d/x`, 'k0', { qos: 1 });
    await h.untilPayload('k0');
    const k0 = h.find('k0');
    if (k0) h.complete(k0);
    await eventually(() => (h.counters.get('acknowledged') ?? 0) >= 1, {
      what: "(h.counters.get('acknowledged') ?? 0) >= 1",
      timeoutMs: 20_000,
    });
    for (let i = 1; i < 6; i++) await p.publishAsync(`${root}/d/x`, `k${i}`, { qos: 1 });
    await h.until(() => h.sent.length >= 3);
    // Three keep-alive periods with the window full and reads paused: the broker cuts a silent client after 1.5.
    await new Promise((r) => setTimeout(r, 3500));
    expect(h.sent).toHaveLength(3);
    h.mode = { kind: 'immediate' };
    for (const s of [...h.sent]) h.complete(s);
    await h.untilPayload('k5');
    await p.publishAsync(`${root}/d/x`, 'marker', { qos: 1 });
    await h.untilPayload('marker');
    // One connection throughout: a dropped one would show as a second connect and redelivered duplicates.
    expect(h.counters.get('connects')).toBe(1);
    expect(h.counters.get('connection_errors')).toBeUndefined();
    expect(h.payloads()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'marker']);
    expect(task.lastError).toBeUndefined();
  });

  it('two tasks on a shared subscription receive everything exactly once between them', async () => {
    const root = uniqueId('shared');
    const connectorName = uniqueId('c');
    const connector = new MqttSourceConnector();
    const logger = { child: () => logger } as unknown as Logger;
    const config = baseConfig(version, root);
    const cctx: ConnectorContext<SourceSettings> = {
      name: connectorName,
      settings: parseSourceSettings(config),
      logger,
      requestTaskReconfiguration: () => undefined,
      raiseError: () => undefined,
    };
    await connector.start(config, config, cctx);
    const [c0, c1] = connector.taskConfigs(2);
    expect(c0?.['mqtt.task.filters']).toBe(`$share/${connectorName}/${root}/#`);
    expect(c0?.['mqtt.task.client.id']).not.toBe(c1?.['mqtt.task.client.id']);
    const t0 = await start(connectorName, c0 ?? {}, { kind: 'immediate' }, 0);
    const t1 = await start(connectorName, c1 ?? {}, { kind: 'immediate' }, 1);
    await subscribed(t0.h);
    await subscribed(t1.h);
    const p = await pub();
    const n = 200;
    for (let i = 0; i < n; i++) await p.publishAsync(`${root}/d${i % 5}/x`, `s${i}`, { qos: 1 });
    // Polled: the last record may reach either harness.
    await eventually(() => t0.h.sent.length + t1.h.sent.length >= n, {
      what: 't0.h.sent.length + t1.h.sent.length >= n',
      timeoutMs: 20_000,
    });
    const all = [...t0.h.payloads(), ...t1.h.payloads()];
    expect(all).toHaveLength(n);
    expect(new Set(all).size).toBe(n);
    expect(t0.h.sent.length).toBeGreaterThan(0);
    expect(t1.h.sent.length).toBeGreaterThan(0);
    await connector.stop();
  });

  it('json mode types the payload by the latest schema of a registry subject', async () => {
    const { registry } = stackEnv();
    const subject = uniqueId('reading-value');
    const avsc = {
      type: 'record',
      name: 'Reading',
      namespace: 'io.ferry.test',
      fields: [
        { name: 'deviceId', type: 'string' },
        { name: 'temp', type: 'double' },
        { name: 'note', type: ['null', 'string'], default: null },
      ],
    };
    const reg = await fetch(`${registry}/subjects/${subject}/versions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: JSON.stringify(avsc) }),
    });
    expect(reg.status).toBe(200);
    const root = uniqueId('jsonreg');
    const { h } = await start(
      uniqueId('c'),
      baseConfig(version, root, {
        'mqtt.value.format': 'json',
        'mqtt.value.schema.subject': subject,
        'value.converter.schema.registry.url': registry,
      }),
    );
    await subscribed(h);
    const p = await pub();
    await p.publishAsync(`${root}/d/x`, JSON.stringify({ deviceId: 'd1', temp: 20.5, extra: true }), { qos: 1 });
    await h.until(() => h.sent.length >= 1);
    const r = h.sent[0]?.record;
    expect(r?.valueSchema?.name).toBe('io.ferry.test.Reading');
    expect(r?.value).toEqual({ deviceId: 'd1', temp: 20.5, note: null });
  });

  if (version === '5') {
    it('MQTT 5 user properties and properties become headers', async () => {
      const root = uniqueId('props');
      const { h } = await start(uniqueId('c'), baseConfig(version, root, { 'kafka.key': '${payload.deviceId}' }));
      await subscribed(h);
      const p = await pub();
      await p.publishAsync(`${root}/d1/x`, JSON.stringify({ deviceId: 'dev-1' }), {
        qos: 1,
        properties: {
          userProperties: { site: 'north', line: '4' },
          contentType: 'application/json',
          responseTopic: 'r/1',
          correlationData: Buffer.from('c1'),
          messageExpiryInterval: 300,
        },
      });
      await h.until(() => h.sent.length >= 1);
      const r = h.sent[0]?.record;
      const hv = (k: string): unknown => r?.headers.find((x) => x.key === k)?.value;
      expect(r?.key).toBe('dev-1');
      expect(hv('site')).toBe('north');
      expect(hv('line')).toBe('4');
      expect(hv('mqtt.content.type')).toBe('application/json');
      expect(hv('mqtt.response.topic')).toBe('r/1');
      expect(hv('mqtt.correlation.data')).toEqual(Buffer.from('c1'));
      expect(typeof hv('mqtt.message.expiry')).toBe('number');
      const v = r?.value as Record<string, unknown>;
      expect(v['user_properties']).toEqual({ site: 'north', line: '4' });
    });
  }
});
