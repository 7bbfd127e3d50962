import { ProgressLedger } from '../../../runtime/tasks/progress-ledger';

describe('ProgressLedger', () => {
  it('commits nothing while the first record is in flight, however many later ones are done', () => {
    const l = new ProgressLedger<number>();
    const a = l.track('p0', 1);
    const b = l.track('p0', 2);
    const c = l.track('p0', 3);
    l.done(c);
    l.done(b);
    expect(l.takeCommittable().size).toBe(0);
    expect(l.committable('p0')).toBeUndefined();
    l.done(a);
    expect(l.takeCommittable()).toEqual(new Map([['p0', 3]]));
  });

  it('advances only over the contiguous done prefix', () => {
    const l = new ProgressLedger<number>();
    const es = [1, 2, 3, 4, 5].map((n) => l.track('p', n));
    l.done(es[0]!);
    l.done(es[1]!);
    l.done(es[3]!);
    expect(l.takeCommittable().get('p')).toBe(2);
    expect(l.pending).toBe(2);
    l.done(es[2]!);
    expect(l.takeCommittable().get('p')).toBe(4);
    expect(l.takeCommittable().size).toBe(0);
  });

  it('keeps streams independent and ignores done calls for a dropped stream', () => {
    const l = new ProgressLedger<number>();
    const a = l.track('a', 10);
    const b = l.track('b', 20);
    l.drop('a');
    l.done(a);
    l.done(b);
    expect(l.takeCommittable()).toEqual(new Map([['b', 20]]));
  });

  it('offers a committable position again after a failed commit', () => {
    const l = new ProgressLedger<number>();
    l.done(l.track('p', 7));
    expect(l.takeCommittable().get('p')).toBe(7);
    l.markDirty('p');
    expect(l.takeCommittable().get('p')).toBe(7);
  });

  it('stays correct over many records (queue compaction)', () => {
    const l = new ProgressLedger<number>();
    const entries = Array.from({ length: 5000 }, (_, i) => l.track('p', i));
    for (let i = entries.length - 1; i >= 1; i--) l.done(entries[i]!);
    expect(l.committable('p')).toBeUndefined();
    l.done(entries[0]!);
    expect(l.committable('p')).toBe(4999);
    const more = l.track('p', 5000);
    l.done(more);
    expect(l.committable('p')).toBe(5000);
  });
});
