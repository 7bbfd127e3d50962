export { createRootLogger } from './root-logger';
export { LoggerRegistry, parseConnectLevel, CONNECT_LEVELS, ROOT_LOGGER } from './logger-registry';
export type { ConnectLevel, LoggerLevel } from './logger-registry';
export { redactSecrets, isSecretLogKey, REDACTED } from './redact';
