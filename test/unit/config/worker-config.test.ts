import { ConfigError } from '../../../runtime/api';
import { parseWorkerConfig, unusedFerryEnv } from '../../../runtime/config';

const registry = { FERRY_SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7' };

function issuesOf(file: unknown, env: NodeJS.ProcessEnv): { key: string; message: string }[] {
  try {
    parseWorkerConfig(file, env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseWorkerConfig', () => {
  it('applies Connect-like defaults', () => {
    const c = parseWorkerConfig(undefined, registry);
    expect(c).toMatchObject({
      bootstrapServers: 'localhost:9092',
      groupId: 'connect-cluster',
      restHost: '127.0.0.1',
      restPort: 8083,
      advertisedHost: '127.0.0.1',
      advertisedPort: 8083,
      configTopic: 'connect-configs',
      offsetsTopic: 'connect-offsets',
      statusTopic: 'connect-status',
      offsetsPartitions: 25,
      statusPartitions: 5,
      replicationFactor: 1,
      pluginPath: [],
      offsetFlushIntervalMs: 1000,
      shutdownTimeoutMs: 5000,
      sessionTimeoutMs: 8000,
      heartbeatIntervalMs: 1000,
      logLevel: 'info',
      producerOverrides: {},
      consumerOverrides: {},
      adminOverrides: {},
      restMaxBodyBytes: 1048576,
      restAllowedHosts: [],
    });
    expect(c.restAuth).toBeUndefined();
    expect(c.restTls).toBeUndefined();
    expect(c.converterDefaults).toEqual({
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'io.confluent.connect.avro.AvroConverter',
      'key.converter.schema.registry.url': registry.FERRY_SCHEMA_REGISTRY_URL,
      'value.converter.schema.registry.url': registry.FERRY_SCHEMA_REGISTRY_URL,
    });
  });

  it('reads Connect-style keys from the file, strings or numbers, nested or flat', () => {
    const c = parseWorkerConfig(
      {
        'bootstrap.servers': '127.0.0.1:9092',
        'group.id': 'g1',
        'rest.host.name': '127.0.0.1',
        'rest.port': '18083',
        'offset.storage.partitions': 3,
        'status.storage.replication.factor': '-1',
        'config.storage.replication.factor': 2,
        'plugin.path': '/a, /b',
        'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'value.converter.schemas.enable': false,
        'schema.registry.url': 'http://127.0.0.1:8081',
        producer: { 'linger.ms': 5 },
        'consumer.fetch.min.bytes': '1',
        'admin.request.timeout.ms': 100,
        'log.level': 'DEBUG',
      },
      {},
    );
    expect(c).toMatchObject({
      bootstrapServers: '127.0.0.1:9092',
      groupId: 'g1',
      restHost: '127.0.0.1',
      restPort: 18083,
      advertisedHost: '127.0.0.1',
      advertisedPort: 18083,
      offsetsPartitions: 3,
      statusReplicationFactor: -1,
      configReplicationFactor: 2,
      replicationFactor: 2,
      pluginPath: ['/a', '/b'],
      producerOverrides: { 'linger.ms': '5' },
      consumerOverrides: { 'fetch.min.bytes': '1' },
      adminOverrides: { 'request.timeout.ms': '100' },
      logLevel: 'debug',
      schemaRegistryUrl: 'http://127.0.0.1:8081',
    });
    expect(c.converterDefaults).toEqual({
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
      'key.converter.schema.registry.url': 'http://127.0.0.1:8081',
      'value.converter.schema.registry.url': 'http://127.0.0.1:8081',
    });
  });

  it('lets FERRY_* variables override the file, and ignores the ones that are not worker settings', () => {
    const c = parseWorkerConfig(
      { 'rest.port': 1, 'group.id': 'from-file', 'offset.flush.interval.ms': 10 },
      {
        ...registry,
        FERRY_KAFKA_BOOTSTRAP: '127.0.0.1:9092',
        FERRY_REST_PORT: '18084',
        FERRY_REST_HOST: '127.0.0.1',
        FERRY_ADVERTISED_HOST: 'worker-1',
        FERRY_ADVERTISED_PORT: '80',
        FERRY_GROUP_ID: 'from-env',
        FERRY_PLUGIN_PATH: '/p1,/p2',
        FERRY_LOG_LEVEL: 'WARN',
        FERRY_CONFIG_TOPIC: 'cfg',
        FERRY_OFFSETS_TOPIC: 'off',
        FERRY_STATUS_TOPIC: 'st',
        FERRY_OFFSET_FLUSH_INTERVAL_MS: '2500',
        FERRY_PRODUCER_LINGER_MS: '7',
        FERRY_MQTT_URL: 'mqtt://127.0.0.1:1884',
        FERRY_CONNECT_URL: 'http://127.0.0.1:8083',
        FERRY_WHATEVER: 'x',
      },
    );
    expect(c).toMatchObject({
      bootstrapServers: '127.0.0.1:9092',
      restPort: 18084,
      restHost: '127.0.0.1',
      advertisedHost: 'worker-1',
      advertisedPort: 80,
      groupId: 'from-env',
      pluginPath: ['/p1', '/p2'],
      logLevel: 'warn',
      configTopic: 'cfg',
      offsetsTopic: 'off',
      statusTopic: 'st',
      offsetFlushIntervalMs: 2500,
      producerOverrides: { 'linger.ms': '7' },
    });
  });

  it('lists the FERRY_* variables it ignores', () => {
    expect(
      unusedFerryEnv({
        FERRY_MQTT_URL: 'x',
        FERRY_REST_PORT: '1',
        FERRY_RESTPORT: '2',
        FERRY_PRODUCER_ACKS: 'all',
        HOME: '/',
      }),
    ).toEqual(['FERRY_RESTPORT']);
  });

  it('does not count the variables make run and the stack scripts export as misspelt', () => {
    expect(
      unusedFerryEnv({
        FERRY_MQTT_URL: 'mqtt://127.0.0.1:1884',
        FERRY_KAFKA_SASL_USER: 'ferry',
        FERRY_KAFKA_SASL_PASSWORD: 'p',
        FERRY_KAFKA_SASL_BOOTSTRAP: '127.0.0.1:9094',
        FERRY_SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081',
        FERRY_STACK_DIR: '/tmp/s',
        FERRY_KAFKA_BOOTSTRAP: '127.0.0.1:9092',
      }),
    ).toEqual([]);
  });

  it('names the environment variable a bad value came from', () => {
    const issues = issuesOf({}, { ...registry, FERRY_REST_PORT: 'eighty', FERRY_LOG_LEVEL: 'loud' });
    expect(issues).toEqual([
      {
        key: 'rest.port',
        message:
          'Invalid value eighty for configuration rest.port: Not a number of type INT (set by environment variable FERRY_REST_PORT)',
      },
      {
        key: 'log.level',
        message: expect.stringContaining('(set by environment variable FERRY_LOG_LEVEL)'),
      },
    ]);
  });

  it('lists every bad key of the file', () => {
    const issues = issuesOf(
      {
        'rest.port': 70000,
        'offset.storage.partitions': 0,
        'bootstrap.server': 'typo',
        'offset.storage.replication.factor': 0,
      },
      registry,
    );
    expect(issues.map((i) => i.key).sort()).toEqual([
      'bootstrap.server',
      'offset.storage.partitions',
      'offset.storage.replication.factor',
      'rest.port',
    ]);
    expect(issues.find((i) => i.key === 'bootstrap.server')?.message).toBe('unknown worker configuration key');
    expect(issues.find((i) => i.key === 'rest.port')?.message).toBe(
      'Invalid value 70000 for configuration rest.port: Value must be no more than 65535',
    );
  });

  it('refuses an Avro converter without a registry, naming the key', () => {
    const issues = issuesOf({}, {});
    expect(issues).toEqual([
      { key: 'value.converter.schema.registry.url', message: expect.stringMatching(/schema registry/) },
    ]);
  });

  it('refuses a heartbeat not below the session timeout', () => {
    expect(issuesOf({ 'heartbeat.interval.ms': 10000 }, registry)[0]?.key).toBe('heartbeat.interval.ms');
  });

  it('refuses a file that is not an object', () => {
    expect(issuesOf([1, 2], registry)[0]?.key).toBe('(file)');
  });

  it('never prints a secret in an error', () => {
    const issues = issuesOf({ 'producer.sasl.password': { nested: true }, 'bogus.password': 'hunter2' }, registry);
    expect(JSON.stringify(issues)).not.toContain('hunter2');
  });

  describe('REST security settings', () => {
    it('resolves auth, TLS, body limit and allowed hosts, from the file or FERRY_* variables', () => {
      const c = parseWorkerConfig(
        {
          rest: {
            auth: { basic: { file: '/etc/ferry/htpasswd' }, internal: { token: 'internal-0123456789' } },
            ssl: { 'key.file': '/k.pem', 'cert.file': '/c.pem', 'ca.file': '/ca.pem' },
            'allowed.hosts': 'Ferry.example, localhost',
          },
        },
        { ...registry, FERRY_REST_SSL_CLIENT_AUTHENTICATION: 'required', FERRY_REST_MAX_BODY_BYTES: '4096' },
      );
      expect(c.restAuth).toEqual({
        basicFile: '/etc/ferry/htpasswd',
        bearerTokens: [],
        internalToken: 'internal-0123456789',
      });
      expect(c.restTls).toEqual({ keyFile: '/k.pem', certFile: '/c.pem', caFile: '/ca.pem', clientAuth: 'required' });
      expect(c.restMaxBodyBytes).toBe(4096);
      expect(c.restAllowedHosts).toEqual(['ferry.example', 'localhost']);
    });

    it('refuses a half-configured HTTPS listener and client authentication without a CA', () => {
      expect(issuesOf({ 'rest.ssl.key.file': '/k.pem' }, registry)).toEqual([
        { key: 'rest.ssl.cert.file', message: 'must be set with rest.ssl.key.file' },
      ]);
      expect(
        issuesOf(
          { 'rest.ssl.key.file': '/k', 'rest.ssl.cert.file': '/c', 'rest.ssl.client.authentication': 'requested' },
          registry,
        ),
      ).toEqual([{ key: 'rest.ssl.client.authentication', message: expect.stringMatching(/rest\.ssl\.ca\.file/) }]);
    });

    it('never prints a bearer token it refuses', () => {
      const issues = issuesOf({ 'rest.auth.bearer.tokens': 'short-secret-tk' }, registry);
      expect(issues.map((i) => i.key)).toEqual(['rest.auth.bearer.tokens']);
      expect(JSON.stringify(issues)).not.toContain('short-secret-tk');
    });
  });
});
