import Module from 'node:module';
import { quietDebugLoggers } from '../../../runtime/quiet-debug';

// Node's own require (not Jest's module registry): the one mqtt-packet and mqtt.js load `debug` through.
const nodeRequire = Module.createRequire(__filename);
type Logger = ((...args: unknown[]) => unknown) & { enabled: boolean; namespace: string };
type CreateDebug = ((namespace: string) => Logger) & { enable(ns: string): void; disable(): string };

describe('quietDebugLoggers', () => {
  it('leaves debug alone when DEBUG is set', () => {
    expect(quietDebugLoggers({ DEBUG: 'mqttjs*' })).toBe(false);
  });

  it('makes disabled loggers no-ops that do not look at their arguments, and keeps enabled ones', () => {
    expect(quietDebugLoggers({})).toBe(true);
    expect(quietDebugLoggers({})).toBe(true); // idempotent
    const createDebug = nodeRequire('debug') as CreateDebug;
    const off = createDebug('ferry-test:off');
    expect(off.enabled).toBe(false);
    expect(off.namespace).toBe('ferry-test:off');
    const arg = {
      get touched(): never {
        throw new Error('a disabled logger formatted its arguments');
      },
    };
    expect(off('%o', arg)).toBeUndefined();
    // A namespace enabled when its logger is created gets the real logger; a quiet one stays quiet (set DEBUG).
    createDebug.enable('ferry-test:on,ferry-test:off');
    try {
      const on = createDebug('ferry-test:on');
      expect(on.enabled).toBe(true);
      const lines: unknown[][] = [];
      (on as unknown as { log: (...a: unknown[]) => void }).log = (...a) => lines.push(a);
      on('hello %s', 'there');
      expect(lines).toHaveLength(1);
      expect(lines[0]?.map(String).join(' ')).toMatch(/ferry-test:on hello %s there/);
      expect(off.enabled).toBe(false);
    } finally {
      createDebug.disable();
    }
  });
});
