import { ConfigError } from '../../../runtime/api';
import { keepHiddenSecrets, maskSecrets, secretKeys, workerSettingsFor } from '../../../runtime/config';
import { counterSource } from './test-plugins';

describe('secrets', () => {
  const stored = {
    name: 'c1',
    'api.password': 'hunter2',
    'value.converter.basic.auth.user.info': 'u:p',
    'mqtt.password': '${file:/etc/ferry/secrets.properties:mqtt.password}',
    'producer.ssl.key.password': 'k',
    'oauth.token': 't0k',
    'some.secret': 's',
    topic: 'visible',
  };

  it('finds x-secret keys and secret-looking names', () => {
    expect([...secretKeys(counterSource, stored)].sort()).toEqual([
      'api.password',
      'mqtt.password',
      'oauth.token',
      'producer.ssl.key.password',
      'some.secret',
      'value.converter.basic.auth.user.info',
    ]);
  });

  it('masks secrets but shows placeholders', () => {
    const masked = maskSecrets(counterSource, stored);
    expect(masked).toEqual({
      name: 'c1',
      'api.password': '[hidden]',
      'value.converter.basic.auth.user.info': '[hidden]',
      'mqtt.password': '${file:/etc/ferry/secrets.properties:mqtt.password}',
      'producer.ssl.key.password': '[hidden]',
      'oauth.token': '[hidden]',
      'some.secret': '[hidden]',
      topic: 'visible',
    });
  });

  it('keeps the stored value when a masked config is sent back', () => {
    const incoming = { ...maskSecrets(counterSource, stored), topic: 'changed' };
    expect(keepHiddenSecrets(counterSource, stored, incoming)).toEqual({ ...stored, topic: 'changed' });
  });

  it('takes "[hidden]" literally for a key that is not a secret', () => {
    expect(keepHiddenSecrets(counterSource, stored, { topic: '[hidden]' })).toEqual({ topic: '[hidden]' });
  });

  it('reports "[hidden]" for a secret with no stored value, naming the key', () => {
    expect(() =>
      keepHiddenSecrets(counterSource, undefined, { 'api.password': '[hidden]', 'x.token': '[hidden]' }),
    ).toThrow(ConfigError);
    try {
      keepHiddenSecrets(counterSource, { name: 'c1' }, { 'api.password': '[hidden]' });
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => i.key)).toEqual(['api.password']);
    }
    expect.assertions(2);
  });

  it('passes null values of a PATCH through', () => {
    expect(keepHiddenSecrets(counterSource, stored, { 'api.password': null, topic: 'x' })).toEqual({
      'api.password': null,
      topic: 'x',
    });
  });

  describe('a stored secret stays with its endpoint', () => {
    const mqtt = {
      name: 'm1',
      'mqtt.server.uri': 'mqtt://broker.internal:1883',
      'mqtt.username': 'ferry',
      'mqtt.password': 'broker-pw',
      'value.converter.schema.registry.url': 'http://registry.internal:8081',
      'value.converter.basic.auth.user.info': 'reg:pw',
    };
    const keysRefused = (fn: () => unknown): string[] => {
      try {
        fn();
      } catch (err) {
        return (err as ConfigError).issues.map((i) => i.key);
      }
      return [];
    };

    it('keeps "[hidden]" while the endpoint is unchanged, refuses it once the endpoint moves', () => {
      const masked = maskSecrets(counterSource, mqtt);
      expect(keepHiddenSecrets(counterSource, mqtt, masked)).toEqual(mqtt);
      const moved = { ...masked, 'mqtt.server.uri': 'mqtt://attacker.example:1883' };
      expect(keysRefused(() => keepHiddenSecrets(counterSource, mqtt, moved))).toEqual(['mqtt.password']);
      const registryMoved = { ...masked, 'value.converter.schema.registry.url': 'http://attacker.example' };
      expect(keysRefused(() => keepHiddenSecrets(counterSource, mqtt, registryMoved))).toEqual([
        'value.converter.basic.auth.user.info',
      ]);
      // With the real value the move is the caller's own business.
      expect(keepHiddenSecrets(counterSource, mqtt, { ...moved, 'mqtt.password': 'new-pw' })['mqtt.password']).toBe(
        'new-pw',
      );
    });

    it('refuses a PATCH that moves an endpoint its stored secrets would follow', () => {
      const patch = { 'mqtt.server.uri': 'mqtt://attacker.example:1883' };
      try {
        keepHiddenSecrets(counterSource, mqtt, patch, 'patch');
        throw new Error('accepted');
      } catch (err) {
        expect((err as ConfigError).issues).toEqual([
          {
            key: 'mqtt.password',
            message:
              'the stored secret is kept only while mqtt.server.uri is unchanged; send the real value of mqtt.password with the new mqtt.server.uri',
          },
        ]);
      }
      expect(
        keysRefused(() => keepHiddenSecrets(counterSource, mqtt, { ...patch, 'mqtt.password': '[hidden]' }, 'patch')),
      ).toEqual(['mqtt.password']);
      expect(keepHiddenSecrets(counterSource, mqtt, { ...patch, 'mqtt.password': 'new' }, 'patch')).toEqual({
        ...patch,
        'mqtt.password': 'new',
      });
      expect(keepHiddenSecrets(counterSource, mqtt, { 'mqtt.qos': '2' }, 'patch')).toEqual({ 'mqtt.qos': '2' });
    });
  });

  it("gives a connector the worker's registry credentials only for the worker's registry", () => {
    const worker = {
      'schema.registry.url': 'http://registry:8081',
      'basic.auth.user.info': 'w:pw',
      'auto.register.schemas': 'true',
    };
    expect(workerSettingsFor(worker, {})).toEqual(worker);
    expect(workerSettingsFor(worker, { 'schema.registry.url': 'http://registry:8081' })).toEqual(worker);
    expect(workerSettingsFor(worker, { 'schema.registry.url': 'http://attacker:8081' })).toEqual({
      'schema.registry.url': 'http://registry:8081',
      'auto.register.schemas': 'true',
    });
  });
});
