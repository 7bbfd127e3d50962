export interface EventuallyOptions {
  /** Names what is awaited, for the failure message: "timed out after 30 s waiting for <what>". */
  readonly what: string;
  /** How long to keep trying; generous, since tests never assert on time. */
  readonly timeoutMs?: number;
  /** Pause between two tries. */
  readonly intervalMs?: number;
}

/**
 * Calls `fn` until it returns a truthy value, and returns that value. A throw counts as "not yet": the last error (or
 * falsy value) is named in the failure, so a test that times out says what it saw last, not only what it wanted.
 */
export async function eventually<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  { what, timeoutMs = 30_000, intervalMs = 100 }: EventuallyOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const seen = last instanceof Error ? last.message : (JSON.stringify(last) ?? String(last));
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; last: ${seen}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A pause where a test must let time pass (for something that should NOT happen); never a substitute for `eventually`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
