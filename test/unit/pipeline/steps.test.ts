import { mapInOrder } from '../../../runtime/pipeline/steps';

describe('mapInOrder', () => {
  it('stays synchronous while every call is', () => {
    const out = mapInOrder([1, 2, 3], (n, by: number) => n * by, 10);
    expect(out).toEqual([10, 20, 30]);
  });

  it('continues after a promise in order, one call at a time', async () => {
    const calls: string[] = [];
    const out = mapInOrder(
      ['a', 'b', 'c', 'd'],
      (x, tag: string) => {
        calls.push(`start ${x}`);
        if (x === 'b' || x === 'c')
          return new Promise<string>((resolve) =>
            setTimeout(() => {
              calls.push(`end ${x}`);
              resolve(x + tag);
            }, 5),
          );
        return x + tag;
      },
      '!',
    );
    expect(out).toBeInstanceOf(Promise);
    expect(calls).toEqual(['start a', 'start b']);
    expect(await out).toEqual(['a!', 'b!', 'c!', 'd!']);
    expect(calls).toEqual(['start a', 'start b', 'end b', 'start c', 'end c', 'start d']);
  });
});
