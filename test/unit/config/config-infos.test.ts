import { ConfigError, FerryError, type ConfigProperty } from '../../../runtime/api';
import {
  configKeyInfos,
  invalidConfigError,
  resolveForValidation,
  validateConnectorConfig,
  type PipelineHooks,
} from '../../../runtime/config';
import { forgetResolved, rememberResolved } from '../../../runtime/config-providers';
import type { RawConfig } from '../../../runtime/api';
import { PluginRegistry } from '../../../runtime/plugins';
import { counterSource, logSink } from './test-plugins';

const registry = new PluginRegistry([counterSource, logSink]);
const base = { name: 'c1', 'connector.class': 'CounterSourceConnector', topic: 't' };

const transformsType: ConfigProperty = { type: 'string', description: 'Transforms', 'x-group': 'Transforms' };
const hooks: PipelineHooks = {
  validatePipelineConfig: (raw) =>
    raw.transforms === 'bad'
      ? [
          { key: 'transforms', message: 'unknown alias' },
          { key: 'transforms.bad.type', message: 'missing' },
        ]
      : [],
  pipelineConfigKeys: () => [{ key: 'transforms', group: 'Transforms', property: transformsType }],
};
const resolve = (raw: RawConfig): Promise<RawConfig> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === '${env:MISSING}') throw new ConfigError([{ key: k, message: 'env var MISSING is not set' }]);
    out[k] = v === '${env:TOPIC}' ? 'resolved-topic' : v;
  }
  return Promise.resolve(out);
};
const validateResolved = async (raw: RawConfig): Promise<ReturnType<typeof validateConnectorConfig>> =>
  validateConnectorConfig(registry, raw, hooks, await resolveForValidation(resolve, raw));

describe('validateConnectorConfig', () => {
  it("builds Connect's ConfigInfos body", () => {
    const infos = validateConnectorConfig(registry, { ...base, 'api.password': 'hunter2' }, hooks);
    expect(infos.name).toBe('CounterSourceConnector');
    expect(infos.error_count).toBe(0);
    expect(infos.groups).toEqual(['Common', 'Transforms', 'Topic Creation', 'Exactly Once Support', 'Counter']);
    const byName = Object.fromEntries(infos.configs.map((c) => [c.definition.name, c]));
    expect(byName['tasks.max']?.definition).toEqual({
      name: 'tasks.max',
      type: 'INT',
      required: false,
      default_value: '1',
      importance: 'HIGH',
      documentation: 'Maximum number of tasks to use for this connector.',
      group: 'Common',
      order: 3,
      width: 'SHORT',
      display_name: 'Tasks max',
      dependents: [],
    });
    expect(byName['tasks.max']?.value).toEqual({
      name: 'tasks.max',
      value: '1',
      recommended_values: [],
      errors: [],
      visible: true,
    });
    expect(byName['api.password']?.value.value).toBe('[hidden]');
    expect(byName['api.password']?.definition.type).toBe('PASSWORD');
    expect(byName.mode?.value.recommended_values).toEqual(['up', 'down']);
    expect(JSON.stringify(infos)).not.toContain('hunter2');
  });

  it('counts every error, including pipeline issues on keys with no definition', () => {
    const infos = validateConnectorConfig(registry, { ...base, 'tasks.max': 'x', transforms: 'bad' }, hooks);
    expect(infos.error_count).toBe(3);
    const errors = Object.fromEntries(infos.configs.map((c) => [c.value.name, c.value.errors]));
    expect(errors['tasks.max']).toEqual(['Invalid value x for configuration tasks.max: Not a number of type INT']);
    expect(errors.transforms).toEqual(['unknown alias']);
    expect(errors['transforms.bad.type']).toEqual(['missing']);
  });

  it('checks resolved placeholders but shows them unresolved', async () => {
    const infos = await validateResolved({ ...base, topic: '${env:TOPIC}', 'api.password': '${env:PW}' });
    expect(infos.error_count).toBe(0);
    const values = Object.fromEntries(infos.configs.map((c) => [c.value.name, c.value.value]));
    expect(values.topic).toBe('${env:TOPIC}');
    expect(values['api.password']).toBe('${env:PW}');
    const failed = await validateResolved({ ...base, topic: '${env:MISSING}' });
    expect(failed.configs.find((c) => c.value.name === 'topic')?.value.errors).toEqual(['env var MISSING is not set']);
  });

  it('never quotes a resolved value in an error message, whole or in part', () => {
    rememberResolved('root:x:0:0:root:/root:/bin/bash');
    try {
      const infos = validateConnectorConfig(registry, { ...base, 'tasks.max': '${file:/etc/passwd:root}' }, hooks, {
        resolved: { ...base, 'tasks.max': 'root:x:0:0:root:/root:/bin/bash' },
        issues: [{ key: 'topic', message: 'Unexpected token, "root:x:0:0:"... is not valid JSON' }],
      });
      const text = JSON.stringify(infos);
      expect(infos.error_count).toBeGreaterThan(0);
      expect(text).not.toContain('root:x:0');
      expect(text).toContain('[hidden]');
    } finally {
      forgetResolved();
    }
  });

  it('answers BAD_REQUEST for a missing or unknown connector class', () => {
    expect(() => validateConnectorConfig(registry, { name: 'x' })).toThrow(/contains no connector type/);
    try {
      validateConnectorConfig(registry, { name: 'x', 'connector.class': 'Nope' });
      throw new Error('not thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(FerryError);
      expect((err as FerryError).code).toBe('BAD_REQUEST');
      expect((err as FerryError).message).toMatch(/Nope.*CounterSourceConnector, io.ferry.test.LogSinkConnector/);
    }
  });

  it('finds plugins by alias and short name', () => {
    expect(validateConnectorConfig(registry, { ...base, 'connector.class': 'CounterSource' }).name).toBe(
      'CounterSourceConnector',
    );
    expect(
      validateConnectorConfig(registry, { name: 'k', 'connector.class': 'LogSink', topics: 't' }).error_count,
    ).toBe(0);
  });

  it('turns errors into a 400 message listing every bad key', () => {
    const err = invalidConfigError(validateConnectorConfig(registry, { ...base, 'tasks.max': '0', mode: 'x' }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(/^Connector configuration is invalid and contains the following 2 error\(s\): /);
    expect(err.message).toContain('tasks.max: ');
    expect(err.message).toContain('mode: ');
  });
});

describe('configKeyInfos', () => {
  it("lists the plugin's keys with Connect types derived from the JSON Schema", () => {
    const infos = configKeyInfos(counterSource);
    const types = Object.fromEntries(infos.map((i) => [i.name, i.type]));
    expect(types).toEqual({
      topic: 'STRING',
      'interval.ms': 'INT',
      ratio: 'DOUBLE',
      'fast.enabled': 'BOOLEAN',
      labels: 'LIST',
      mode: 'STRING',
      'api.password': 'PASSWORD',
      'max.count': 'LONG',
    });
    const byName = Object.fromEntries(infos.map((i) => [i.name, i]));
    expect(byName.topic).toMatchObject({
      required: true,
      default_value: null,
      group: 'Counter',
      order: 1,
      importance: 'HIGH',
    });
    expect(byName['interval.ms']).toMatchObject({ required: false, default_value: '1000', order: 2 });
    expect(byName.labels?.default_value).toBe('a,b');
    expect(byName.ratio).toMatchObject({ group: null, order: -1, importance: 'MEDIUM', display_name: 'ratio' });
  });

  it('adds the common and pipeline keys with scope all', () => {
    const names = configKeyInfos(logSink, hooks, 'all').map((i) => i.name);
    expect(names).toEqual(['name', 'connector.class', 'tasks.max', 'topics', 'topics.regex', 'transforms', 'prefix']);
  });
});
