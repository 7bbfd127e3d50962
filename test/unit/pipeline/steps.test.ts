import type { SourceRecord } from '../../../runtime/api';
import { StageFailure } from '../../../runtime/pipeline/error-handler';
import { mapInOrder, transformStage } from '../../../runtime/pipeline/steps';
import type { TransformStep } from '../../../runtime/transforms';

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

describe('transformStage', () => {
  const record = { topic: 't', kafkaPartition: null, key: null, value: 'v', headers: [] } as unknown as SourceRecord;
  const step = (className: string, apply: (r: SourceRecord) => SourceRecord | null): TransformStep =>
    ({ alias: className, className, negate: false, transform: { apply } }) as unknown as TransformStep;

  it('hands back the record unchanged without steps', () => {
    const counts: string[] = [];
    expect(transformStage([], record, { count: (m) => counts.push(m) })).toBe(record);
    expect(counts).toEqual([]);
  });

  it('counts a filtered record once and returns null', () => {
    const counts: string[] = [];
    expect(transformStage([step('Drop', () => null)], record, { count: (m) => counts.push(m) })).toBeNull();
    expect(counts).toEqual(['filtered']);
  });

  it('names the step that threw in a TRANSFORMATION failure', () => {
    const boom = step('Boom', () => {
      throw new Error('bad field');
    });
    const out = transformStage([step('Ok', (r) => ({ ...r, value: 'w' })), boom], record, { count: () => undefined });
    expect(out).toBeInstanceOf(StageFailure);
    expect((out as StageFailure).stage).toBe('TRANSFORMATION');
    expect((out as StageFailure).className).toBe('Boom');
  });
});
