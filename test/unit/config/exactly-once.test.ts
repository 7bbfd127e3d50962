import { ConfigError } from '../../../runtime/api';
import { noPipelineHooks, sourceDelivery, validateConnectorConfig } from '../../../runtime/config';
import { PluginRegistry } from '../../../runtime/plugins';
import { counterSource, logSink } from './test-plugins';

const registry = new PluginRegistry([counterSource, logSink]);
const base = { name: 'c1', 'connector.class': 'CounterSourceConnector', topic: 't' };

function errorsOn(infos: ReturnType<typeof validateConnectorConfig>, key: string): string[] {
  return infos.configs.find((c) => c.value.name === key)?.value.errors ?? [];
}

describe('exactly-once source settings', () => {
  it('refuses exactly.once.support=required on a worker without exactly-once source support, naming the key', () => {
    const infos = validateConnectorConfig(registry, { ...base, 'exactly.once.support': 'required' }, noPipelineHooks);
    expect(errorsOn(infos, 'exactly.once.support')).toEqual([
      expect.stringMatching(
        /worker does not support exactly-once sources: set the worker setting exactly\.once\.source\.support=enabled/,
      ),
    ]);
    const enabled = { ...noPipelineHooks, exactlyOnceSourceSupport: true };
    const ok = validateConnectorConfig(registry, { ...base, 'exactly.once.support': 'required' }, enabled);
    expect(ok.error_count).toBe(0);
  });

  it('accepts requested anywhere, and refuses values and boundaries Ferry does not know', () => {
    expect(validateConnectorConfig(registry, { ...base, 'exactly.once.support': 'requested' }).error_count).toBe(0);
    const bad = validateConnectorConfig(registry, {
      ...base,
      'exactly.once.support': 'always',
      'transaction.boundary': 'connector',
    });
    expect(errorsOn(bad, 'exactly.once.support')).toHaveLength(1);
    expect(errorsOn(bad, 'transaction.boundary')).toHaveLength(1);
    expect(bad.groups).toContain('Exactly Once Support');
  });

  it("resolves a task's delivery: unset = at-least-once, requested falls back with a reason, required runs transactions", () => {
    expect(sourceDelivery({}, true, 1000)).toEqual({ transactional: false });
    const fallback = sourceDelivery({ 'exactly.once.support': 'requested' }, false, 1000);
    expect(fallback.transactional).toBe(false);
    expect(!fallback.transactional && fallback.fallback).toMatch(/written at-least-once/);
    expect(sourceDelivery({ 'exactly.once.support': 'required' }, true, 1000)).toEqual({
      transactional: true,
      boundary: 'poll',
      intervalMs: 1000,
      maxRecords: 1000,
    });
    expect(
      sourceDelivery(
        {
          'exactly.once.support': 'requested',
          'transaction.boundary': 'interval',
          'transaction.boundary.interval.ms': '250',
          'transaction.max.records': '10',
        },
        true,
        1000,
      ),
    ).toEqual({ transactional: true, boundary: 'interval', intervalMs: 250, maxRecords: 10 });
  });

  it('fails a task whose stored config requires what its worker does not support', () => {
    expect(() => sourceDelivery({ 'exactly.once.support': 'required' }, false, 1000)).toThrow(ConfigError);
    try {
      sourceDelivery({ 'exactly.once.support': 'required' }, false, 1000);
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => i.key)).toEqual(['exactly.once.support']);
    }
  });
});
