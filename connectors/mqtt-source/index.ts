/**
 * The MQTT source connector: MQTT 3.1.1/5 topic filters → Kafka records, each QoS 1/2 message acknowledged to the
 * broker only after Kafka has its record, in arrival order. See docs/mqtt-source.md.
 * @packageDocumentation
 */
export { mqttSourcePlugin, MqttSourceConnector } from './connector';
export { MqttSourceTask, sessionOptionsFrom } from './task';
export {
  mqttSourceConfig,
  validateMqttSource,
  parseSourceSettings,
  type SourceSettings,
  fetchValueSchema,
  schemaRegistryUrl,
  TEMPLATE_ROOTS,
  VALUE_FORMATS,
  type ValueFormat,
  TASK_FILTERS_KEY,
  DEFAULT_MAX_IN_FLIGHT,
} from './config';
export { RecordMapper, mqttHeaders, topicMatches, PARTITION_KEY, type MapperOptions } from './mapping';
export { envelopeSchema, envelopeValue, ENVELOPE_SCHEMA_NAME } from './envelope';
export { jsonToConnect } from './json-value';
export { AckLedger, type Slot, type Admission, type ReleasedAck, type AckKind } from './ack-ledger';
export { SubscriberSession } from './session';
export { RetiringSession } from './retiring-session';
export type {
  SessionOptions,
  InboundMessage,
  Complete,
  MessageHandler,
  SessionState,
  ServerAddress,
  Subscription,
} from './session-types';
export { encodeAcks } from './packets';
