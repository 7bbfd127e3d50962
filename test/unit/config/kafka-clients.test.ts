import { ConfigError } from '../../../runtime/api';
import { parseWorkerConfig } from '../../../runtime/config';

const registry = { FERRY_SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7' };
const scram = {
  'security.protocol': 'SASL_PLAINTEXT',
  'sasl.mechanism': 'SCRAM-SHA-256',
  'sasl.username': 'ferry',
  'sasl.password': 'planted-secret-8c1f',
};

function issuesOf(file: unknown, env: NodeJS.ProcessEnv = registry): { key: string; message: string }[] {
  try {
    parseWorkerConfig(file, env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('the worker config: Kafka client settings', () => {
  it('has no security settings by default (librdkafka: plaintext)', () => {
    expect(parseWorkerConfig(undefined, registry).kafkaClients).toEqual({
      bootstrapServers: 'localhost:9092',
      security: {},
      producer: {},
      consumer: {},
      admin: {},
    });
  });

  it('keeps the SASL settings, from the file or from FERRY_* variables, with the protocol in lower case', () => {
    expect(parseWorkerConfig(scram, registry).kafkaClients.security).toEqual({
      ...scram,
      'security.protocol': 'sasl_plaintext',
    });
    const fromEnv = parseWorkerConfig(undefined, {
      ...registry,
      FERRY_SECURITY_PROTOCOL: 'sasl_ssl',
      FERRY_SASL_MECHANISM: 'SCRAM-SHA-512',
      FERRY_SASL_USERNAME: 'u',
      FERRY_SASL_PASSWORD: 'p',
      FERRY_SSL_CA_LOCATION: '/etc/ferry/ca.pem',
    }).kafkaClients.security;
    expect(fromEnv).toEqual({
      'security.protocol': 'sasl_ssl',
      'sasl.mechanism': 'SCRAM-SHA-512',
      'sasl.username': 'u',
      'sasl.password': 'p',
      'ssl.ca.location': '/etc/ferry/ca.pem',
    });
  });

  it('keeps the per-kind overrides apart from the settings every client gets', () => {
    const k = parseWorkerConfig(
      { ...scram, 'producer.linger.ms': '5', 'consumer.sasl.username': 'reader' },
      registry,
    ).kafkaClients;
    expect(k.producer).toEqual({ 'linger.ms': '5' });
    expect(k.consumer).toEqual({ 'sasl.username': 'reader' });
    expect(k.admin).toEqual({});
  });

  it('refuses a SASL protocol without a mechanism, user name or password, naming each key', () => {
    const issues = issuesOf({ 'security.protocol': 'sasl_plaintext', 'sasl.username': 'ferry' });
    expect(issues.map((i) => i.key).sort()).toEqual(['sasl.mechanism', 'sasl.password']);
    expect(issues[0]?.message).toMatch(/required when security.protocol is sasl_plaintext/);
  });

  it('refuses SASL or TLS settings the protocol would ignore', () => {
    const issues = issuesOf({ 'sasl.username': 'ferry', 'ssl.ca.location': '/ca.pem' });
    expect(issues.map((i) => i.key).sort()).toEqual(['sasl.username', 'ssl.ca.location']);
    expect(issues.find((i) => i.key === 'ssl.ca.location')?.message).toMatch(/security.protocol is plaintext/);
  });

  it('refuses a client certificate without its key', () => {
    const issues = issuesOf({ 'security.protocol': 'ssl', 'ssl.certificate.location': '/c.pem' });
    expect(issues).toEqual([expect.objectContaining({ key: 'ssl.key.location' })]);
  });

  it('refuses an unknown mechanism, and never prints the password', () => {
    const issues = issuesOf({ ...scram, 'sasl.mechanism': 'SCRAM-SHA-1', 'sasl.password': 'planted-secret-8c1f' });
    expect(issues.map((i) => i.key)).toContain('sasl.mechanism');
    expect(JSON.stringify(issues)).not.toContain('planted-secret-8c1f');
    const typed = issuesOf({ ...scram, 'sasl.password': ['planted-secret-8c1f'] });
    expect(typed.map((i) => i.key)).toEqual(['sasl.password']);
    expect(JSON.stringify(typed)).not.toContain('planted-secret-8c1f');
  });
});
