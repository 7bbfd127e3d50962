import { FerryError } from '../../../runtime/api';
import {
  DEFAULT_LIMITS,
  assertRoomForConnector,
  connectorNameIssues,
  validateConnectorConfig,
  noPipelineHooks,
} from '../../../runtime/config';
import { PluginRegistry } from '../../../runtime/plugins';
import { counterSource, logSink } from './test-plugins';

const registry = new PluginRegistry([counterSource, logSink]);
const base = { name: 'c1', 'connector.class': 'CounterSourceConnector', topic: 't' };

function errorsOn(infos: ReturnType<typeof validateConnectorConfig>, key: string): string[] {
  return infos.configs.find((c) => c.value.name === key)?.value.errors ?? [];
}

describe('connector limits', () => {
  it('accepts Connect-style names of letters, digits, ".", "_" and "-" up to 200 characters', () => {
    expect(connectorNameIssues('mqtt-in_2.eu')).toEqual([]);
    expect(connectorNameIssues('a'.repeat(200))).toEqual([]);
  });

  it('refuses longer names, and characters that mean something in keys, URLs, group ids or MQTT filters', () => {
    expect(connectorNameIssues('a'.repeat(201))).toEqual([
      { key: 'name', message: 'Connector name is 201 characters long; at most 200 are allowed' },
    ]);
    for (const bad of ['a/b', 'a b', 'a+b', 'a#b', '$share', 'a:b', 'naïve']) {
      const issues = connectorNameIssues(bad);
      expect(issues).toHaveLength(1);
      expect(issues[0]?.message).toMatch(/may only contain letters, digits, "\.", "_" and "-"; it contains/);
    }
  });

  it('shows name and tasks.max problems on their fields when a config is validated', () => {
    const limits = { ...DEFAULT_LIMITS, tasksMax: 4 };
    const infos = validateConnectorConfig(
      registry,
      { ...base, name: 'x'.repeat(300), 'tasks.max': '5' },
      { ...noPipelineHooks, limits },
    );
    expect(infos.error_count).toBe(2);
    expect(errorsOn(infos, 'name')).toEqual(['Connector name is 300 characters long; at most 200 are allowed']);
    expect(errorsOn(infos, 'tasks.max')[0]).toMatch(/at most 4 tasks are allowed \(worker setting limits.tasks.max\)/);
    expect(
      validateConnectorConfig(registry, { ...base, 'tasks.max': '4' }, { ...noPipelineHooks, limits }).error_count,
    ).toBe(0);
  });

  it('uses the default limits when the worker gives none', () => {
    expect(errorsOn(validateConnectorConfig(registry, { ...base, 'tasks.max': '10000000' }), 'tasks.max')).toHaveLength(
      1,
    );
    expect(validateConnectorConfig(registry, { ...base, 'tasks.max': '64' }).error_count).toBe(0);
  });

  it('refuses one connector more than limits.connectors.max allows', () => {
    const limits = { ...DEFAULT_LIMITS, connectorsMax: 2 };
    expect(() => assertRoomForConnector(1, limits)).not.toThrow();
    expect(() => assertRoomForConnector(2, limits)).toThrow(FerryError);
    expect(() => assertRoomForConnector(2, limits)).toThrow(/limits.connectors.max = 2/);
  });
});
