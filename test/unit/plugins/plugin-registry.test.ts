import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginRegistry } from '../../../runtime/plugins';
import { counterSource, logSink } from '../config/test-plugins';
import { recordingLogger } from '../../helpers/logger';

const pluginModule = (className: string, type: 'source' | 'sink'): string => `
const noop = () => Promise.resolve();
module.exports = {
  className: '${className}',
  type: '${type}',
  version: '9.9.9',
  config: { type: 'object', properties: {} },
  createConnector: () => ({ start: noop, stop: noop, taskConfigs: () => [] }),
  createTask: () => ({ start: noop, stop: noop }),
};`;

describe('PluginRegistry', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-plugins-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds a plugin by class name, alias, simple name and name without "Connector"', () => {
    const r = new PluginRegistry([counterSource, logSink]);
    expect(r.find('CounterSourceConnector')).toBe(counterSource);
    expect(r.find('io.ferry.test.CounterSourceConnector')).toBe(counterSource);
    expect(r.find('CounterSource')).toBe(counterSource);
    expect(r.find('io.ferry.test.LogSinkConnector')).toBe(logSink);
    expect(r.find('LogSinkConnector')).toBe(logSink);
    expect(r.find('LogSink')).toBe(logSink);
    expect(r.find('Nope')).toBeUndefined();
    expect(r.connectorPlugins().map((p) => p.className)).toEqual([
      'CounterSourceConnector',
      'io.ferry.test.LogSinkConnector',
    ]);
  });

  it('drops a derived short name two plugins share', () => {
    const a = { ...logSink, className: 'a.DupConnector' };
    const b = { ...logSink, className: 'b.DupConnector' };
    const r = new PluginRegistry([a, b]);
    expect(r.find('DupConnector')).toBeUndefined();
    expect(r.find('Dup')).toBeUndefined();
    expect(r.find('a.DupConnector')).toBe(a);
  });

  it('loads plugin modules from a folder and skips broken ones without throwing', () => {
    writeFileSync(join(dir, 'good.js'), pluginModule('org.example.GoodSourceConnector', 'source'));
    writeFileSync(
      join(dir, 'named.js'),
      pluginModule('org.example.NamedSinkConnector', 'sink').replace('module.exports =', 'exports.sink ='),
    );
    mkdirSync(join(dir, 'pkg'));
    writeFileSync(join(dir, 'pkg', 'index.js'), pluginModule('org.example.PackagedSourceConnector', 'source'));
    writeFileSync(join(dir, 'broken.js'), 'throw new Error("kaput at load");');
    writeFileSync(join(dir, 'syntax.js'), 'module.exports = {');
    writeFileSync(join(dir, 'empty.js'), 'module.exports = { nothing: 1 };');
    writeFileSync(join(dir, 'dup.js'), pluginModule('CounterSourceConnector', 'source'));
    writeFileSync(join(dir, 'README.md'), '# not a module');

    const r = new PluginRegistry([counterSource]);
    const logger = recordingLogger();
    const report = r.loadPluginPath([dir, join(dir, 'missing')], logger);

    expect(report.loaded.sort()).toEqual([
      'org.example.GoodSourceConnector',
      'org.example.NamedSinkConnector',
      'org.example.PackagedSourceConnector',
    ]);
    expect(report.failed.map((f) => f.path.slice(dir.length + 1)).sort()).toEqual([
      'broken.js',
      'dup.js',
      'empty.js',
      'missing',
      'syntax.js',
    ]);
    expect(report.failed.find((f) => f.path.endsWith('broken.js'))?.error).toContain('kaput at load');
    expect(r.find('GoodSource')?.version).toBe('9.9.9');
    expect(r.find('NamedSinkConnector')?.type).toBe('sink');
    // The built-in keeps its name; the module that reused it was skipped.
    expect(r.find('CounterSourceConnector')).toBe(counterSource);
    expect(logger.lines.filter((l) => l.level === 'error').length).toBe(3);
  });
});
