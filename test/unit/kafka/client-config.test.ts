import { parseWorkerConfig } from '../../../runtime/config';
import { kafkaClientConfig } from '../../../runtime/kafka';

const settings = parseWorkerConfig(
  {
    'bootstrap.servers': 'k1:9094',
    'security.protocol': 'sasl_plaintext',
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.username': 'ferry',
    'sasl.password': 's3cret',
    'producer.linger.ms': '7',
    'consumer.sasl.username': 'reader',
  },
  { FERRY_SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081' },
).kafkaClients;

describe('kafkaClientConfig', () => {
  it('gives every kind of client the bootstrap servers and the security settings', () => {
    for (const kind of ['producer', 'consumer', 'admin'] as const) {
      expect(kafkaClientConfig(settings, kind)).toMatchObject({
        'bootstrap.servers': 'k1:9094',
        'security.protocol': 'sasl_plaintext',
        'sasl.mechanism': 'SCRAM-SHA-512',
        'sasl.password': 's3cret',
      });
    }
  });

  it('applies defaults, then security, then the kind’s overrides, then what the caller requires', () => {
    const c = kafkaClientConfig(settings, 'producer', {
      defaults: { 'linger.ms': 0, 'client.id': 'w1', 'sasl.username': 'ignored' },
      required: { partitioner: 'murmur2_random' },
    });
    expect(c).toMatchObject({
      'linger.ms': '7',
      'client.id': 'w1',
      'sasl.username': 'ferry',
      partitioner: 'murmur2_random',
    });
    expect(kafkaClientConfig(settings, 'consumer')['sasl.username']).toBe('reader');
    expect(kafkaClientConfig(settings, 'admin')).not.toHaveProperty('linger.ms');
    expect(kafkaClientConfig(settings, 'producer', { required: { 'linger.ms': 0 } })['linger.ms']).toBe(0);
  });
});
