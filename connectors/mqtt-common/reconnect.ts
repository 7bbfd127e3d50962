import type { MqttClient } from 'mqtt';
import type { MqttConnectionSettings } from './settings';

/** The delay before reconnect attempt `attempt` (0-based): doubling from `baseMs` up to `maxMs`, minus up to 20 % jitter
 * so that many tasks cut off together don't all come back in the same millisecond. */
export function backoffDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(1, Math.round(exp * (1 - 0.2 * random())));
}

/**
 * The reconnect back-off of one connection (`mqtt.reconnect.backoff.ms` doubling up to `mqtt.reconnect.backoff.max.ms`):
 * each failed attempt lengthens the next delay, a successful connection starts over. Shared by the source's own
 * session and the sink's mqtt.js client, so both wait the same way.
 */
export class ReconnectBackoff {
  private attempt = 0;

  constructor(
    private readonly settings: Pick<MqttConnectionSettings, 'reconnectBackoffMs' | 'reconnectBackoffMaxMs'>,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt; counts the attempt. */
  nextDelayMs(): number {
    const { reconnectBackoffMs: base, reconnectBackoffMaxMs: max } = this.settings;
    return backoffDelayMs(this.attempt++, base, Math.max(base, max), this.random);
  }

  /** Connected: the next loss starts from the first delay again. */
  reset(): void {
    this.attempt = 0;
  }
}

/**
 * Replaces mqtt.js's fixed-period reconnect with the doubling {@link ReconnectBackoff}. Call before
 * `client.connect()`. Returns a function that detaches it (call it before `client.end()`, or let `end()` stop it: no
 * reconnect is scheduled while the client is disconnecting).
 *
 * mqtt.js's own `reconnect()` would replace the message stores and lose the QoS 1/2 publishes waiting for an ack;
 * this passes the current stores back in, so they are resent on the new connection.
 *
 * With this, mqtt.js does not resubscribe on its own: a subscriber resubscribes on `connect` when the CONNACK says
 * no session was present.
 */
export function attachReconnectBackoff(
  client: MqttClient,
  settings: Pick<MqttConnectionSettings, 'reconnectBackoffMs' | 'reconnectBackoffMaxMs'>,
): () => void {
  const backoff = new ReconnectBackoff(settings);
  // 0 turns mqtt.js's interval timer off; it reads the option each time a connection closes.
  client.options.reconnectPeriod = 0;
  let timer: NodeJS.Timeout | undefined;
  let detached = false;
  const onConnect = (): void => backoff.reset();
  const onClose = (): void => {
    if (detached || timer !== undefined || client.disconnecting || client.disconnected) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (detached || client.connected || client.disconnecting || client.disconnected) return;
      client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    }, backoff.nextDelayMs());
  };
  client.on('connect', onConnect);
  client.on('close', onClose);
  return () => {
    detached = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    client.off('connect', onConnect);
    client.off('close', onClose);
  };
}
