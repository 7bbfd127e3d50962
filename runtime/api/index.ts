/**
 * Ferry's plugin contract. Connectors import only this module from the runtime.
 * @packageDocumentation
 */
export * from './schema';
export * from './record';
export * from './errors';
export * from './config';
export * from './settings';
export * from './connector';
export * from './schema-reader';
