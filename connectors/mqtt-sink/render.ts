import type { IClientPublishOptions } from 'mqtt';
import { BASE64_HEADER_SUFFIX, RecordError, fieldOf, headerOf, type SinkRecord } from '../../runtime/api';
import { jsonText, placeholderText, resolvePath, validatePublishTopic, type TemplatePath } from '../mqtt-common';
import type { SinkSettings } from './config';

/** One rendered MQTT publish. */
export interface PublishMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly options: IClientPublishOptions;
}

type UserProperties = Record<string, string | string[]>;

const EMPTY = Buffer.alloc(0);

/**
 * Renders one record into an MQTT publish; `null` when the record publishes nothing (a skipped tombstone). Throws a
 * {@link RecordError} when it cannot be rendered: a placeholder without a value, an invalid rendered topic, a value
 * the payload format cannot write.
 */
export function renderRecord(record: SinkRecord, settings: SinkSettings): PublishMessage | null {
  const lookup = (p: TemplatePath): unknown => lookupRecord(record, p);
  if (record.value === null || record.value === undefined) {
    if (settings.nullValue === 'skip') return null;
    if (settings.nullValue === 'reject') throw new RecordError('the record value is null (a tombstone)');
  }
  const topic = settings.topic.render(lookup);
  const problem = validatePublishTopic(topic);
  if (problem) throw new RecordError(`rendered mqtt.topic is not valid: ${problem}`);

  const options: { qos: 0 | 1 | 2; retain: boolean; properties?: NonNullable<IClientPublishOptions['properties']> } = {
    qos: settings.qos,
    retain: renderRetain(settings, lookup),
  };
  const payload = renderPayload(record, settings, lookup);
  if (settings.protocolVersion === 5) {
    const properties = renderProperties(record, settings, lookup);
    if (properties) options.properties = properties;
  }
  return { topic, payload, options };
}

/** The value of one placeholder for a record. */
export function lookupRecord(record: SinkRecord, p: TemplatePath): unknown {
  switch (p.root) {
    case 'key':
      return resolvePath(record.key, p.path);
    case 'value':
      return resolvePath(record.value, p.path);
    case 'kafka.topic':
      return p.path.length === 0 ? record.topic : undefined;
    case 'kafka.partition':
      return p.path.length === 0 ? record.kafkaPartition : undefined;
    case 'kafka.offset':
      return p.path.length === 0 ? record.kafkaOffset : undefined;
    case 'timestamp':
      return p.path.length === 0 ? record.timestamp : undefined;
    case 'header': {
      const [name, ...rest] = p.path;
      if (typeof name !== 'string') return undefined;
      return resolvePath(headerOf(record, name)?.value, rest);
    }
    default:
      return undefined;
  }
}

function renderRetain(settings: SinkSettings, lookup: (p: TemplatePath) => unknown): boolean {
  const retain = settings.retain;
  if ('fixed' in retain) return retain.fixed;
  const single = retain.from.single as TemplatePath;
  const v = lookup(single);
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  const text = placeholderText(v).trim().toLowerCase();
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0' || text === '') return false;
  throw new RecordError(`\${${single.text}} is "${text}", not a retain flag (true or false)`);
}

function renderPayload(record: SinkRecord, settings: SinkSettings, lookup: (p: TemplatePath) => unknown): Buffer {
  const value = record.value;
  if (value === null || value === undefined) return EMPTY;
  switch (settings.payloadFormat) {
    case 'json':
      return Buffer.from(jsonText(value), 'utf8');
    case 'string':
      return Buffer.isBuffer(value) ? value : Buffer.from(placeholderText(value), 'utf8');
    case 'bytes':
      if (Buffer.isBuffer(value)) return value;
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      if (typeof value === 'string') return Buffer.from(value, 'utf8');
      if (record.rawValue) return record.rawValue;
      throw new RecordError('mqtt.payload.format=bytes needs a bytes or string value (e.g. ByteArrayConverter)');
    case 'envelope':
      return envelopePayload(record);
    case 'template':
      return Buffer.from((settings.payloadTemplate ?? settings.topic).render(lookup), 'utf8');
  }
}

/**
 * The original MQTT payload of an envelope value: the `payload` field's bytes. A schemaless converter (JSON without
 * schemas) carries bytes as base64 text, so text is decoded as base64 unless the schema says the field is a string.
 */
function envelopePayload(record: SinkRecord): Buffer {
  const value = record.value;
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) {
    throw new RecordError('mqtt.payload.format=envelope needs a struct value with a payload field');
  }
  const payload = resolvePath(value, ['payload']);
  if (payload === null || payload === undefined) return EMPTY;
  if (Buffer.isBuffer(payload)) return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (typeof payload === 'string') {
    const fieldSchema = record.valueSchema ? fieldOf(record.valueSchema, 'payload')?.schema : undefined;
    return fieldSchema?.type === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload, 'base64');
  }
  throw new RecordError('the envelope payload field is not bytes');
}

function renderProperties(
  record: SinkRecord,
  settings: SinkSettings,
  lookup: (p: TemplatePath) => unknown,
): IClientPublishOptions['properties'] | undefined {
  const props: NonNullable<IClientPublishOptions['properties']> = {};
  let any = false;
  let user: UserProperties | undefined;
  const addUser = (key: string, value: string): void => {
    user ??= {};
    const prev = user[key];
    if (prev === undefined) user[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else user[key] = [prev, value];
  };
  if (settings.payloadFormat === 'envelope') {
    forEachEnvelopeProperty(resolvePath(record.value, ['user_properties']), addUser);
  }
  if (settings.payloadFormat === 'envelope') {
    // What the original publisher declared travels with the envelope; configured keys take precedence below.
    const env = record.value;
    const contentType = resolvePath(env, ['content_type']);
    if (typeof contentType === 'string') props.contentType = contentType;
    const responseTopic = resolvePath(env, ['response_topic']);
    if (typeof responseTopic === 'string' && validatePublishTopic(responseTopic) === undefined) {
      props.responseTopic = responseTopic;
    }
    const correlation = resolvePath(env, ['correlation_data']);
    if (Buffer.isBuffer(correlation)) props.correlationData = correlation;
    const utf8 = resolvePath(env, ['payload_format_utf8']);
    if (typeof utf8 === 'boolean') props.payloadFormatIndicator = utf8;
    any = Object.keys(props).length > 0;
  }
  if (settings.userPropertiesFromHeaders) {
    for (const h of record.headers) {
      if (h.value === null || h.value === undefined) continue;
      addUser(h.key, placeholderText(h.value));
    }
  }
  if (user) {
    props.userProperties = user;
    any = true;
  }
  if (settings.messageExpirySeconds !== undefined) {
    props.messageExpiryInterval = settings.messageExpirySeconds;
    any = true;
  }
  if (settings.contentType) {
    props.contentType = settings.contentType.render(lookup);
    any = true;
  }
  if (settings.responseTopic) {
    const topic = settings.responseTopic.render(lookup);
    const problem = validatePublishTopic(topic);
    if (problem) throw new RecordError(`rendered mqtt.response.topic is not valid: ${problem}`);
    props.responseTopic = topic;
    any = true;
  }
  if (settings.correlationDataHeader !== undefined) {
    const name = settings.correlationDataHeader;
    const v = headerOf(record, name)?.value;
    if (v !== undefined && v !== null) {
      const bytes = Buffer.isBuffer(v) ? v : Buffer.from(placeholderText(v), 'utf8');
      // A *.base64 header (binary data, as the MQTT source writes it) holds the base64 text of the bytes.
      props.correlationData = name.endsWith(BASE64_HEADER_SUFFIX)
        ? Buffer.from(bytes.toString('ascii'), 'base64')
        : bytes;
      any = true;
    }
  }
  return any ? props : undefined;
}

/** Envelope user properties as a map (`Map` or object, values text or lists) or a list of `{key, value}` pairs. */
function forEachEnvelopeProperty(props: unknown, add: (key: string, value: string) => void): void {
  if (props === null || props === undefined) return;
  const addValue = (key: string, v: unknown): void => {
    if (v === null || v === undefined) return;
    if (Array.isArray(v)) v.forEach((x) => addValue(key, x));
    else add(key, placeholderText(v));
  };
  if (Array.isArray(props)) {
    for (const p of props) {
      if (Array.isArray(p)) addValue(String(p[0]), p[1]);
      else if (p && typeof p === 'object') {
        const o = p as Record<string, unknown>;
        const key = o.key ?? o.name;
        if (typeof key === 'string') addValue(key, o.value);
      }
    }
  } else if (props instanceof Map) {
    for (const [k, v] of props) addValue(String(k), v);
  } else if (typeof props === 'object') {
    for (const [k, v] of Object.entries(props)) addValue(k, v);
  }
}
