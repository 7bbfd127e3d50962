export { ajv } from './ajv';
export {
  parseConnectorConfig,
  parseTaskConfig,
  commonProperties,
  splitList,
  COMMON_GROUP,
  TOPIC_CREATION_GROUP,
} from './connector-config';
export {
  validateConnectorConfig,
  resolveForValidation,
  configKeyInfos,
  pluginFor,
  configInfosIssues,
  invalidConfigError,
} from './config-infos';
export { connectTypeOf } from './messages';
export {
  HIDDEN,
  secretKeys,
  maskSecrets,
  keepHiddenSecrets,
  workerSettingsFor,
  isPlaceholder,
  looksSecret,
} from './secrets';
export {
  parseWorkerConfig,
  unusedFerryEnv,
  WORKER_ENV_ALIASES,
  STRING_CONVERTER,
  AVRO_CONVERTER,
} from './worker-config';
export type { RestAuthSettings, RestTlsSettings, WorkerConfig } from './worker-config';
export { KAFKA_SECURITY_KEYS, parseKafkaClientSettings } from './kafka-clients';
export type { KafkaClientSettings } from './kafka-clients';
export { noPipelineHooks } from './types';
export type { PipelineHooks, PipelineConfigKey } from './types';
export { renderConfigReference } from './reference';
export {
  DEFAULT_LIMITS,
  assertRoomForConnector,
  CONNECTOR_NAME_MAX_LENGTH,
  connectorNameIssues,
  kafkaIdIssues,
  tasksMaxIssues,
} from './limits';
export type { ConnectorLimits } from './limits';
export { EXACTLY_ONCE_GROUP, exactlyOnceIssues, sourceDelivery } from './exactly-once';
export type { SourceDelivery } from './exactly-once';
