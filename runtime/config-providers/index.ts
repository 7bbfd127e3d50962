export { ConfigProviders, hasPlaceholders, MAX_PROVIDER_FILES, type ConfigProviderPolicy } from './config-providers';
export { parseProperties } from './properties';
export { readCappedFile, allowedRealPath, FileRefusedError, MAX_PROVIDER_FILE_BYTES } from './file-reader';
export { rememberResolved, scrubResolved, scrubTrace, forgetResolved, MIN_SCRUBBED_LENGTH } from './secret-values';
