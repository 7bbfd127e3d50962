import type { ErrorObject } from 'ajv';
import type { ConfigProperty, ConfigType } from '../api';
import { errorKey } from './ajv';

/** The Connect type a property reports: explicit `x-connect-type`, PASSWORD for secrets, else from the JSON type. */
export function connectTypeOf(p: ConfigProperty): ConfigType {
  if (p['x-connect-type'] !== undefined) return p['x-connect-type'];
  if (p['x-secret'] === true) return 'PASSWORD';
  switch (p.type) {
    case 'integer':
      return 'INT';
    case 'number':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'array':
      return 'LIST';
    default:
      return 'STRING';
  }
}

/** How a value is shown in a message: never a secret. */
export function shownValue(value: unknown, secret: boolean): string {
  if (secret) return '[hidden]';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(String).join(',');
  return JSON.stringify(value) ?? String(value);
}

/**
 * Turns one ajv error into a message worded like Connect's ConfigDef ("Invalid value x for configuration
 * tasks.max: Not a number of type INT"), so tooling written against Connect reads familiar text.
 */
export function issueMessage(
  e: ErrorObject,
  properties: Readonly<Record<string, ConfigProperty>>,
  original: Readonly<Record<string, unknown>>,
  isSecret: (key: string) => boolean,
): { key: string; message: string } {
  const key = errorKey(e);
  if (e.keyword === 'required')
    return { key, message: `Missing required configuration "${key}" which has no default value.` };
  if (e.keyword === 'additionalProperties') return { key, message: 'Unknown configuration key' };
  const prop = properties[key];
  const ctype = prop ? connectTypeOf(prop) : 'STRING';
  const params = e.params as Record<string, unknown>;
  let reason: string;
  switch (e.keyword) {
    case 'type':
      if (ctype === 'BOOLEAN') reason = 'Expected value to be either true or false';
      else if (['INT', 'LONG', 'SHORT', 'DOUBLE'].includes(ctype)) reason = `Not a number of type ${ctype}`;
      else reason = `Expected a value of type ${ctype}`;
      break;
    case 'enum':
      reason = `String must be one of: ${((params.allowedValues as unknown[]) ?? []).map(String).join(', ')}`;
      break;
    case 'minimum':
      reason = `Value must be at least ${String(params.limit)}`;
      break;
    case 'exclusiveMinimum':
      reason = `Value must be greater than ${String(params.limit)}`;
      break;
    case 'maximum':
      reason = `Value must be no more than ${String(params.limit)}`;
      break;
    case 'exclusiveMaximum':
      reason = `Value must be less than ${String(params.limit)}`;
      break;
    case 'minLength':
      reason =
        params.limit === 1 ? 'String must be non-empty' : `String must be at least ${String(params.limit)} characters`;
      break;
    case 'maxLength':
      reason = `String must be at most ${String(params.limit)} characters`;
      break;
    case 'pattern':
      reason = `Value must match the pattern ${String(params.pattern)}`;
      break;
    case 'minItems':
      reason = `List must contain at least ${String(params.limit)} item(s)`;
      break;
    case 'format':
      reason = `Value must be a valid ${String(params.format)}`;
      break;
    default:
      reason = e.message ?? e.keyword;
  }
  const value = original[key];
  return { key, message: `Invalid value ${shownValue(value, isSecret(key))} for configuration ${key}: ${reason}` };
}
