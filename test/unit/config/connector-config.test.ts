import { ajv, parseConnectorConfig, parseTaskConfig } from '../../../runtime/config';
import type { ConnectorPlugin } from '../../../runtime/api';
import { counterSource, logSink } from './test-plugins';

const base = { name: 'c1', 'connector.class': 'CounterSourceConnector', topic: 't' };

function issuesOf(plugin: ConnectorPlugin, raw: Record<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const i of parseConnectorConfig(plugin, raw).issues) (out[i.key] ??= []).push(i.message);
  return out;
}

describe('parseConnectorConfig', () => {
  it('coerces Connect strings and applies defaults', () => {
    const { values, issues } = parseConnectorConfig(counterSource, {
      ...base,
      'tasks.max': '3',
      'interval.ms': ' 250 ',
      ratio: '0.25',
      'fast.enabled': 'TRUE',
      labels: 'x, y,,z',
      extra: 'kept',
    });
    expect(issues).toEqual([]);
    expect(values).toMatchObject({
      'tasks.max': 3,
      'interval.ms': 250,
      ratio: 0.25,
      'fast.enabled': true,
      labels: ['x', 'y', 'z'],
      mode: 'up',
      extra: 'kept',
    });
  });

  it('uses defaults for absent keys and for "" on typed keys', () => {
    const { values, issues } = parseConnectorConfig(counterSource, { ...base, 'interval.ms': '' });
    expect(issues).toEqual([]);
    expect(values).toMatchObject({
      'tasks.max': 1,
      'interval.ms': 1000,
      ratio: 0.5,
      'fast.enabled': false,
      labels: ['a', 'b'],
    });
    expect(values['max.count']).toBeUndefined();
  });

  it('names the key in every issue, worded like Connect', () => {
    const issues = issuesOf(counterSource, {
      'connector.class': 'CounterSourceConnector',
      'tasks.max': 'x',
      'interval.ms': '0',
      ratio: 'half',
      'fast.enabled': 'yes',
      mode: 'sideways',
    });
    expect(issues.name).toEqual(['Missing required configuration "name" which has no default value.']);
    expect(issues.topic).toEqual(['Missing required configuration "topic" which has no default value.']);
    expect(issues['tasks.max']).toEqual(['Invalid value x for configuration tasks.max: Not a number of type INT']);
    expect(issues['interval.ms']).toEqual(['Invalid value 0 for configuration interval.ms: Value must be at least 1']);
    expect(issues.ratio).toEqual(['Invalid value half for configuration ratio: Not a number of type DOUBLE']);
    expect(issues['fast.enabled']).toEqual([
      'Invalid value yes for configuration fast.enabled: Expected value to be either true or false',
    ]);
    expect(issues.mode).toEqual(['Invalid value sideways for configuration mode: String must be one of: up, down']);
  });

  it('never shows a secret value in a message', () => {
    const plugin: ConnectorPlugin = {
      ...counterSource,
      config: {
        type: 'object',
        properties: { 'api.password': { type: 'string', minLength: 12, description: 'p', 'x-secret': true } },
      },
    };
    const { issues } = parseConnectorConfig(plugin, { ...base, 'api.password': 'hunter2' });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.key).toBe('api.password');
    expect(issues[0]?.message).toContain('[hidden]');
    expect(issues[0]?.message).not.toContain('hunter2');
  });

  it('rejects tasks.max below 1 and bad names', () => {
    expect(issuesOf(counterSource, { ...base, 'tasks.max': '0' })['tasks.max']).toEqual([
      'Invalid value 0 for configuration tasks.max: Value must be at least 1',
    ]);
    expect(issuesOf(counterSource, { ...base, name: '  ' }).name).toEqual(['Connector name must not be empty']);
    expect(issuesOf(counterSource, { ...base, name: 'a\u0007b' }).name).toEqual([
      'Connector name must not contain ISO control characters',
    ]);
  });

  it('requires exactly one of topics and topics.regex for sinks, and a regex that compiles', () => {
    const sink = { name: 'k', 'connector.class': logSink.className };
    expect(parseConnectorConfig(logSink, { ...sink, topics: 'a,b' }).values.topics).toEqual(['a', 'b']);
    expect(parseConnectorConfig(logSink, { ...sink, 'topics.regex': 'a.*' }).issues).toEqual([]);
    const neither = issuesOf(logSink, sink);
    expect(neither.topics).toEqual(['Must configure one of topics or topics.regex']);
    expect(neither['topics.regex']).toEqual(['Must configure one of topics or topics.regex']);
    const both = issuesOf(logSink, { ...sink, topics: 'a', 'topics.regex': 'b' });
    expect(both.topics?.[0]).toMatch(/mutually exclusive/);
    expect(both['topics.regex']?.[0]).toMatch(/mutually exclusive/);
    expect(issuesOf(logSink, { ...sink, 'topics.regex': '(' })['topics.regex']?.[0]).toMatch(
      /not a valid regular expression/,
    );
  });

  it('checks topic creation settings of sources (-1 = broker default)', () => {
    const ok = parseConnectorConfig(counterSource, {
      ...base,
      'topic.creation.default.partitions': '-1',
      'topic.creation.default.replication.factor': '3',
    });
    expect(ok.issues).toEqual([]);
    expect(ok.values['topic.creation.default.partitions']).toBe(-1);
    const bad = issuesOf(counterSource, { ...base, 'topic.creation.default.partitions': '0' });
    expect(bad['topic.creation.default.partitions']?.[0]).toMatch(/-1 \(broker default\) or at least 1/);
  });

  it("runs the plugin's cross-key checks only on a config that passed the schema", () => {
    expect(issuesOf(counterSource, { ...base, mode: 'down' })['max.count']).toEqual([
      'max.count is required when mode is down',
    ]);
    const spy = jest.fn(() => []);
    const plugin = { ...counterSource, validate: spy };
    parseConnectorConfig(plugin, { ...base, 'tasks.max': 'x' });
    expect(spy).not.toHaveBeenCalled();
    parseConnectorConfig(plugin, base);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('reports a throwing plugin validator as an issue instead of crashing', () => {
    const plugin: ConnectorPlugin = {
      ...counterSource,
      validate: () => {
        throw new Error('boom');
      },
    };
    expect(parseConnectorConfig(plugin, base).issues).toEqual([
      { key: 'connector.class', message: 'CounterSourceConnector failed to validate the configuration: boom' },
    ]);
  });

  it('reports a plugin schema ajv cannot compile as an issue', () => {
    const plugin = {
      ...counterSource,
      config: { type: 'object', properties: { x: { type: 'string', pattern: '(', description: '' } } },
    } as ConnectorPlugin;
    const { issues } = parseConnectorConfig(plugin, base);
    expect(issues[0]?.key).toBe('connector.class');
    expect(issues[0]?.message).toMatch(/invalid configuration schema/);
  });

  it('compiles a plugin schema once', () => {
    const plugin = { ...logSink };
    const spy = jest.spyOn(ajv, 'compile');
    try {
      parseConnectorConfig(plugin, { name: 'a', 'connector.class': 'x', topics: 't' });
      parseConnectorConfig(plugin, { name: 'b', 'connector.class': 'x', topics: 't' });
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('parses task configs without the connector-level keys', () => {
    const { values, issues } = parseTaskConfig(counterSource, { topic: 't', 'interval.ms': '5' });
    expect(issues).toEqual([]);
    expect(values['interval.ms']).toBe(5);
  });
});
