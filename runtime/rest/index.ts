export { createRestApp } from './app';
export type { RestDeps } from './app';
export { startRestServer } from './server';
export type { RestServer } from './server';
export { errorResponse } from './errors';
export type { ErrorMessage } from './errors';
export { openApiDocument, BODY_SCHEMAS } from './openapi';
