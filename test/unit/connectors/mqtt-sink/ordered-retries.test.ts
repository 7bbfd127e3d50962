import { OrderedRetries } from '../../../../connectors/mqtt-sink/ordered-retries';

describe('OrderedRetries', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function make() {
    const sent: string[] = [];
    // A later attempt waits less here: per-item timers would reorder; the queue must not.
    const r = new OrderedRetries<string>({ send: (item) => sent.push(item), delayMs: (attempt) => 100 / attempt });
    return { r, sent };
  }

  it('sends the failed head first and one at a time, in offset order whatever order failures came in', () => {
    const { r, sent } = make();
    r.add('p0', 'b', 1, 1);
    r.add('p0', 'a', 0, 2);
    r.add('p0', 'c', 2, 0);
    expect(r.holds('p0')).toBe(true);
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(100); // the first failure's back-off, now for the new head 'a'
    expect(sent).toEqual(['a']);
    r.headFailed('p0');
    jest.advanceTimersByTime(40);
    expect(sent).toEqual(['a', 'a']);
    r.headDone('p0');
    expect(sent).toEqual(['a', 'a', 'b']);
    r.add('p0', 'd', 3, 0); // arrives while 'b' is out: waits behind it and 'c'
    r.headDone('p0');
    r.headDone('p0');
    r.headDone('p0');
    expect(sent).toEqual(['a', 'a', 'b', 'c', 'd']);
    expect(r.holds('p0')).toBe(false);
  });

  it('keeps partitions apart and drops everything on clear', () => {
    const { r, sent } = make();
    r.add('p0', 'x', 5, 1);
    r.add('p1', 'y', 1, 0);
    expect(sent).toEqual(['y']);
    r.clear();
    jest.advanceTimersByTime(1000);
    expect(sent).toEqual(['y']);
    expect(r.holds('p0')).toBe(false);
  });
});
