/**
 * The ordered release queue for MQTT acknowledgements: the one place that decides when a PUBACK/PUBREC may go out.
 *
 * Every incoming message gets a slot in arrival order. Kafka's delivery report marks a slot done; only the
 * contiguous done prefix is released, because MQTT requires acks in the order the PUBLISHes arrived (§4.6). A
 * connection epoch guards against acks from an old connection: when the connection drops, every pending slot is
 * discarded (the broker redelivers those messages on the next connection), and a late `done()` for a discarded slot
 * releases nothing. Pending slots are indexed by packet id, so neither arrival nor completion scans the window.
 *
 * Pure: no I/O, no timers. The session writes the acks this ledger returns.
 */

/** The ack a released slot needs on the wire. QoS 0 slots need none but still hold their place in the window. */
export type AckKind = 'none' | 'puback' | 'pubrec';

/** One message's place in the queue. Opaque to callers except for reading. */
export interface Slot {
  readonly epoch: number;
  /** Arrival order within the epoch, from 0. */
  readonly seq: number;
  /** MQTT packet id; undefined for QoS 0. */
  readonly packetId: number | undefined;
  readonly qos: 0 | 1 | 2;
}

/** An ack to write now, in this order. */
export interface ReleasedAck {
  readonly kind: 'puback' | 'pubrec';
  readonly packetId: number;
}

/** Result of {@link AckLedger.admit}. */
export interface Admission {
  readonly slot: Slot;
  /**
   * Not false when this PUBLISH must not be produced again: `pending` — a resend of a message already in the queue
   * (same packet id pending on this connection; its slot's ack covers both); `in-kafka` — QoS 2 whose PUBREC was
   * already sent (awaiting PUBREL): it has a new slot, already done, so call {@link AckLedger.done} on it to answer
   * PUBREC again in order.
   */
  readonly duplicate: false | 'pending' | 'in-kafka';
}

interface MutableSlot extends Slot {
  done: boolean;
  failed: boolean;
}

export class AckLedger {
  private epochNo = 0;
  private nextSeq = 0;
  /** Slots in arrival order; `head` is the first not yet released (an array with a moving head, compacted lazily). */
  private queue: MutableSlot[] = [];
  private head = 0;
  /** seq of queue[0]: a slot's index is `seq - base`, so finding a slot never scans. */
  private base = 0;
  /** Pending slots with a packet id, by packet id (current epoch only). */
  private readonly byPacketId = new Map<number, MutableSlot>();
  /**
   * QoS 2 packet ids whose PUBREC was sent and whose PUBREL has not arrived. Kept across reconnects: the session
   * state survives a reconnect with a persistent session, and a resent PUBLISH with such an id is already in Kafka.
   */
  private readonly awaitingRelease = new Set<number>();

  /** The current connection epoch. */
  get epoch(): number {
    return this.epochNo;
  }

  /** Slots admitted and not yet released (the in-flight window). */
  get inFlight(): number {
    return this.queue.length - this.head;
  }

  /** Number of QoS 2 packet ids acknowledged with PUBREC and awaiting PUBREL. */
  get awaitingReleaseCount(): number {
    return this.awaitingRelease.size;
  }

  /**
   * A new connection: discards every pending slot (their acks must never be sent on the new connection; the broker
   * redelivers the messages) and returns the new epoch.
   * @param sessionPresent false when the broker started a new session: then no PUBREL for old QoS 2 ids will come.
   */
  newEpoch(sessionPresent: boolean): number {
    this.epochNo++;
    this.nextSeq = 0;
    this.queue = [];
    this.head = 0;
    this.base = 0;
    this.byPacketId.clear();
    if (!sessionPresent) this.awaitingRelease.clear();
    return this.epochNo;
  }

  /** Gives an arriving message its slot, in arrival order. */
  admit(qos: 0 | 1 | 2, packetId: number | undefined): Admission {
    if (qos > 0 && packetId !== undefined) {
      const pending = this.byPacketId.get(packetId);
      // The broker cannot reuse a packet id we have not acknowledged, so the same id pending on this connection is a
      // resend of that very message: its existing slot's ack covers both.
      if (pending) return { slot: pending, duplicate: 'pending' };
      if (qos === 2 && this.awaitingRelease.has(packetId)) {
        // Kafka already has it (we sent PUBREC only after that); answer PUBREC again, in order, without producing.
        const slot = this.push(qos, packetId);
        slot.done = true;
        return { slot, duplicate: 'in-kafka' };
      }
    }
    return { slot: this.push(qos, packetId), duplicate: false };
  }

  /**
   * Marks a slot done (Kafka has the record) and returns the acks that may now be written, in arrival order: the
   * contiguous done prefix. A slot from an older epoch releases nothing.
   */
  done(slot: Slot): ReleasedAck[] {
    const s = this.current(slot);
    if (!s || s.failed) return [];
    s.done = true;
    return this.releasePrefix();
  }

  /**
   * Marks a slot failed: its ack is never released, so nothing after it is released either, until the next epoch.
   * Returns false for a slot from an older epoch.
   */
  fail(slot: Slot): boolean {
    const s = this.current(slot);
    if (!s) return false;
    s.failed = true;
    return true;
  }

  /** A PUBREL arrived for a QoS 2 packet id: it leaves the awaiting-release set (answer with PUBCOMP). */
  released(packetId: number): void {
    this.awaitingRelease.delete(packetId);
  }

  /** True when the slot belongs to the current epoch and is still pending. */
  isPending(slot: Slot): boolean {
    return this.current(slot) !== undefined;
  }

  private push(qos: 0 | 1 | 2, packetId: number | undefined): MutableSlot {
    const slot: MutableSlot = {
      epoch: this.epochNo,
      seq: this.nextSeq++,
      packetId: qos > 0 ? packetId : undefined,
      qos,
      done: false,
      failed: false,
    };
    this.queue.push(slot);
    if (slot.packetId !== undefined) this.byPacketId.set(slot.packetId, slot);
    return slot;
  }

  private current(slot: Slot): MutableSlot | undefined {
    if (slot.epoch !== this.epochNo) return undefined;
    const index = slot.seq - this.base;
    if (index < this.head) return undefined;
    const s = this.queue[index];
    return s === slot ? s : undefined;
  }

  private releasePrefix(): ReleasedAck[] {
    const acks: ReleasedAck[] = [];
    while (this.head < this.queue.length) {
      const s = this.queue[this.head];
      if (!s || !s.done) break;
      this.head++;
      if (s.packetId === undefined) continue;
      if (this.byPacketId.get(s.packetId) === s) this.byPacketId.delete(s.packetId);
      if (s.qos === 1) acks.push({ kind: 'puback', packetId: s.packetId });
      else if (s.qos === 2) {
        this.awaitingRelease.add(s.packetId);
        acks.push({ kind: 'pubrec', packetId: s.packetId });
      }
    }
    // Drop released slots now and then, not on every release: amortised O(1) per message.
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
    return acks;
  }
}
