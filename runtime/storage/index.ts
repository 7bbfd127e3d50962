export { canonicalJson } from './canonical-json';
export { InternalTopic } from './internal-topics';
export type { InternalTopicSpec } from './internal-topics';
export { ConfigStore } from './config-store';
export type { ConfigEvent, ConnectorState } from './config-store';
export { OffsetStore, offsetKey } from './offset-store';
export type { StoredOffset } from './offset-store';
export { StatusStore } from './status-store';
export type { StatusRecord, TopicUse } from './status-store';
