import type { ConnectRecord } from '../api';
import { applyChain, type TransformStep } from '../transforms';
import { StageFailure } from './error-handler';
import type { PipelineContext } from './types';

/** A record type under construction: its readonly fields assignable. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Maps `items` in order through `fn`, which may return a promise. Synchronous as long as every call is: at the first
 * promise the rest continues after it, one item after the other, so the order of the calls never changes.
 */
export function mapInOrder<T, A, U>(
  items: readonly T[],
  fn: (item: T, arg: A) => U | Promise<U>,
  arg: A,
  out: U[] = [],
  from = 0,
): U[] | Promise<U[]> {
  for (let i = from; i < items.length; i++) {
    const u = fn(items[i]!, arg);
    if (u instanceof Promise) {
      return u.then((done) => {
        out.push(done);
        return mapInOrder(items, fn, arg, out, i + 1);
      });
    }
    out.push(u);
  }
  return out;
}

/**
 * The transform chain as a pipeline stage, the same for both directions: the transformed record; null when a step
 * filtered it out (counted as `filtered`); or the failure naming the step that threw, for the error policy.
 */
export function transformStage<R extends ConnectRecord>(
  steps: readonly TransformStep[],
  record: R,
  ctx: Pick<PipelineContext, 'count'>,
): R | null | StageFailure {
  if (steps.length === 0) return record;
  let current: TransformStep | undefined;
  let transformed: R | null;
  try {
    transformed = applyChain(steps, record, (s) => (current = s));
  } catch (err) {
    return new StageFailure('TRANSFORMATION', current?.className ?? '', err);
  }
  if (transformed === null) ctx.count('filtered');
  return transformed;
}
