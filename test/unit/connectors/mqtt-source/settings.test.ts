import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../../runtime/api';
import { TASK_CLIENT_ID_KEY } from '../../../../connectors/mqtt-common';
import {
  DEFAULT_MAX_IN_FLIGHT,
  MqttSourceConnector,
  TASK_FILTERS_KEY,
  parseSourceSettings,
  sessionOptionsFrom,
} from '../../../../connectors/mqtt-source';

const minimal = { 'mqtt.server.uri': 'mqtt://a:1884,tcp://b', 'mqtt.topics': 'f/#,g/+', 'kafka.topic': 'k' };

describe('parseSourceSettings', () => {
  it('takes every default from the schemas, also from a stored task config of strings', () => {
    const s = parseSourceSettings(minimal);
    expect(s).toMatchObject({
      filters: ['f/#', 'g/+'],
      subscriptions: ['f/#', 'g/+'],
      qos: 1,
      maxInFlight: DEFAULT_MAX_IN_FLIGHT,
      valueFormat: 'envelope',
      connection: {
        protocolVersion: 5,
        clientIdPrefix: 'ferry',
        keepaliveSeconds: 30,
        connectTimeoutMs: 30000,
        reconnectBackoffMs: 1000,
        reconnectBackoffMaxMs: 30000,
        cleanStart: false,
        sessionExpirySeconds: 86400,
        tls: { verifyHostname: true },
      },
    });
    expect(s.templates.key.render(() => 'x/y')).toBe('x/y');
  });

  it('reads what the connector assigned the task, and names a bad connection key', () => {
    const s = parseSourceSettings({ ...minimal, [TASK_FILTERS_KEY]: '$share/g/f/#', 'mqtt.qos': '2' });
    expect(s.subscriptions).toEqual(['$share/g/f/#']);
    expect(s.qos).toBe(2);
    expect(() => parseSourceSettings({ ...minimal, 'mqtt.server.uri': 'http://x' })).toThrow(ConfigError);
  });
});

describe('sessionOptionsFrom', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ferry-source-settings-'));
    writeFileSync(path.join(dir, 'ca.pem'), 'CA');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the session the parsed connection: servers in order, credentials, back-off, window', () => {
    const o = sessionOptionsFrom(
      parseSourceSettings({
        ...minimal,
        'mqtt.username': 'u',
        'mqtt.password': 'p',
        'mqtt.reconnect.backoff.ms': '50',
        'mqtt.reconnect.backoff.max.ms': '10',
        'mqtt.max.in.flight': '7',
      }),
      'id-0',
    );
    expect(o).toMatchObject({
      servers: [
        { host: 'a', port: 1884, tls: false },
        { host: 'b', port: 1883, tls: false },
      ],
      clientId: 'id-0',
      username: 'u',
      password: Buffer.from('p'),
      reconnectMinMs: 50,
      reconnectMaxMs: 50,
      maxInFlight: 7,
      subscriptions: [
        { topic: 'f/#', qos: 1 },
        { topic: 'g/+', qos: 1 },
      ],
    });
    expect(o.tls).toBeUndefined();
  });

  it('reads the TLS files for mqtts servers and keeps the chain check when the host name check is off', () => {
    const o = sessionOptionsFrom(
      parseSourceSettings({
        ...minimal,
        'mqtt.server.uri': 'mqtts://h',
        'mqtt.ssl.ca': path.join(dir, 'ca.pem'),
        'mqtt.ssl.verify.hostname': 'false',
      }),
      'id',
    );
    expect(o.servers).toEqual([{ host: 'h', port: 8883, tls: true }]);
    expect(o.tls?.ca?.toString()).toBe('CA');
    expect(o.tls?.rejectUnauthorized).toBe(true);
    expect(o.tls?.checkServerIdentity?.('h', {} as never)).toBeUndefined();
  });
});

describe('MqttSourceConnector.taskConfigs', () => {
  it('gives each task its client id and, with several tasks, shared subscriptions', async () => {
    const c = new MqttSourceConnector();
    const raw = { ...minimal, 'mqtt.client.id.prefix': 'px' };
    await c.start({}, raw, {
      name: 'conn',
      settings: parseSourceSettings(raw),
      logger: undefined as never,
      requestTaskReconfiguration: () => undefined,
      raiseError: () => undefined,
    });
    const configs = c.taskConfigs(2);
    expect(configs.map((t) => t[TASK_CLIENT_ID_KEY])).toEqual(['px-conn-0', 'px-conn-1']);
    expect(configs[0]?.[TASK_FILTERS_KEY]).toBe('$share/conn/f/#,$share/conn/g/+');
  });
});
