/**
 * Publish retries that keep per-partition order. A publish that failed without a broker verdict is retried at the
 * head of its partition's queue; records of that partition handed over after it wait behind it, and go out one at a
 * time, each after the previous one got through, until the queue is empty and publishing pipelines again. Retrying
 * each record on its own jittered timer would let a later record overtake an earlier one.
 *
 * Records already published when the failure is reported cannot be called back; they are ordered by their Kafka
 * offset when they fail too, so a queue always holds its partition's records in offset order.
 */
export interface Retry<T> {
  readonly item: T;
  readonly offset: number;
  attempt: number;
}

export interface OrderedRetriesDeps<T> {
  /** Publishes an item again (from the queue); its outcome comes back through headDone / headFailed. */
  send: (item: T, attempt: number) => void;
  /** Back-off before a failed item's next attempt (attempt counts from 1). */
  delayMs: (attempt: number) => number;
}

export class OrderedRetries<T> {
  private readonly queues = new Map<string, Retry<T>[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Partitions whose head is published and awaiting its outcome. */
  private readonly sending = new Set<string>();

  constructor(private readonly deps: OrderedRetriesDeps<T>) {}

  /** Whether new records of this partition must wait behind a retry. */
  holds(key: string): boolean {
    return (this.queues.get(key)?.length ?? 0) > 0;
  }

  /** Queues an item: a failed publish (attempt ≥ 1) or a record that must wait behind one (attempt 0). */
  add(key: string, item: T, offset: number, attempt: number): void {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = [];
      this.queues.set(key, queue);
    }
    let at = queue.length;
    // Never in front of the head being sent: its outcome is still to come.
    const first = this.sending.has(key) ? 1 : 0;
    while (at > first && (queue[at - 1]?.offset ?? -1) > offset) at--;
    queue.splice(at, 0, { item, offset, attempt });
    this.schedule(key);
  }

  /** The head went through (or got a broker verdict): the next one goes out at once. */
  headDone(key: string): void {
    this.sending.delete(key);
    this.queues.get(key)?.shift();
    const next = this.queues.get(key)?.[0];
    if (!next) {
      this.queues.delete(key);
      return;
    }
    this.sendHead(key, next);
  }

  /** The head failed again: it is retried after a longer back-off, still ahead of the rest. */
  headFailed(key: string): void {
    this.sending.delete(key);
    const head = this.queues.get(key)?.[0];
    if (head) head.attempt++;
    this.schedule(key);
  }

  /** Drops every queued item and timer (on stop: queued records are neither acked nor rejected). */
  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.queues.clear();
    this.sending.clear();
  }

  private schedule(key: string): void {
    const head = this.queues.get(key)?.[0];
    if (!head || this.sending.has(key) || this.timers.has(key)) return;
    if (head.attempt === 0) {
      this.sendHead(key, head); // nothing failed at the head: no reason to wait
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(key);
      const current = this.queues.get(key)?.[0];
      if (current) this.sendHead(key, current);
    }, this.deps.delayMs(head.attempt));
    this.timers.set(key, timer);
  }

  private sendHead(key: string, head: Retry<T>): void {
    this.sending.add(key);
    this.deps.send(head.item, head.attempt);
  }
}
