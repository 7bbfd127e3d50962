export { DataProducer } from './producer';
export type { DeliveryCallback } from './producer';
export { KafkaAdmin } from './admin';
export type { TopicSpec } from './admin';
export { KafkaLog } from './log';
export type { LogRecord } from './log';
export { allTopicsMetadata, connectClient, topicMetadata } from './metadata';
export { kafkaClientConfig } from './client-config';
export type { KafkaClientConf, KafkaClientKind } from './client-config';
