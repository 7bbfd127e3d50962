import {
  BASE64_HEADER_SUFFIX,
  RecordError,
  Schemas,
  headerBytesFit,
  type Header,
  type Schema,
  type SourceRecord,
} from '../../runtime/api';
import { resolvePath, type TemplatePath } from '../mqtt-common';
import { kafkaTopicProblem, type SourceTemplates, type ValueFormat } from './config';
import { envelopeSchema, envelopeValue } from './envelope';
import { jsonToConnect } from './json-value';
import type { InboundMessage } from './session-types';

/** Header of MQTT 5 correlation data that is not UTF-8 text: its base64 text (a Kafka header would alter the bytes). */
export const CORRELATION_BASE64 = `mqtt.correlation.data${BASE64_HEADER_SUFFIX}`;

/** Source partition key: one partition per configured filter. */
export const PARTITION_KEY = 'mqtt.filter';

export interface MapperOptions {
  readonly templates: SourceTemplates;
  readonly valueFormat: ValueFormat;
  /** Connect schema of json values (from mqtt.value.schema.file); undefined = schemaless json. */
  readonly valueSchema?: Schema;
  /** The configured filters, unshared: a message's source partition is the first one its topic matches. */
  readonly filters: readonly string[];
  /** Progress to continue from, per filter (from the offsets topic). */
  readonly initialCounts?: ReadonlyMap<string, number>;
}

const NO_JSON = Symbol('no json');

/** Topics whose matching filter is remembered. */
const TOPIC_CACHE_SIZE = 10_000;

/** One MQTT message's lazily parsed JSON payload (parsed at most once, only when a template or format needs it). */
export class PayloadView {
  private parsed: unknown = NO_JSON;
  private error: Error | undefined;
  constructor(private readonly payload: Buffer) {}

  json(): unknown {
    if (this.error) throw this.error;
    if (this.parsed === NO_JSON) {
      try {
        this.parsed = JSON.parse(this.payload.toString('utf8'));
      } catch (err) {
        this.error = new RecordError(`payload is not JSON: ${(err as Error).message}`, { cause: err });
        throw this.error;
      }
    }
    return this.parsed;
  }
}

/**
 * Builds Kafka records from MQTT messages: topic and key from templates, MQTT metadata as headers, the value per
 * `mqtt.value.format`, offsets per filter. Compiled once per task; {@link toRecord} never throws.
 */
export class RecordMapper {
  private readonly counts = new Map<string, number>();
  /** One source partition object per filter, shared by its records (the runner keys its offsets by it). */
  private readonly partitions = new Map<string, Readonly<Record<string, string>>>();
  /** The filter each recently seen topic matched: devices publish to the same topics over and over. */
  private readonly filterByTopic = new Map<string, string>();

  constructor(private readonly opts: MapperOptions) {
    for (const f of opts.filters) this.counts.set(f, opts.initialCounts?.get(f) ?? 0);
  }

  private filterOf(topic: string): string {
    let filter = this.filterByTopic.get(topic);
    if (filter === undefined) {
      filter = this.opts.filters.find((f) => topicMatches(f, topic)) ?? this.opts.filters[0] ?? '#';
      // Bounded: a fleet with more topics than this starts over rather than growing without end.
      if (this.filterByTopic.size >= TOPIC_CACHE_SIZE) this.filterByTopic.clear();
      this.filterByTopic.set(topic, filter);
    }
    return filter;
  }

  /** `payload`: the message's payload view when the caller already made one (its JSON is parsed at most once). */
  toRecord(message: InboundMessage, payload = new PayloadView(message.payload)): SourceRecord {
    const filter = this.filterOf(message.topic);
    const count = (this.counts.get(filter) ?? 0) + 1;
    this.counts.set(filter, count);
    let sourcePartition = this.partitions.get(filter);
    if (sourcePartition === undefined) {
      sourcePartition = Object.freeze({ [PARTITION_KEY]: filter });
      this.partitions.set(filter, sourcePartition);
    }
    const sourceOffset = { arrival_time: message.arrivalTime, count };
    const headers = mqttHeaders(message);
    const lookup = (p: TemplatePath): unknown => lookupPlaceholder(p, message, payload);
    let topic = '';
    try {
      if (message.oversizedBytes !== undefined) {
        throw new RecordError(
          `MQTT message of ${message.oversizedBytes} bytes is larger than mqtt.max.packet.bytes; its payload was dropped unread`,
        );
      }
      topic = this.opts.templates.topic.render(lookup);
      const bad = kafkaTopicProblem(topic);
      if (bad) throw new RecordError(`kafka.topic rendered ${bad}`);
      const key = this.opts.templates.key.render(lookup);
      const { value, valueSchema } = this.value(message, payload);
      return {
        topic,
        keySchema: Schemas.STRING,
        key,
        ...(valueSchema ? { valueSchema } : {}),
        value,
        timestamp: message.arrivalTime,
        headers,
        sourcePartition,
        sourceOffset,
        originalBytes: message.payload,
      };
    } catch (err) {
      // A message that cannot become a record (payload not JSON, not fitting the value schema, a placeholder
      // without a value) still goes to the runtime, raw, marked failed: its error policy decides (DLQ or fail).
      return {
        topic,
        keySchema: Schemas.STRING,
        key: message.topic,
        value: message.payload,
        timestamp: message.arrivalTime,
        headers,
        sourcePartition,
        sourceOffset,
        originalBytes: message.payload,
        failure: err instanceof RecordError ? err : new RecordError(err instanceof Error ? err.message : String(err)),
      };
    }
  }

  private value(message: InboundMessage, payload: PayloadView): { value: unknown; valueSchema?: Schema } {
    switch (this.opts.valueFormat) {
      case 'envelope':
        return { value: envelopeValue(message), valueSchema: envelopeSchema };
      case 'bytes':
        return { value: message.payload, valueSchema: Schemas.BYTES };
      case 'string':
        return { value: message.payload.toString('utf8'), valueSchema: Schemas.STRING };
      case 'json': {
        const parsed = payload.json();
        const schema = this.opts.valueSchema;
        return schema ? { value: jsonToConnect(schema, parsed), valueSchema: schema } : { value: parsed };
      }
    }
  }
}

export function lookupPlaceholder(p: TemplatePath, message: InboundMessage, payload: PayloadView): unknown {
  switch (p.root) {
    case 'mqtt.topic': {
      if (p.path.length === 0) return message.topic;
      const [level, ...rest] = p.path;
      if (typeof level !== 'number' || rest.length > 0) return undefined;
      return message.topic.split('/')[level];
    }
    case 'mqtt.qos':
      return message.qos;
    case 'mqtt.retain':
      return message.retain;
    case 'mqtt.user.property': {
      const [name] = p.path;
      const v = name === undefined ? undefined : message.properties?.userProperties?.[String(name)];
      return Array.isArray(v) ? v[0] : v;
    }
    case 'payload':
      return p.path.length === 0 ? message.payload : resolvePath(payload.json(), p.path);
    default:
      return undefined;
  }
}

/** The MQTT metadata every record carries as Kafka headers; each MQTT 5 user property as a header of its own name. */
export function mqttHeaders(message: InboundMessage): Header[] {
  const headers: Header[] = [
    { key: 'mqtt.topic', value: message.topic, schema: Schemas.STRING },
    { key: 'mqtt.qos', value: message.qos, schema: Schemas.INT32 },
    { key: 'mqtt.retain', value: message.retain, schema: Schemas.BOOLEAN },
    { key: 'mqtt.dup', value: message.dup, schema: Schemas.BOOLEAN },
  ];
  const p = message.properties;
  if (!p) return headers;
  if (p.messageExpiryInterval !== undefined) {
    headers.push({ key: 'mqtt.message.expiry', value: p.messageExpiryInterval, schema: Schemas.INT64 });
  }
  if (p.contentType !== undefined)
    headers.push({ key: 'mqtt.content.type', value: p.contentType, schema: Schemas.STRING });
  if (p.responseTopic !== undefined) {
    headers.push({ key: 'mqtt.response.topic', value: p.responseTopic, schema: Schemas.STRING });
  }
  if (p.correlationData !== undefined) {
    // Binary correlation data cannot go into a Kafka header unchanged (see headerBytesFit): it goes as base64 text.
    const data = p.correlationData;
    if (headerBytesFit(data)) headers.push({ key: 'mqtt.correlation.data', value: data, schema: Schemas.BYTES });
    else headers.push({ key: CORRELATION_BASE64, value: data.toString('base64'), schema: Schemas.STRING });
  }
  for (const [name, value] of Object.entries(p.userProperties ?? {})) {
    for (const v of Array.isArray(value) ? value : [value])
      headers.push({ key: name, value: v, schema: Schemas.STRING });
  }
  return headers;
}

/** MQTT topic matching: `+` one level, `#` the rest (including the parent level); `$…` topics need a literal start. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
