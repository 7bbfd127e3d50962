export { DataProducer } from './producer';
export type { DeliveryCallback } from './producer';
export { KafkaAdmin } from './admin';
export type { TopicSpec } from './admin';
export { KafkaLog } from './log';
export type { LogRecord } from './log';
export { DEFAULT_THREAD_POOL_SIZE, INTERNAL_POOL_WAITERS, threadPoolSize } from './thread-pool';
export { allTopicsMetadata, connectOptions, releaseConnectMetadata, topicMetadata } from './metadata';
