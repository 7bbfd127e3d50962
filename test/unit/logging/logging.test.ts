import { Writable } from 'node:stream';
import { LoggerRegistry, createRootLogger } from '../../../runtime/logging';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const text = (): string => chunks.join('');
  return {
    stream,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createRootLogger', () => {
  it('never writes a secret from a logged config, at any depth', () => {
    const out = capture();
    const logger = createRootLogger('debug', out.stream);
    logger.info(
      {
        connector: 'c1',
        config: {
          'mqtt.password': 'pw-one',
          'value.converter.basic.auth.user.info': 'user:pw-two',
          'mqtt.server.uri': 'mqtt://bob:pw-three@127.0.0.1:1884',
          nested: { deeper: { 'sasl.jaas.config': 'pw-four', token: 'pw-five', list: [{ apiKey: 'pw-six' }] } },
          topic: 'visible-topic',
        },
        password: 'pw-seven',
      },
      'connector config',
    );
    logger.child({ task: 0 }).warn({ 'client.secret': 'pw-eight' }, 'child');
    const text = out.text();
    for (let i = 0; i < 8; i++) {
      expect(text).not.toContain(`pw-${['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'][i]}`);
    }
    expect(text).toContain('visible-topic');
    expect(text).toContain('mqtt://[hidden]@127.0.0.1:1884');
    const first = out.lines()[0]!;
    expect(first.level).toBe('info');
    expect((first.config as Record<string, unknown>)['mqtt.password']).toBe('[hidden]');
    expect(typeof first.time).toBe('string');
  });

  it('keeps errors intact for the serializer', () => {
    const out = capture();
    createRootLogger('info', out.stream).error({ err: new Error('boom') }, 'failed');
    expect((out.lines()[0]?.err as Record<string, unknown>).message).toBe('boom');
  });
});

describe('LoggerRegistry', () => {
  it('sets levels on a logger and everything below it, and children follow', () => {
    const out = capture();
    const registry = new LoggerRegistry(createRootLogger('info', out.stream));
    const worker = registry.logger('ferry.worker');
    const c1 = registry.logger('ferry.connector.c1');
    const task = registry.logger('ferry.connector.c1', { connector: 'c1', task: 0 });
    registry.logger('ferry.connector.c2');

    expect(registry.level('ferry.connector.c1')).toEqual({ level: 'INFO', last_modified: null });
    expect(registry.setLevel('ferry.connector', 'debug')).toEqual([
      'ferry.connector',
      'ferry.connector.c1',
      'ferry.connector.c2',
    ]);
    expect(c1.level).toBe('debug');
    expect(worker.level).toBe('info');
    task.debug('from the task');
    worker.debug('hidden');
    const lines = out.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ logger: 'ferry.connector.c1', connector: 'c1', task: 0, msg: 'from the task' });

    const levels = registry.levels();
    expect(levels.root).toEqual({ level: 'INFO', last_modified: null });
    expect(levels['ferry.connector.c2']?.level).toBe('DEBUG');
    expect(typeof levels['ferry.connector.c2']?.last_modified).toBe('number');

    // A logger created later below a level set through the API starts at that level.
    expect(registry.logger('ferry.connector.c3').level).toBe('debug');
  });

  it('root changes every logger; OFF silences', () => {
    const registry = new LoggerRegistry(createRootLogger('info', capture().stream));
    registry.logger('a.b');
    expect(registry.setLevel('root', 'OFF')).toEqual(['a.b', 'root']);
    expect(registry.level('a.b')?.level).toBe('OFF');
  });

  it('refuses an unknown level and reports unknown loggers', () => {
    const registry = new LoggerRegistry(createRootLogger('info', capture().stream));
    expect(() => registry.setLevel('x', 'LOUD')).toThrow(/Invalid log level 'LOUD'/);
    expect(registry.level('nope')).toBeUndefined();
  });
});
