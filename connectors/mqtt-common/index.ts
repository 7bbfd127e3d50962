/**
 * What the MQTT source and sink share: connection keys and their checks, mqtt.js options, client ids, topic rules
 * and `${...}` templates.
 * @packageDocumentation
 */
export { mqttConnectionConfig } from './config';
export { parseServerUris, type ServerUri } from './server-uri';
export { validateMqttConnection, mqttClientOptions, type MqttClientOptions } from './connection';
export { attachReconnectBackoff, backoffDelayMs } from './reconnect';
export { taskClientId } from './client-id';
export { validateTopicFilter, validatePublishTopic } from './topics';
export { compileTemplate, resolvePath, type Template, type TemplatePath } from './template';
export { jsonText, placeholderText } from './json-text';
export { readSettingFile, MAX_SETTING_FILE_BYTES } from './setting-file';
export { MQTT_STRING_MAX_BYTES, mqttConnectIdIssues, mqttSubscriptionIssues } from './limits';
