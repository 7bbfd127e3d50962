import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../../runtime/api';
import {
  backoffDelayMs,
  mqttClientOptions,
  mqttConnectionConfig,
  parseMqttConnection,
  parseServerUris,
  validateMqttConnection,
} from '../../../../connectors/mqtt-common';

function issuesOf(value: string): string[] {
  try {
    parseServerUris(value);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.key}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('mqttConnectionConfig', () => {
  it('has the documented defaults and hides secrets', () => {
    expect(mqttConnectionConfig['mqtt.protocol.version']?.default).toBe('5');
    expect(mqttConnectionConfig['mqtt.session.expiry.seconds']?.default).toBe(86400);
    expect(mqttConnectionConfig['mqtt.clean.start']?.default).toBe(false);
    expect(mqttConnectionConfig['mqtt.password']?.['x-secret']).toBe(true);
    expect(mqttConnectionConfig['mqtt.ssl.key.password']?.['x-connect-type']).toBe('PASSWORD');
    for (const [key, prop] of Object.entries(mqttConnectionConfig)) {
      expect([key, prop['x-group']]).toEqual([key, 'MQTT Connection']);
      expect(prop.description.length).toBeGreaterThan(20);
    }
  });
});

describe('parseServerUris', () => {
  it('parses several URIs in order, mapping tcp and ssl and default ports', () => {
    expect(parseServerUris('mqtt://a:1884, tcp://b , ssl://c, mqtts://[::1]:8884')).toEqual([
      { protocol: 'mqtt', host: 'a', port: 1884 },
      { protocol: 'mqtt', host: 'b', port: 1883 },
      { protocol: 'mqtts', host: 'c', port: 8883 },
      { protocol: 'mqtts', host: '::1', port: 8884 },
    ]);
  });

  it.each([
    ['http://a:80', 'scheme http is not supported'],
    ['ws://a', 'scheme ws'],
    ['a:1883', 'scheme a'],
    ['mqtt://a:99999', 'not a URI'],
    ['mqtt://', 'no host'],
    ['mqtt://u:p@a', 'mqtt.username'],
    ['mqtt://a/path', 'no path'],
    ['nonsense', 'not a URI'],
    [' , ', 'at least one'],
  ])('rejects %s naming mqtt.server.uri', (value, message) => {
    const issues = issuesOf(value);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^mqtt\.server\.uri: /);
    expect(issues[0]).toContain(message);
  });

  it('lists every bad URI in one issue', () => {
    const issues = issuesOf('http://x, mqtt://ok, mqtt://u:p@y');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain('http');
    expect(issues[0]).toContain('u:p@y');
  });
});

describe('validateMqttConnection', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ferry-mqtt-common-'));
    writeFileSync(path.join(dir, 'ca.pem'), 'not really a cert');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const keys = (values: Record<string, unknown>) => validateMqttConnection(values).map((i) => i.key);

  it('accepts a minimal config', () => {
    expect(validateMqttConnection({ 'mqtt.server.uri': 'mqtt://127.0.0.1:1884' })).toEqual([]);
  });

  it('reports a missing URI, a bad version and a password without user', () => {
    expect(keys({ 'mqtt.protocol.version': '4', 'mqtt.password': 'x' })).toEqual([
      'mqtt.server.uri',
      'mqtt.protocol.version',
      'mqtt.password',
    ]);
  });

  it('reports unreadable TLS files, half a key pair and TLS files without a TLS URI', () => {
    const issues = validateMqttConnection({
      'mqtt.server.uri': 'mqtt://h',
      'mqtt.ssl.ca': path.join(dir, 'ca.pem'),
      'mqtt.ssl.cert': path.join(dir, 'missing.pem'),
    });
    expect(issues.map((i) => i.key)).toEqual(['mqtt.ssl.cert', 'mqtt.ssl.key', 'mqtt.server.uri']);
    expect(issues[0]?.message).toContain('cannot be read');
    expect(issues[2]?.message).toContain('mqtts://');
  });

  it('reports a back-off maximum below the initial delay', () => {
    expect(
      keys({ 'mqtt.server.uri': 'mqtt://h', 'mqtt.reconnect.backoff.ms': 5000, 'mqtt.reconnect.backoff.max.ms': 100 }),
    ).toEqual(['mqtt.reconnect.backoff.max.ms']);
  });
});

describe('mqttClientOptions', () => {
  it('builds MQTT 5 options with a persistent session and manual connect by default', () => {
    const o = mqttClientOptions(parseMqttConnection({ 'mqtt.server.uri': 'mqtt://a:1884,mqtt://b:1885' }), 'ferry-x-0');
    expect(o).toMatchObject({
      clientId: 'ferry-x-0',
      protocolVersion: 5,
      clean: false,
      manualConnect: true,
      keepalive: 30,
      reschedulePings: false,
      writeCache: false,
      connectTimeout: 30000,
      reconnectPeriod: 1000,
      properties: { sessionExpiryInterval: 86400 },
      host: 'a',
      port: 1884,
      protocol: 'mqtt',
      servers: [
        { host: 'a', port: 1884, protocol: 'mqtt' },
        { host: 'b', port: 1885, protocol: 'mqtt' },
      ],
    });
    expect(o.username).toBeUndefined();
    expect(o.rejectUnauthorized).toBeUndefined();
  });

  it('uses the configured values, 3.1.1 without MQTT 5 properties, and credentials', () => {
    const o = mqttClientOptions(
      parseMqttConnection({
        'mqtt.server.uri': 'tcp://h',
        'mqtt.protocol.version': '3.1.1',
        'mqtt.clean.start': true,
        'mqtt.keepalive.seconds': 5,
        'mqtt.username': 'u',
        'mqtt.password': 'p',
      }),
      'id',
    );
    expect(o).toMatchObject({ protocolVersion: 4, clean: true, keepalive: 5, username: 'u', password: 'p' });
    expect(o.properties).toBeUndefined();
  });

  describe('TLS', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'ferry-mqtt-tls-'));
      writeFileSync(path.join(dir, 'ca.pem'), 'CA');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('verifies the certificate, reads the CA and derives the server name from the current host', () => {
      const o = mqttClientOptions(
        parseMqttConnection({
          'mqtt.server.uri': 'mqtts://one.example:8883,ssl://127.0.0.1',
          'mqtt.ssl.ca': path.join(dir, 'ca.pem'),
        }),
        'id',
      );
      expect(o.rejectUnauthorized).toBe(true);
      expect(o.checkServerIdentity).toBeUndefined();
      expect(o.ca?.toString()).toBe('CA');
      expect(o.servername).toBe('one.example');
      // mqtt.js moves host to the next server on failover; an IP literal gets no SNI name.
      o.host = '127.0.0.1';
      expect(o.servername).toBeUndefined();
      o.host = 'two.example';
      o.servername = 'stale';
      expect(o.servername).toBe('two.example');
    });

    it('skips only the host name check when verify.hostname is false', () => {
      const o = mqttClientOptions(
        parseMqttConnection({ 'mqtt.server.uri': 'mqtts://h', 'mqtt.ssl.verify.hostname': false }),
        'id',
      );
      expect(o.rejectUnauthorized).toBe(true);
      expect(o.checkServerIdentity?.('h', {} as never)).toBeUndefined();
    });

    it('names the key of a TLS file it cannot read', () => {
      expect(() =>
        mqttClientOptions(
          parseMqttConnection({ 'mqtt.server.uri': 'mqtts://h', 'mqtt.ssl.ca': path.join(dir, 'nope.pem') }),
          'id',
        ),
      ).toThrow(/mqtt\.ssl\.ca/);
    });
  });
});

describe('backoffDelayMs', () => {
  it('doubles up to the maximum, with jitter taking off at most 20 %', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelayMs(a, 1000, 5000, () => 0))).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(backoffDelayMs(0, 1000, 5000, () => 1)).toBe(800);
    expect(backoffDelayMs(100, 1000, 5000, () => 0)).toBe(5000);
  });
});
