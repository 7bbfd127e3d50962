import type tls from 'node:tls';
import type { IPublishPacket } from 'mqtt-packet';

/** One broker address (failover goes through the list in order). */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

export interface Subscription {
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
}

/** Everything the session needs, resolved (no defaults applied here). */
export interface SessionOptions {
  readonly servers: readonly ServerAddress[];
  /** 4 = MQTT 3.1.1, 5 = MQTT 5. */
  readonly protocolVersion: 4 | 5;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: Buffer;
  /** TLS settings for `mqtts://`/`ssl://` servers (ca, cert, key, rejectUnauthorized, servername). */
  readonly tls?: tls.ConnectionOptions;
  readonly keepaliveSeconds: number;
  readonly connectTimeoutMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly cleanStart: boolean;
  /** MQTT 5 Session Expiry Interval; ignored on 3.1.1 (the broker's setting applies). */
  readonly sessionExpirySeconds: number;
  /** Messages admitted and not yet acknowledged, at most. */
  readonly maxInFlight: number;
  /** Largest packet accepted: the MQTT 5 Maximum Packet Size, enforced on every version by PacketGate. */
  readonly maxPacketBytes?: number;
  readonly subscriptions: readonly Subscription[];
  /** The filters an earlier run of this client id left its broker session holding, when stored. */
  readonly previousSubscriptions?: readonly string[];
  /** When that is unknown: filters an earlier assignment may have subscribed; unsubscribed unless wanted. */
  readonly staleCandidates?: readonly string[];
}

/** A message as the session hands it over. */
export interface InboundMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly dup: boolean;
  readonly packetId: number | undefined;
  /** MQTT 5 properties, when any. */
  readonly properties: IPublishPacket['properties'];
  /** Milliseconds since the epoch when the session read it. */
  readonly arrivalTime: number;
  /** Set when the PUBLISH was larger than maxPacketBytes: its size; `payload` is then empty. */
  readonly oversizedBytes?: number;
}

/** Completion of one message: no error once Kafka durably has its record. */
export type Complete = (err?: Error) => void;

/** Receives messages; `complete` must be called exactly once per message. */
export type MessageHandler = (message: InboundMessage, complete: Complete) => void;

export interface SessionEvents {
  connected: [info: { server: string; sessionPresent: boolean }];
  disconnected: [reason: Error | undefined];
  /** A connect attempt or the connection failed; the session retries with back-off. */
  connectionError: [err: Error];
  /** Acks written to the broker (count). */
  acknowledged: [count: number];
  /** The broker accepted our SUBSCRIBE (see suback.ts for what it may downgrade); a refusal fails the session. */
  subscribed: [info: { topics: string[] }];
  /** Every SUBSCRIBE/UNSUBSCRIBE of this connection was answered: the filters the broker session now holds. */
  subscriptionsSettled: [topics: string[]];
  /** A subscription the broker refused (SUBACK failure code). */
  subscribeFailed: [info: { topic: string; code: number }];
  /** A subscription granted at a lower QoS than asked; QoS 0 for an acknowledged one also fails the session. */
  subscriptionDowngraded: [info: { topic: string; asked: number; granted: number }];
  /** A PINGRESP arrived (the answer to a keepalive ping or to a retiring session's probe). */
  pong: [];
  /** The session cannot go on (a packet that cannot be encoded, a refused or QoS 0 subscription); it has stopped. */
  failed: [err: Error];
}

/** Connection state, for status and tests. */
export type SessionState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped';
