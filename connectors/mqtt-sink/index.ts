/**
 * The MQTT sink connector: Kafka records published to MQTT, offsets committed only after the broker accepted them.
 * @packageDocumentation
 */
import type { SinkConnectorPlugin } from '../../runtime/api';
import { mqttSinkConfigSchema, type SinkSettings } from './config';
import { releaseMqttSessions } from '../mqtt-common';
import { MqttSinkConnector } from './connector';
import { MqttSinkTask } from './task';

export const mqttSinkPlugin: SinkConnectorPlugin<SinkSettings> = {
  type: 'sink',
  className: 'MqttSinkConnector',
  aliases: ['io.ferry.connect.mqtt.MqttSinkConnector'],
  version: '0.1.0',
  description: 'Publishes Kafka records to an MQTT broker (topic templates, QoS 0/1/2, retain, MQTT 5 properties).',
  config: mqttSinkConfigSchema,
  createConnector: () => new MqttSinkConnector(),
  createTask: () => new MqttSinkTask(),
  releaseTasks: releaseMqttSessions,
};

export { MqttSinkConnector } from './connector';
export { MqttSinkTask } from './task';
export {
  mqttSinkConfigSchema,
  parseSinkSettings,
  validateSinkConfig,
  SINK_TEMPLATE_ROOTS,
  PAYLOAD_FORMATS,
  MAX_IN_FLIGHT_LIMIT,
  type SinkSettings,
  type PayloadFormat,
  type RetainSetting,
} from './config';
export { renderRecord, lookupRecord, type PublishMessage } from './render';
