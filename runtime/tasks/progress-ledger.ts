/**
 * Tracks, per stream (a Kafka partition, or a source partition), which positions are done, and how far the
 * CONTIGUOUS done prefix reaches. Only that prefix may be committed: a later record finishing first must not move
 * the committed position past an earlier one still in flight, or a crash would skip it.
 */
export class ProgressLedger<P> {
  private readonly streams = new Map<string, StreamProgress<P>>();
  private readonly dirty = new Set<string>();

  /** Registers a position (in arrival order for its stream) and returns a token for `done`. */
  track(stream: string, position: P): Entry<P> {
    let s = this.streams.get(stream);
    if (!s) {
      s = new StreamProgress<P>();
      this.streams.set(stream, s);
    }
    const entry: Entry<P> = { stream, position, done: false };
    s.queue.push(entry);
    return entry;
  }

  /** Marks a position done; advances the stream's committable position over the done prefix. */
  done(entry: Entry<P>): void {
    if (entry.done) return;
    entry.done = true;
    const s = this.streams.get(entry.stream);
    if (!s) return; // the stream was dropped (e.g. a revoked partition)
    let advanced = false;
    while (s.head < s.queue.length && s.queue[s.head]!.done) {
      s.committable = s.queue[s.head]!.position;
      s.head++;
      advanced = true;
    }
    if (s.head > 1024 && s.head * 2 > s.queue.length) {
      s.queue.splice(0, s.head);
      s.head = 0;
    }
    if (advanced) this.dirty.add(entry.stream);
  }

  /** Positions whose committable prefix moved since the last call. */
  takeCommittable(): Map<string, P> {
    const out = new Map<string, P>();
    for (const id of this.dirty) {
      const c = this.streams.get(id)?.committable;
      if (c !== undefined) out.set(id, c);
    }
    this.dirty.clear();
    return out;
  }

  /** Makes the stream's committable position come out of the next `takeCommittable` again (a commit failed). */
  markDirty(stream: string): void {
    if (this.streams.get(stream)?.committable !== undefined) this.dirty.add(stream);
  }

  committable(stream: string): P | undefined {
    return this.streams.get(stream)?.committable;
  }

  /** Records handed out but not yet done, over all streams. */
  get pending(): number {
    let n = 0;
    for (const s of this.streams.values()) for (let i = s.head; i < s.queue.length; i++) if (!s.queue[i]!.done) n++;
    return n;
  }

  /** Forgets a stream (its partition was revoked): late `done` calls for it are ignored. */
  drop(stream: string): void {
    this.streams.delete(stream);
    this.dirty.delete(stream);
  }

  streamIds(): string[] {
    return [...this.streams.keys()];
  }
}

export interface Entry<P> {
  readonly stream: string;
  readonly position: P;
  done: boolean;
}

class StreamProgress<P> {
  queue: Entry<P>[] = [];
  head = 0;
  committable: P | undefined;
}
