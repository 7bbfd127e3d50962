import { ReconnectBackoff } from '../mqtt-common';
import type { ServerAddress } from './session-types';

/** Where and when the session dials next: failover through the server list, with back-off between attempts. */
export class Redial {
  private serverIndex = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff: ReconnectBackoff;

  constructor(
    private readonly servers: readonly ServerAddress[],
    reconnectMinMs: number,
    reconnectMaxMs: number,
  ) {
    this.backoff = new ReconnectBackoff({ reconnectBackoffMs: reconnectMinMs, reconnectBackoffMaxMs: reconnectMaxMs });
  }

  /** The server to dial now. */
  get server(): ServerAddress | undefined {
    return this.servers[this.serverIndex % this.servers.length];
  }

  /** A connection was accepted: the next failure starts the back-off again. */
  connected(): void {
    this.backoff.reset();
  }

  /** After a failure: the next attempt, after back-off, goes to the next server of the list (wrapping around). */
  schedule(attempt: () => void): void {
    this.cancel();
    this.serverIndex++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      attempt();
    }, this.backoff.nextDelayMs());
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
