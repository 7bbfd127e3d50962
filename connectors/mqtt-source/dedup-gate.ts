import type { OffsetMap } from '../../runtime/api';
import { DEVICE_PARTITION_KEY, DedupMarks, sequenceNumber, type DedupSettings, type Verdict } from './dedup';
import { lookupPlaceholder, type PayloadView } from './mapping';
import type { Complete, InboundMessage } from './session-types';

/** A message's place in its device's numbering. */
export interface Identity {
  readonly device: string;
  readonly seq: number;
}

/**
 * The source task's de-duplication: identifies each message (device, sequence) from the templates, asks the marks
 * whether it was written already, and acknowledges a duplicate only once the record of its first copy is durable
 * (committed, in exactly-once mode): a copy resent after a reconnect may arrive while its original's transaction is
 * still open, and acknowledging it then would lose the message if that transaction were aborted.
 */
export class DedupGate {
  readonly marks: DedupMarks;
  /** Per device, the highest sequence whose record is durable. */
  private readonly durable = new Map<string, number>();
  /** Duplicates waiting for their original to become durable, per device, in arrival order. */
  private readonly waiting = new Map<string, { seq: number; complete: Complete }[]>();

  constructor(private readonly settings: DedupSettings) {
    this.marks = new DedupMarks(settings.restartWindow);
  }

  /** Loads the marks earlier runs committed; returns how many devices have one. */
  load(stored: readonly { partition: OffsetMap; offset: OffsetMap }[]): number {
    const n = this.marks.load(stored);
    for (const { partition, offset } of stored) {
      const device = partition[DEVICE_PARTITION_KEY];
      if (typeof device === 'string' && typeof offset['seq'] === 'number') this.durable.set(device, offset['seq']);
    }
    return n;
  }

  /** The message's identity, or undefined when a template has no value or the sequence is not an integer. */
  identify(message: InboundMessage, payload: PayloadView): Identity | undefined {
    try {
      const lookup = (p: Parameters<typeof lookupPlaceholder>[0]): unknown => lookupPlaceholder(p, message, payload);
      const device = this.settings.key.render(lookup);
      const seq = sequenceNumber(this.settings.sequence.render(lookup));
      return seq === undefined ? undefined : { device, seq };
    } catch {
      return undefined;
    }
  }

  admit(id: Identity): Verdict {
    const verdict = this.marks.admit(id.device, id.seq);
    // A device that started over: what was durable of its old numbering says nothing about the new one.
    if (verdict === 'restart') this.durable.delete(id.device);
    return verdict;
  }

  /** A duplicate: acknowledged now when its original is durable, else when it becomes so (or fails with it). */
  duplicate(id: Identity, complete: Complete): void {
    if ((this.durable.get(id.device) ?? Number.NEGATIVE_INFINITY) >= id.seq) {
      complete();
      return;
    }
    let list = this.waiting.get(id.device);
    if (!list) this.waiting.set(id.device, (list = []));
    list.push({ seq: id.seq, complete });
  }

  /** The record of a new message is durable (or failed): release the duplicates waiting for it. */
  written(id: Identity, err?: Error): void {
    if (!err) this.durable.set(id.device, Math.max(this.durable.get(id.device) ?? id.seq, id.seq));
    const list = this.waiting.get(id.device);
    if (!list) return;
    const durable = this.durable.get(id.device) ?? Number.NEGATIVE_INFINITY;
    const keep = list.filter((w) => {
      if (err && w.seq === id.seq) w.complete(err);
      else if (w.seq <= durable) w.complete();
      else return true;
      return false;
    });
    if (keep.length > 0) this.waiting.set(id.device, keep);
    else this.waiting.delete(id.device);
  }

  partition(device: string): Readonly<OffsetMap> {
    return this.marks.partition(device);
  }
}
