export { resolveConfigProviders, hasPlaceholders, parseProperties } from './config-providers';
