/**
 * node-rdkafka runs each consume() call on libuv's thread pool, and a consumer waiting for records holds a pool
 * thread until records come or its timeout ends. A worker keeps several such waits open at once: the config,
 * offsets and status readers, the group membership, and one per sink task. With Node's default pool of 4 they queue
 * behind each other: measured here, a sink's records waited about 25 ms for a free thread at 5k msg/s (p50 30 ms
 * end to end against 7 ms with a larger pool).
 *
 * `bin/ferry.js` sets UV_THREADPOOL_SIZE (64) unless the environment sets it; it has to happen before the pool first
 * starts, which is why it is not a worker setting.
 */

/** Pool threads the worker's own readers (config, offsets, status, membership, cluster state) may hold at once. */
export const INTERNAL_POOL_WAITERS = 5;

/** The pool size this process runs with. */
export function threadPoolSize(): number {
  const n = Number(process.env['UV_THREADPOOL_SIZE']);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1024) : 4;
}
