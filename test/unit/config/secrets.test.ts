import { ConfigError } from '../../../runtime/api';
import { keepHiddenSecrets, maskSecrets, secretKeys } from '../../../runtime/config';
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
});
