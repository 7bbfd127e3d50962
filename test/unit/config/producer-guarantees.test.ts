import { ConfigError, type ConnectorPlugin } from '../../../runtime/api';
import { parseConnectorConfig, parseWorkerConfig } from '../../../runtime/config';
import { counterSource, logSink } from './test-plugins';

const registry = { FERRY_SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7' };

function workerIssues(file: Record<string, unknown>): Record<string, string> {
  try {
    parseWorkerConfig(file, registry);
  } catch (err) {
    if (err instanceof ConfigError) return Object.fromEntries(err.issues.map((i) => [i.key, i.message]));
    throw err;
  }
  return {};
}

function connectorIssues(raw: Record<string, string>, plugin: ConnectorPlugin = counterSource): Record<string, string> {
  const base = { name: 'c1', 'connector.class': plugin.className, topic: 't', topics: 't' };
  return Object.fromEntries(parseConnectorConfig(plugin, { ...base, ...raw }).issues.map((i) => [i.key, i.message]));
}

describe('producer overrides that would break the delivery guarantee', () => {
  it('the worker refuses them at start, naming each key', () => {
    const issues = workerIssues({
      'producer.enable.idempotence': false,
      'producer.acks': '1',
      'producer.max.in.flight.requests.per.connection': 6,
      'producer.message.send.max.retries': 0,
      'producer.transactional.id': 'x',
    });
    expect(Object.keys(issues).sort()).toEqual([
      'producer.acks',
      'producer.enable.idempotence',
      'producer.max.in.flight.requests.per.connection',
      'producer.message.send.max.retries',
      'producer.transactional.id',
    ]);
    expect(issues['producer.enable.idempotence']).toMatch(/must stay true.*got 'false'/);
    expect(issues['producer.acks']).toMatch(/must be all \(or -1\).*got '1'/);
    expect(issues['producer.max.in.flight.requests.per.connection']).toMatch(/from 1 to 5.*got '6'/);
    expect(() => parseWorkerConfig({ 'producer.request.required.acks': 0 }, registry)).toThrow(
      /Invalid worker configuration: producer\.request\.required\.acks: must be all/,
    );
  });

  it('the worker keeps settings that keep the guarantee', () => {
    const c = parseWorkerConfig(
      {
        'producer.enable.idempotence': 'TRUE',
        'producer.acks': 'all',
        'producer.request.required.acks': -1,
        'producer.max.in.flight': 5,
        'producer.retries': 3,
        'producer.linger.ms': 5,
      },
      registry,
    );
    expect(c.producerOverrides).toMatchObject({ acks: 'all', 'max.in.flight': '5', 'linger.ms': '5' });
  });

  it('a connector refuses them as producer.override.*, for sources and sinks (dead letters)', () => {
    expect(connectorIssues({ 'producer.override.enable.idempotence': 'false', 'producer.override.acks': '0' })).toEqual(
      {
        'producer.override.enable.idempotence': expect.stringMatching(/must stay true/),
        'producer.override.acks': expect.stringMatching(/must be all/),
      },
    );
    expect(connectorIssues({ 'producer.override.max.in.flight': '10' }, logSink)).toEqual({
      'producer.override.max.in.flight': expect.stringMatching(/from 1 to 5/),
    });
    expect(connectorIssues({ 'producer.override.acks': '-1', 'producer.override.linger.ms': '9' })).toEqual({});
  });
});
