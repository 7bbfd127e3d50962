/** What the keepalive needs from its connection. */
export interface KeepaliveLink {
  /** Writes a PINGREQ. */
  ping(): void;
  /** The peer stopped answering: drop the connection. */
  dead(reason: Error): void;
}

/**
 * MQTT keepalive of one connection. PINGREQ is written on schedule whatever the window does (writes never stop), so
 * the broker keeps the connection while acks are held. While reads are paused a PINGRESP cannot be read, so the
 * missing-PINGRESP check only runs while reading; a dead peer during a long pause is found by TCP keepalive or by
 * the next write failing.
 */
export class Keepalive {
  /** When the connection last wrote / read (ms); set by the session on every write and read. */
  lastWriteMs = 0;
  lastReadMs = 0;
  /** Set by the session while reading is paused (a full window): a PINGRESP cannot arrive then. */
  readingPaused = false;
  private pingSinceMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly link: KeepaliveLink) {}

  /** Starts the schedule for a new connection; 0 seconds turns keepalive off. */
  start(keepaliveSeconds: number): void {
    this.stop();
    const periodMs = keepaliveSeconds * 1000;
    if (periodMs <= 0) return;
    this.lastWriteMs = Date.now();
    this.lastReadMs = Date.now();
    this.pingSinceMs = undefined;
    const tickMs = Math.max(250, Math.floor(periodMs / 4));
    this.timer = setInterval(() => {
      const now = Date.now();
      if (
        this.pingSinceMs !== undefined &&
        !this.readingPaused &&
        now - this.pingSinceMs > periodMs &&
        now - this.lastReadMs > periodMs
      ) {
        this.stop();
        this.link.dead(new Error(`no PINGRESP within ${keepaliveSeconds} s`));
        return;
      }
      if (now - this.lastWriteMs >= periodMs - tickMs) {
        if (this.pingSinceMs === undefined) this.pingSinceMs = now;
        this.link.ping();
      }
    }, tickMs);
    this.timer.unref();
  }

  /** A PINGRESP arrived. */
  pong(): void {
    this.pingSinceMs = undefined;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
