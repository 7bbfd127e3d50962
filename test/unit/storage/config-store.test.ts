import { ConfigStore, type ConfigEvent } from '../../../runtime/storage/config-store';

const logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return logger;
  },
};

function rec(key: string, value: unknown, offset = 0) {
  return { key, value: value === null ? null : Buffer.from(JSON.stringify(value)), partition: 0, offset };
}

describe('ConfigStore applying Connect-format records', () => {
  it('builds connectors, target states and committed task configs', () => {
    const s = new ConfigStore(logger);
    const events: ConfigEvent[] = [];
    s.onChange((e) => events.push(e));
    s.apply(rec('target-state-c1', { state: 'PAUSED', 'state.v2': 'STOPPED' }));
    s.apply(rec('connector-c1', { properties: { name: 'c1', 'tasks.max': '2' } }));
    s.apply(rec('task-c1-0', { properties: { a: '0' } }));
    s.apply(rec('task-c1-1', { properties: { a: '1' } }));
    // Task configs take effect only with the commit record.
    expect(s.get('c1')!.tasks).toEqual([]);
    s.apply(rec('commit-c1', { tasks: 2 }));
    expect(s.get('c1')).toEqual({
      config: { name: 'c1', 'tasks.max': '2' },
      target: 'STOPPED',
      tasks: [{ a: '0' }, { a: '1' }],
    });
    expect(events.map((e) => e.kind)).toEqual(['connector', 'tasks']);
  });

  it('reads the v1 state when there is no state.v2, and STARTED without a record', () => {
    const s = new ConfigStore(logger);
    s.apply(rec('connector-a-b', { properties: { name: 'a-b' } }));
    expect(s.get('a-b')!.target).toBe('STARTED');
    s.apply(rec('target-state-a-b', { state: 'PAUSED' }));
    expect(s.get('a-b')!.target).toBe('PAUSED');
  });

  it('parses task records of connectors whose names contain dashes and digits', () => {
    const s = new ConfigStore(logger);
    s.apply(rec('connector-x-1', { properties: { name: 'x-1' } }));
    s.apply(rec('task-x-1-0', { properties: { t: 'zero' } }));
    s.apply(rec('commit-x-1', { tasks: 1 }));
    expect(s.get('x-1')!.tasks).toEqual([{ t: 'zero' }]);
  });

  it('deletes on tombstones and ignores a commit that names missing task configs', () => {
    const s = new ConfigStore(logger);
    s.apply(rec('connector-c', { properties: { name: 'c' } }));
    s.apply(rec('commit-c', { tasks: 3 }));
    expect(s.get('c')!.tasks).toEqual([]);
    s.apply(rec('connector-c', null));
    expect(s.get('c')).toBeUndefined();
    expect(s.names()).toEqual([]);
  });
});
