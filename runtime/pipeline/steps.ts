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
