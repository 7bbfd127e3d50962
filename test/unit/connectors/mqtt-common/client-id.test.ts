import { taskClientId } from '../../../../connectors/mqtt-common';

describe('taskClientId', () => {
  it('is readable and stable for a plain name', () => {
    expect(taskClientId('ferry', 'orders-sink', 3)).toBe('ferry-orders-sink-3');
    expect(taskClientId('ferry', 'orders-sink', 3)).toBe(taskClientId('ferry', 'orders-sink', 3));
  });

  it('differs per task and per connector', () => {
    const ids = new Set([
      taskClientId('ferry', 'a', 0),
      taskClientId('ferry', 'a', 1),
      taskClientId('ferry', 'b', 0),
      taskClientId('ferry', 'a-1', 0),
    ]);
    expect(ids.size).toBe(4);
  });

  it('replaces unsafe characters and keeps names that sanitise alike apart', () => {
    const spaced = taskClientId('ferry', 'my sink/ü', 0);
    expect(spaced).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(spaced.startsWith('ferry-my_sink__-')).toBe(true);
    expect(taskClientId('ferry', 'my sink', 0)).not.toBe(taskClientId('ferry', 'my_sink', 0));
    expect(taskClientId('ferry', 'my sink', 0)).not.toBe(taskClientId('ferry', 'my/sink', 0));
  });

  it('bounds the length and stays unique for long names', () => {
    const long = 'c'.repeat(300);
    const a = taskClientId('ferry', long, 12);
    const b = taskClientId('ferry', long + 'x', 12);
    expect(a.length).toBeLessThanOrEqual(100);
    expect(a.endsWith('-12')).toBe(true);
    expect(a).not.toBe(b);
  });
});
