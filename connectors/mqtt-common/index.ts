/**
 * What the MQTT source and sink share: connection keys, their one parser and checks, mqtt.js options, reconnect
 * back-off, client ids, session release, topic rules and `${...}` templates.
 * @packageDocumentation
 */
export { mqttConnectionConfig } from './config';
export { parseServerUris, type ServerUri } from './server-uri';
export {
  parseMqttConnection,
  validateMqttConnection,
  checkMqttConnection,
  intSetting,
  type MqttConnectionSettings,
  type MqttTlsSettings,
} from './settings';
export { mqttClientOptions, tlsOptions, type MqttClientOptions } from './connection';
export { attachReconnectBackoff, backoffDelayMs, ReconnectBackoff } from './reconnect';
export { taskClientId, clientIdOfTask, TASK_CLIENT_ID_KEY } from './client-id';
export { releaseMqttSessions } from './release';
export { validateTopicFilter, validatePublishTopic } from './topics';
export { compileTemplate, resolvePath, type Template, type TemplatePath } from './template';
export { jsonText, placeholderText } from './json-text';
export { readSettingFile, MAX_SETTING_FILE_BYTES } from './setting-file';
export { MQTT_STRING_MAX_BYTES, mqttConnectIdIssues, mqttSubscriptionIssues } from './limits';
