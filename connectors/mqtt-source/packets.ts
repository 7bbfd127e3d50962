/**
 * The packets the subscriber session writes, and how it reads the broker's refusals: pure functions of the session
 * options, kept apart from the connection's state.
 */
import mqttPacket, { type IConnackPacket, type IPublishPacket, type Packet } from 'mqtt-packet';
import type { ReleasedAck } from './ack-ledger';
import type { OversizedPublish } from './packet-gate';
import type { InboundMessage, SessionOptions } from './session-types';

// mqtt-packet's encoder otherwise builds, on its first use, a cache of all 65,536 packet ids as 2-byte Buffers: 6 MB
// of heap in every worker, to save one tiny allocation per encoded packet id. (A process-wide switch; the sink's
// mqtt.js client turns it off too, with writeCache: false.)
mqttPacket.writeToStream.cacheNumbers = false;

/** A packet as bytes for the session's protocol version. */
export function encode(packet: Packet, protocolVersion: 4 | 5): Buffer {
  return mqttPacket.generate(packet, { protocolVersion });
}

/** CONNECT: the session's client id, credentials, clean start, keepalive; on MQTT 5 session expiry and window. */
export function connectPacket(o: SessionOptions): Packet {
  return {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: o.protocolVersion,
    clientId: o.clientId,
    clean: o.cleanStart,
    keepalive: o.keepaliveSeconds,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(o.protocolVersion === 5
      ? {
          properties: {
            sessionExpiryInterval: o.sessionExpirySeconds,
            receiveMaximum: Math.min(o.maxInFlight, 65535),
            ...(o.maxPacketBytes !== undefined ? { maximumPacketSize: o.maxPacketBytes } : {}),
          },
        }
      : {}),
  };
}

/** A stand-in PUBLISH for one the PacketGate dropped as too large: topic and packet id only, and its size. */
export type OversizedPublishPacket = IPublishPacket & { readonly oversizedBytes: number };

const EMPTY = Buffer.alloc(0);

/** The stand-in the session queues for a PUBLISH the gate dropped: it is acknowledged in order like any other. */
export function oversizedStandIn(o: OversizedPublish): OversizedPublishPacket {
  return {
    cmd: 'publish',
    topic: o.topic,
    payload: EMPTY,
    qos: o.qos,
    dup: o.dup,
    retain: o.retain,
    ...(o.packetId !== undefined ? { messageId: o.packetId } : {}),
    oversizedBytes: o.bytes,
  };
}

/** A PUBLISH as the session hands it to its handler, stamped with its arrival time. */
export function inboundMessage(packet: IPublishPacket): InboundMessage {
  const oversizedBytes = (packet as Partial<OversizedPublishPacket>).oversizedBytes;
  return {
    topic: packet.topic,
    payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
    qos: packet.qos,
    retain: packet.retain,
    dup: packet.dup,
    packetId: packet.qos > 0 ? packet.messageId : undefined,
    properties: packet.properties,
    arrivalTime: Date.now(),
    ...(oversizedBytes !== undefined ? { oversizedBytes } : {}),
  };
}

/** Why a CONNACK refused the connection, or undefined when it accepted it. */
export function connackRefusal(packet: IConnackPacket, label: string): Error | undefined {
  const code = packet.reasonCode ?? packet.returnCode ?? 0;
  if (code === 0) return undefined;
  const why = packet.properties?.reasonString ? `: ${packet.properties.reasonString}` : '';
  return new Error(`broker ${label} refused the connection, code ${code}${why}`);
}

/** The error for a DISCONNECT from the broker, its reason code explained where the fix is ours to name. */
export function brokerDisconnect(code: number | undefined, label: string): Error {
  // 0x8E: another client connected with this client id — usually the same connector name running in a second
  // Ferry cluster against this broker; the two keep taking the session from each other.
  const reason =
    code === 0x8e
      ? ' (0x8e session taken over: another client uses this client id; set mqtt.client.id.prefix to tell them apart)'
      : code !== undefined
        ? ` (reason code 0x${code.toString(16)})`
        : '';
  return new Error(`broker ${label} sent DISCONNECT${reason}`);
}

/**
 * PUBACK / PUBREC packets for released acks, in order, in one buffer: 4 bytes each (fixed header, remaining length
 * 2, packet id). Valid on MQTT 3.1.1 and on 5, where a success reason code with no properties may be left out
 * (MQTT 5 §3.4.2.1, §3.5.2.1). One write per batch instead of one generated packet per ack: acks are the source's
 * most frequent write.
 */
export function encodeAcks(acks: readonly ReleasedAck[]): Buffer {
  const buf = Buffer.allocUnsafe(acks.length * 4);
  let o = 0;
  for (const ack of acks) {
    buf[o] = ack.kind === 'puback' ? 0x40 : 0x50;
    buf[o + 1] = 0x02;
    buf.writeUInt16BE(ack.packetId, o + 2);
    o += 4;
  }
  return buf;
}
