import { SchemaBuilder, Schemas, type Schema } from '../../runtime/api';
import type { InboundMessage } from './session-types';

/** Connect name of the envelope struct; its Avro form is schemas/avro/mqtt-envelope.avsc (record Envelope). */
export const ENVELOPE_SCHEMA_NAME = 'io.ferry.mqtt.Envelope';

const optionalDoc = (b: SchemaBuilder, doc: string): Schema => b.optional().doc(doc).build();

/**
 * The default value of an MQTT source record: everything the MQTT message carried, lossless for any payload (the
 * payload stays bytes). Field order is part of the contract: schemas/avro/mqtt-envelope.avsc lists the same fields
 * in the same order, and a unit test checks that it equals the Avro translation of this schema.
 */
export const envelopeSchema: Schema = SchemaBuilder.struct()
  .name(ENVELOPE_SCHEMA_NAME)
  .doc('An MQTT message as received by the Ferry MQTT source connector.')
  .field('topic', SchemaBuilder.string().doc('The MQTT topic the message was published to.').build())
  .field('payload', SchemaBuilder.bytes().doc('The MQTT payload, unchanged.').build())
  .field('qos', SchemaBuilder.int32().doc('QoS of the delivery to Ferry: 0, 1 or 2.').build())
  .field('retain', SchemaBuilder.bool().doc('True for a retained message sent on subscribe.').build())
  .field('dup', SchemaBuilder.bool().doc('True when the broker flagged the delivery as a possible resend.').build())
  .field('arrival_time', SchemaBuilder.timestamp().doc('When Ferry read the message from the broker.').build())
  .field('packet_id', optionalDoc(SchemaBuilder.int32(), 'MQTT packet identifier (QoS 1 and 2 only).'))
  .field(
    'message_expiry_interval',
    optionalDoc(SchemaBuilder.int64(), 'MQTT 5 Message Expiry Interval in seconds, as received.'),
  )
  .field('content_type', optionalDoc(SchemaBuilder.string(), 'MQTT 5 Content Type.'))
  .field('response_topic', optionalDoc(SchemaBuilder.string(), 'MQTT 5 Response Topic.'))
  .field('correlation_data', optionalDoc(SchemaBuilder.bytes(), 'MQTT 5 Correlation Data.'))
  .field(
    'payload_format_utf8',
    optionalDoc(SchemaBuilder.bool(), 'MQTT 5 Payload Format Indicator: true when the publisher declared UTF-8 text.'),
  )
  .field(
    'user_properties',
    optionalDoc(
      SchemaBuilder.map(Schemas.STRING, Schemas.STRING),
      'MQTT 5 user properties. A name sent more than once maps to a JSON array of its values, in order.',
    ),
  )
  .build();

/** MQTT 5 user properties as name → value; a repeated name keeps every value, as a JSON array text. */
export function userPropertiesMap(message: InboundMessage): Record<string, string> | null {
  const props = message.properties?.userProperties;
  if (!props) return null;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(props)) {
    out[name] = Array.isArray(value) ? JSON.stringify(value) : value;
  }
  return out;
}

/** The envelope struct value (Connect's data model: a plain object; Timestamp a `Date`). */
export function envelopeValue(message: InboundMessage): Record<string, unknown> {
  const p = message.properties;
  return {
    topic: message.topic,
    payload: message.payload,
    qos: message.qos,
    retain: message.retain,
    dup: message.dup,
    arrival_time: new Date(message.arrivalTime),
    packet_id: message.packetId ?? null,
    message_expiry_interval: p?.messageExpiryInterval ?? null,
    content_type: p?.contentType ?? null,
    response_topic: p?.responseTopic ?? null,
    correlation_data: p?.correlationData ?? null,
    payload_format_utf8: p?.payloadFormatIndicator ?? null,
    user_properties: userPropertiesMap(message),
  };
}
