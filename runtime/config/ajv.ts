import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * The one Ajv instance for every configuration schema (connector plugins and the worker). Coercion is on because
 * Connect sends every value as a string; defaults are applied by our own code before validation so that LIST
 * defaults are split and "" means "not set" the same way for every caller.
 */
export const ajv = new Ajv({
  allErrors: true,
  coerceTypes: true,
  strict: true,
  strictTypes: false,
  strictRequired: false,
});
addFormats(ajv);

/** The `x-…` annotations of runtime/api ConfigProperty: shown by REST, ignored by validation. */
for (const keyword of ['x-connect-type', 'x-importance', 'x-group', 'x-display-name', 'x-secret', 'x-env']) {
  ajv.addKeyword({ keyword });
}

/** The config key an ajv error is about: the first segment of its instance path, or the missing property. */
export function errorKey(e: ErrorObject): string {
  if (e.keyword === 'required') return String((e.params as { missingProperty?: string }).missingProperty ?? '');
  if (e.keyword === 'additionalProperties') {
    return String((e.params as { additionalProperty?: string }).additionalProperty ?? '');
  }
  const first = e.instancePath.split('/')[1] ?? '';
  return first.replace(/~1/g, '/').replace(/~0/g, '~');
}
