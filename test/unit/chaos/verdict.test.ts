import { analyse, line, type Delivered } from '../../chaos/lib/verdict';

function delivered(acked: Record<string, number[]>, reads: Record<string, number[]>, ackedAtMs = {}): Delivered {
  return { sent: Object.values(acked).flat().length, acked, ackedAtMs, errors: [], reads };
}

describe('the fault matrix verdict', () => {
  test('an acknowledged message never read is lost; one read twice is a duplicate', () => {
    const c = analyse(delivered({ a: [0, 1, 2], b: [0] }, { a: [0, 2, 2], b: [0] }), [], 6000, [], 6000);
    expect(c).toMatchObject({ acked: 4, read: 4, distinct: 3, lost: 1, duplicates: 1 });
  });

  test('a replay of numbers already read is a rewind, not an order violation', () => {
    const c = analyse(delivered({ a: [0, 1, 2, 3] }, { a: [0, 1, 2, 1, 2, 3] }), [], 6000, [], 6000);
    expect(c).toMatchObject({ lost: 0, duplicates: 2, rewinds: 1, orderViolations: 0 });
  });

  test('a number read for the first time after a higher one of its key is an order violation', () => {
    const c = analyse(delivered({ a: [0, 1, 2], b: [0, 1] }, { a: [0, 2, 1], b: [1, 0] }), [], 6000, [], 6000);
    expect(c).toMatchObject({ lost: 0, duplicates: 0, orderViolations: 2 });
  });

  test('losses acknowledged by a broker shortly before it was SIGKILLed are counted apart', () => {
    const d = delivered({ a: [0, 1, 2] }, { a: [0] }, { a: [1000, 9000, 20_000] });
    const c = analyse(d, [], 6000, [{ atMs: 10_000, backAtMs: 15_000 }], 6000);
    expect(c).toMatchObject({ lost: 2, lostInBrokerSaveWindow: 1, lostAckedAroundKillMs: [-1000, 10_000] });
  });

  // A run counted 89 lost "acknowledged 0.07 s after the kill": PUBACKs the broker wrote before it died, read late by
  // a busy publisher. They are in the save window like those read before the kill; acks after the return are not.
  test('an acknowledgement read while the killed broker was away was written before the kill', () => {
    const d = delivered({ a: [0, 1, 2, 3] }, { a: [0] }, { a: [1000, 10_070, 14_000, 15_500] });
    const c = analyse(d, [], 6000, [{ atMs: 10_000, backAtMs: 15_000 }], 6000);
    expect(c).toMatchObject({ lost: 3, lostInBrokerSaveWindow: 2 });
  });

  test('stops over the budget or not finished cleanly are slow; unfinished ones are counted too', () => {
    const stops = [
      { what: 'pause', ms: 500, finished: true },
      { what: 'SIGTERM', ms: 9000, finished: true },
      { what: 'SIGTERM', ms: 700, finished: false },
    ];
    const c = analyse(delivered({}, {}), stops, 6000, [], 6000);
    expect(c).toMatchObject({ stops: 3, maxStopMs: 9000, slowStops: 2, unfinishedStops: 1 });
  });

  test('prints one line with every count', () => {
    const counts = analyse(delivered({ a: [0] }, { a: [0] }), [], 6000, [], 6000);
    const text = line({ row: 'worker-sigkill', params: { qos: 1, n: 2 }, counts, notes: [], seconds: 3, at: '' });
    expect(text).toBe(
      '[chaos] worker-sigkill qos=1 n=2: acked 1/1, read 1 (1 distinct), lost 0, duplicates 0, ' +
        'order violations 0 (rewinds 0), stops 0 max - ms slow 0 unfinished 0 (3 s)',
    );
  });
});
