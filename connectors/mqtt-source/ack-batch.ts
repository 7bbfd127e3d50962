import type net from 'node:net';
import type { ReleasedAck } from './ack-ledger';

/**
 * Queues released acks for one write per event-loop turn. Delivery reports arrive one callback at a time, and a
 * write per report (even corked: each report's callback ends its own tick) cost the worker more CPU than anything
 * but the producer, and the broker a read per 4-byte packet. The flush runs in the same loop turn, after I/O.
 */
export class AckBatch {
  private acks: ReleasedAck[] = [];
  /** The connection the queued acks belong to. */
  private socket: net.Socket | undefined;
  private scheduled = false;

  /** `write` gets each batch with its connection; it writes only if that connection is still the live one. */
  constructor(private readonly write: (socket: net.Socket, acks: readonly ReleasedAck[]) => void) {}

  add(socket: net.Socket, acks: readonly ReleasedAck[]): void {
    if (this.socket !== socket) {
      // Acks released on an earlier connection are never written on a new one (their session state is gone).
      this.acks = [];
      this.socket = socket;
    }
    for (const ack of acks) this.acks.push(ack);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Writes what is queued now (also before a DISCONNECT, so acks of records Kafka has are not lost). */
  readonly flush = (): void => {
    this.scheduled = false;
    const acks = this.acks;
    const socket = this.socket;
    this.acks = [];
    if (acks.length > 0 && socket) this.write(socket, acks);
  };
}
