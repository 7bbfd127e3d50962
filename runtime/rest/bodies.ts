import { FerryError, type RawConfig } from '../api';
import type { ConnectorOffsets, TargetState } from '../herder/types';

/** A 400 with Connect's body; handlers throw these for malformed requests. */
export function badRequest(message: string): FerryError {
  return new FerryError('BAD_REQUEST', message);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** The request body, which must be a JSON object; `what` names it in the error. */
export function objectBody(body: unknown, what: string): Record<string, unknown> {
  if (body === undefined) throw badRequest(`Request body is missing: expected ${what} (a JSON object)`);
  if (!isPlainObject(body)) throw badRequest(`Request body must be ${what} (a JSON object), not ${describe(body)}`);
  return body;
}

/**
 * A connector config as Connect accepts it: string values; numbers and booleans become strings (Jackson does the
 * same for Map<String,String>); anything else is refused naming the key. `field` prefixes key names in errors.
 */
export function rawConfig(value: unknown, field: string | undefined): RawConfig {
  const where = field === undefined ? 'Request body' : `Field "${field}"`;
  if (!isPlainObject(value))
    throw badRequest(`${where} must be a JSON object of configuration values, not ${describe(value)}`);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) out[key] = configString(key, v, field, false) as string;
  return out;
}

/** A PATCH body: like a config, and `null` removes the key. */
export function configPatch(value: unknown): Record<string, string | null> {
  if (!isPlainObject(value))
    throw badRequest(`Request body must be a JSON object of configuration values, not ${describe(value)}`);
  const out: Record<string, string | null> = {};
  for (const [key, v] of Object.entries(value)) out[key] = configString(key, v, undefined, true);
  return out;
}

function configString(key: string, v: unknown, field: string | undefined, nullable: boolean): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null && nullable) return null;
  const name = field === undefined ? key : `${field}.${key}`;
  throw badRequest(`Configuration key "${name}" must have a string value, not ${describe(v)}`);
}

const INITIAL_STATES: Readonly<Record<string, TargetState>> = {
  RUNNING: 'STARTED',
  PAUSED: 'PAUSED',
  STOPPED: 'STOPPED',
};

export interface CreateRequest {
  readonly name: string;
  readonly config: RawConfig;
  readonly initialState?: TargetState;
}

/** `POST /connectors` body: `{"name","config","initial_state"?}`; config.name, if given, must match. */
export function createRequest(body: unknown): CreateRequest {
  const b = objectBody(body, 'a connector creation request {"name", "config"}');
  if (typeof b.name !== 'string' || b.name.trim() === '') {
    throw badRequest(
      b.name === undefined || b.name === null
        ? 'Field "name" is required: the connector name'
        : `Field "name" must be a non-empty string, not ${typeof b.name === 'string' ? 'an empty string' : describe(b.name)}`,
    );
  }
  const name = b.name.trim();
  if (b.config === undefined || b.config === null)
    throw badRequest('Field "config" is required: the connector configuration');
  const config = rawConfig(b.config, 'config');
  if (config.name !== undefined && config.name !== name) {
    throw badRequest(
      `Connector name configuration (${config.name}) doesn't match connector name in the request (${name})`,
    );
  }
  let initialState: TargetState | undefined;
  if (b.initial_state !== undefined && b.initial_state !== null) {
    const s = typeof b.initial_state === 'string' ? INITIAL_STATES[b.initial_state.trim().toUpperCase()] : undefined;
    if (s === undefined) {
      throw badRequest(
        `Invalid value ${JSON.stringify(b.initial_state)} for field "initial_state": expected RUNNING, PAUSED or STOPPED`,
      );
    }
    initialState = s;
  }
  return { name, config: { ...config, name }, ...(initialState !== undefined ? { initialState } : {}) };
}

/** A config sent to `PUT /connectors/{name}/config`: `name` is optional but must match the URL. */
export function namedConfig(body: unknown, name: string): RawConfig {
  const config = rawConfig(objectBody(body, 'a connector configuration'), undefined);
  if (config.name !== undefined && config.name !== name) {
    throw badRequest(`Connector name configuration (${config.name}) doesn't match connector name in the URL (${name})`);
  }
  return { ...config, name };
}

/** `PATCH /connectors/{name}/config` body; the name cannot be changed or removed. */
export function namedPatch(body: unknown, name: string): Record<string, string | null> {
  const patch = configPatch(objectBody(body, 'a connector configuration patch'));
  if ('name' in patch && patch.name !== name) {
    throw badRequest(
      patch.name === null
        ? 'Configuration key "name" cannot be removed'
        : `Connector name configuration (${patch.name}) doesn't match connector name in the URL (${name})`,
    );
  }
  return patch;
}

/** `PATCH /connectors/{name}/offsets` body: at least one `{partition:{…}, offset:{…}|null}`. */
export function offsetsBody(body: unknown): ConnectorOffsets {
  const b = objectBody(body, 'an offsets request {"offsets": [...]}');
  if (b.offsets === undefined || b.offsets === null || (Array.isArray(b.offsets) && b.offsets.length === 0)) {
    throw badRequest('Partitions / offsets need to be provided for an alter offsets request');
  }
  if (!Array.isArray(b.offsets)) throw badRequest(`Field "offsets" must be an array, not ${describe(b.offsets)}`);
  const offsets = b.offsets.map((entry: unknown, i) => {
    if (!isPlainObject(entry))
      throw badRequest(`offsets[${i}] must be an object {"partition", "offset"}, not ${describe(entry)}`);
    if (!isPlainObject(entry.partition)) {
      throw badRequest(`offsets[${i}].partition must be a JSON object, not ${describe(entry.partition)}`);
    }
    if (!('offset' in entry))
      throw badRequest(`offsets[${i}].offset is required (an object, or null to clear the partition)`);
    if (entry.offset !== null && !isPlainObject(entry.offset)) {
      throw badRequest(`offsets[${i}].offset must be a JSON object or null, not ${describe(entry.offset)}`);
    }
    return { partition: entry.partition, offset: entry.offset };
  });
  return { offsets };
}

/** A boolean query flag: absent → the default; `true`/`false` (any case); anything else is a 400 naming the flag. */
export function queryFlag(value: unknown, name: string, dflt: boolean): boolean {
  const v = Array.isArray(value) ? value[value.length - 1] : value;
  if (v === undefined || v === '') return dflt;
  if (typeof v === 'string') {
    const l = v.trim().toLowerCase();
    if (l === 'true') return true;
    if (l === 'false') return false;
  }
  throw badRequest(`Invalid value ${JSON.stringify(v)} for query parameter ${name}: expected true or false`);
}

/** Values of a repeatable query parameter (`?expand=status&expand=info`). */
export function queryList(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}
