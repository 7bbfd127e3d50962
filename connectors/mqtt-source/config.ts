import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  ConfigError,
  UnavailableError,
  configNumber,
  configString,
  defineSettings,
  settingsReader,
  type ConfigIssue,
  type ConfigProperty,
  type SettingsReader,
  type ConfigValues,
  type RawConfig,
  type Schema,
  type SchemaReader,
  type ValidationContext,
} from '../../runtime/api';
import {
  compileTemplate,
  mqttConnectionConfig,
  mqttSubscriptionIssues,
  parseMqttConnection,
  readSettingFile,
  validateMqttConnection,
  validateTopicFilter,
  type MqttConnectionSettings,
  type Template,
} from '../mqtt-common';
import { DEDUP_PROPERTIES } from './dedup';

const GROUP_SUB = 'MQTT Subscription';
const GROUP_MAP = 'Kafka Mapping';

export const VALUE_FORMATS = ['envelope', 'json', 'bytes', 'string'] as const;
export type ValueFormat = (typeof VALUE_FORMATS)[number];

/** Placeholders a `kafka.topic` / `kafka.key` template may use. */
export const TEMPLATE_ROOTS = ['mqtt.topic', 'mqtt.qos', 'mqtt.retain', 'mqtt.user.property', 'payload'] as const;

/** Key the connector adds to each task config (not a user setting): the task's subscriptions, shared or not. */
export const TASK_FILTERS_KEY = 'mqtt.task.filters';

/**
 * The repo's schemas/ folder: a relative `mqtt.value.schema.file` is resolved against it. Two levels up from the
 * sources, three from the build output (dist/connectors/mqtt-source).
 */
export const SCHEMAS_DIR =
  [path.resolve(__dirname, '..', '..', 'schemas'), path.resolve(__dirname, '..', '..', '..', 'schemas')].find((d) =>
    existsSync(path.join(d, 'avro')),
  ) ?? path.resolve(__dirname, '..', '..', 'schemas');

export const DEFAULT_MAX_IN_FLIGHT = 2000;

const sourceProperties: Record<string, ConfigProperty> = {
  'mqtt.topics': {
    type: 'array',
    items: { type: 'string' },
    minItems: 1,
    description:
      'MQTT topic filters to read, comma-separated; + and # wildcards allowed (e.g. "factory/+/temp,alarms/#"). ' +
      'With tasks.max > 1 every filter is read through the shared subscription $share/<mqtt.share.group>/<filter>.',
    'x-importance': 'HIGH',
    'x-group': GROUP_SUB,
  },
  'mqtt.qos': {
    type: 'integer',
    minimum: 0,
    maximum: 2,
    default: 1,
    description:
      'Maximum QoS of the subscriptions: 0, 1 (default) or 2. With 1 and 2 a message is acknowledged to the broker ' +
      'only after Kafka has its record; with 0 nothing is acknowledged and a crash loses what was in flight.',
    'x-importance': 'HIGH',
    'x-group': GROUP_SUB,
  },
  'mqtt.max.in.flight': {
    type: 'integer',
    minimum: 1,
    maximum: 65535,
    default: DEFAULT_MAX_IN_FLIGHT,
    description:
      'Messages read from the broker and not yet in Kafka, at most, per task. When the window is full the task ' +
      'stops reading from the broker, which keeps the rest queued. Also announced as the MQTT 5 Receive Maximum.',
    'x-importance': 'MEDIUM',
    'x-group': GROUP_SUB,
  },
  'mqtt.max.packet.bytes': {
    type: 'integer',
    minimum: 64,
    maximum: 268435460,
    // 1 MiB: what fits, with the envelope around it, in a record under Kafka's default 1 MB message limit… nearly.
    default: 1_048_576,
    description:
      'Largest MQTT packet a task accepts, in bytes (whole PUBLISH: header, topic, properties, payload). Announced ' +
      'as the MQTT 5 Maximum Packet Size, so the broker does not send larger messages; on MQTT 3.1.1, or from a ' +
      'broker that ignores it, a larger PUBLISH is dropped as it is read, never held in memory, and goes to the ' +
      "connector's error policy with the reason (dead-letter queue, or the task fails); it is acknowledged, in order.",
    'x-importance': 'MEDIUM',
    'x-group': GROUP_SUB,
  },
  'mqtt.share.group': {
    type: 'string',
    pattern: '^[^/+#]+$',
    description:
      'Group name of the shared subscriptions used when tasks.max > 1. Defaults to the connector name (with / + # ' +
      'replaced by _).',
    'x-importance': 'LOW',
    'x-group': GROUP_SUB,
  },
  'kafka.topic': {
    type: 'string',
    minLength: 1,
    description:
      'Kafka topic, a template: fixed ("iot.raw") or built from the message, e.g. "iot.${mqtt.topic[1]}" (topic ' +
      'levels count from 0) or "telemetry.${payload.site}" (a JSON payload field). Placeholders: ${mqtt.topic}, ' +
      '${mqtt.topic[n]}, ${mqtt.qos}, ${mqtt.retain}, ${mqtt.user.property.<name>}, ${payload}, ${payload.<field>}.',
    'x-importance': 'HIGH',
    'x-group': GROUP_MAP,
  },
  'kafka.key': {
    type: 'string',
    default: '${mqtt.topic}',
    description:
      'Record key (a string), a template with the placeholders of kafka.topic. Default ${mqtt.topic}: the records ' +
      'of one device topic share a key, so they land in one partition, in order.',
    'x-importance': 'MEDIUM',
    'x-group': GROUP_MAP,
  },
  'mqtt.value.format': {
    type: 'string',
    enum: VALUE_FORMATS,
    default: 'envelope',
    description:
      'Record value: "envelope" (default) — a struct io.ferry.mqtt.Envelope (schemas/avro/mqtt-envelope.avsc) with ' +
      'topic, payload bytes, QoS, retain, dup, arrival time and MQTT 5 properties, lossless for any payload; ' +
      '"json" — the payload parsed as JSON, typed by mqtt.value.schema.file when given; "bytes" — the payload ' +
      'unchanged; "string" — the payload as UTF-8 text.',
    'x-importance': 'HIGH',
    'x-group': GROUP_MAP,
  },
  'mqtt.value.schema.file': {
    type: 'string',
    description:
      'With mqtt.value.format=json: an Avro schema (.avsc) the JSON payload must fit; a relative path is resolved ' +
      "against Ferry's schemas/ folder. Without it, json values are schemaless.",
    'x-importance': 'MEDIUM',
    'x-group': GROUP_MAP,
  },
  'mqtt.value.schema.subject': {
    type: 'string',
    description:
      'With mqtt.value.format=json: instead of a file, the latest Avro schema of this schema-registry subject, read ' +
      'when the task starts (from mqtt.value.schema.registry.url).',
    'x-importance': 'MEDIUM',
    'x-group': GROUP_MAP,
  },
  'mqtt.value.schema.registry.url': {
    type: 'string',
    description:
      'Schema registry (Confluent API) to read mqtt.value.schema.subject from. Defaults to ' +
      'value.converter.schema.registry.url.',
    'x-importance': 'LOW',
    'x-group': GROUP_MAP,
  },
};

/** The source's settings declared once: keys and defaults, and the parser of what tasks get as `ctx.settings`. */
export const mqttSourceConfig = defineSettings(
  {
    type: 'object',
    properties: { ...mqttConnectionConfig, ...sourceProperties, ...DEDUP_PROPERTIES },
    required: ['mqtt.server.uri', 'mqtt.topics', 'kafka.topic'],
  },
  (read, values) => readSourceSettings(read, values),
);

/** Resolves `mqtt.value.schema.file` against the schemas/ folder when relative. */
export function resolveSchemaFile(file: string): string {
  return path.isAbsolute(file) ? file : path.resolve(SCHEMAS_DIR, file);
}

/**
 * Loads and translates an Avro schema file; throws a ConfigError naming mqtt.value.schema.file. The message names
 * the file and never quotes it: whoever can reach the REST API chooses the path, and parser errors quote the text.
 */
export function loadValueSchema(file: string, schemas: SchemaReader): Schema {
  const resolved = resolveSchemaFile(file);
  let text: string;
  try {
    text = readSettingFile(resolved).toString('utf8');
  } catch (err) {
    throw new ConfigError([{ key: 'mqtt.value.schema.file', message: (err as Error).message }]);
  }
  try {
    return schemas.fromAvro(text);
  } catch {
    throw new ConfigError([
      { key: 'mqtt.value.schema.file', message: `could not parse "${resolved}" as an Avro schema` },
    ]);
  }
}

/** Cross-key checks: connection, filters, templates, value format, scaling. Every problem names its key. */
export function validateMqttSource(values: ConfigValues, _raw: RawConfig, ctx: ValidationContext): ConfigIssue[] {
  const issues = validateMqttConnection(values);
  const read = settingsReader(mqttSourceConfig, values);
  const filters = read.list('mqtt.topics');
  if (filters.length === 0) issues.push({ key: 'mqtt.topics', message: 'at least one topic filter is required' });
  const tasksMax = configNumber(values, 'tasks.max') ?? 1;
  for (const filter of filters) {
    const problem = validateTopicFilter(filter);
    if (problem) issues.push({ key: 'mqtt.topics', message: problem });
    else if (tasksMax > 1 && filter.startsWith('$share/')) {
      issues.push({
        key: 'mqtt.topics',
        message: `"${filter}" is already a shared subscription; with tasks.max > 1 Ferry adds $share/<group>/ itself`,
      });
    }
  }
  if (tasksMax > 1) {
    const group = configString(values, 'mqtt.share.group');
    const groupName = shareGroupName(group ?? configString(values, 'name') ?? '');
    issues.push(...mqttSubscriptionIssues(filters, groupName, group !== undefined ? 'mqtt.share.group' : 'name'));
  }
  const qos = read.number('mqtt.qos') ?? 1;
  if (![0, 1, 2].includes(qos)) issues.push({ key: 'mqtt.qos', message: `${qos} is not a QoS: use 0, 1 or 2` });
  for (const key of ['kafka.topic', 'kafka.key'] as const) {
    const source = read.string(key);
    if (source === undefined || source === '') {
      if (key === 'kafka.topic') issues.push({ key, message: 'is required, e.g. "iot.${mqtt.topic[1]}"' });
      continue;
    }
    try {
      const t = compileTemplate(source, TEMPLATE_ROOTS, key);
      if (key === 'kafka.topic' && t.isConstant) {
        const bad = kafkaTopicProblem(source);
        if (bad) issues.push({ key, message: bad });
      }
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues);
      else throw err;
    }
  }
  const format = read.string('mqtt.value.format') ?? '';
  if (!(VALUE_FORMATS as readonly string[]).includes(format)) {
    issues.push({ key: 'mqtt.value.format', message: `"${format}" is not one of ${VALUE_FORMATS.join(', ')}` });
  }
  const schemaFile = configString(values, 'mqtt.value.schema.file');
  const subject = configString(values, 'mqtt.value.schema.subject');
  if (subject) {
    if (format !== 'json') {
      issues.push({ key: 'mqtt.value.schema.subject', message: 'is only used with mqtt.value.format=json' });
    } else if (schemaFile) {
      issues.push({ key: 'mqtt.value.schema.subject', message: 'give mqtt.value.schema.file or a subject, not both' });
    } else if (!schemaRegistryUrl(values)) {
      issues.push({
        key: 'mqtt.value.schema.registry.url',
        message: 'is required with mqtt.value.schema.subject (or set value.converter.schema.registry.url)',
      });
    }
  }
  if (schemaFile) {
    if (format !== 'json') {
      issues.push({ key: 'mqtt.value.schema.file', message: 'is only used with mqtt.value.format=json' });
    } else {
      try {
        loadValueSchema(schemaFile, ctx.schemas);
      } catch (err) {
        if (err instanceof ConfigError) issues.push(...err.issues);
        else throw err;
      }
    }
  }
  return issues;
}

const KAFKA_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

/** Why a name cannot be a Kafka topic, or undefined. */
export function kafkaTopicProblem(topic: string): string | undefined {
  if (!KAFKA_TOPIC.test(topic) || topic === '.' || topic === '..') {
    return `"${topic}" is not a valid Kafka topic name (1–249 of a-z A-Z 0-9 . _ -)`;
  }
  return undefined;
}

/** The subscriptions of one task: the filters, shared when several tasks read them. */
export function taskFilters(filters: readonly string[], shareGroup: string | undefined): string[] {
  return shareGroup === undefined ? [...filters] : filters.map((f) => `$share/${shareGroup}/${f}`);
}

/** A connector name as a share group name (no / + #). */
export function shareGroupName(name: string): string {
  return name.replace(/[/+#]/g, '_');
}

/** The compiled templates of a task. */
export interface SourceTemplates {
  readonly topic: Template;
  readonly key: Template;
}

export function compileSourceTemplates(values: ConfigValues): SourceTemplates {
  const read = settingsReader(mqttSourceConfig, values);
  return {
    topic: compileTemplate(read.string('kafka.topic') ?? '', TEMPLATE_ROOTS, 'kafka.topic'),
    key: compileTemplate(read.string('kafka.key') ?? '', TEMPLATE_ROOTS, 'kafka.key'),
  };
}

/** A source task's settings, parsed once at its start: every default from {@link mqttSourceConfig}. */
export interface SourceSettings {
  readonly connection: MqttConnectionSettings;
  /** The configured filters, unshared (source partitions are per filter). */
  readonly filters: readonly string[];
  /** What this task subscribes to: the filters, or their `$share/…` forms when tasks share them. */
  readonly subscriptions: readonly string[];
  readonly qos: 0 | 1 | 2;
  readonly maxInFlight: number;
  readonly maxPacketBytes: number;
  readonly templates: SourceTemplates;
  readonly valueFormat: ValueFormat;
  readonly valueSchemaFile?: string;
  readonly valueSchemaSubject?: string;
  /** Where to read the subject from (see {@link schemaRegistryUrl}). */
  readonly valueSchemaRegistryUrl?: string;
}

/** Parses a task's configuration (validated when stored); throws a ConfigError naming a bad key. */
export const parseSourceSettings = (values: ConfigValues): SourceSettings => mqttSourceConfig.parse(values);

function readSourceSettings(read: SettingsReader, values: ConfigValues): SourceSettings {
  const filters = read.list('mqtt.topics');
  const subscribed = read.list(TASK_FILTERS_KEY);
  const schemaFile = read.string('mqtt.value.schema.file');
  const subject = read.string('mqtt.value.schema.subject');
  const registryUrl = schemaRegistryUrl(values);
  return {
    connection: parseMqttConnection(values),
    filters,
    subscriptions: subscribed.length > 0 ? subscribed : filters,
    qos: read.requireNumber('mqtt.qos') as 0 | 1 | 2,
    maxInFlight: read.requireNumber('mqtt.max.in.flight'),
    maxPacketBytes: read.requireNumber('mqtt.max.packet.bytes'),
    templates: compileSourceTemplates(values),
    valueFormat: read.requireString('mqtt.value.format') as ValueFormat,
    ...(schemaFile ? { valueSchemaFile: schemaFile } : {}),
    ...(subject ? { valueSchemaSubject: subject } : {}),
    ...(registryUrl ? { valueSchemaRegistryUrl: registryUrl } : {}),
  };
}

/** Where to read `mqtt.value.schema.subject` from: its own key, else the value converter's registry. */
export function schemaRegistryUrl(values: ConfigValues): string | undefined {
  const url =
    configString(values, 'mqtt.value.schema.registry.url') ??
    configString(values, 'value.converter.schema.registry.url');
  // The converter key may list several URLs; the first is enough to read one schema.
  return url?.split(',')[0]?.trim() || undefined;
}

/**
 * The latest Avro schema of a registry subject (Confluent API), as a Connect schema. A registry that cannot be
 * reached is an UnavailableError (retriable); a subject that is missing or not Avro is a ConfigError.
 */
export async function fetchValueSchema(
  registryUrl: string,
  subject: string,
  schemas: SchemaReader,
  signal?: AbortSignal,
): Promise<Schema> {
  const url = `${registryUrl.replace(/\/+$/, '')}/subjects/${encodeURIComponent(subject)}/versions/latest`;
  let res: Response;
  try {
    res = await fetch(url, { ...(signal ? { signal } : {}), headers: { Accept: 'application/json' } });
  } catch (err) {
    throw new UnavailableError(`schema registry ${registryUrl} unreachable: ${(err as Error).message}`, { cause: err });
  }
  if (res.status >= 500) throw new UnavailableError(`schema registry ${registryUrl} answered ${res.status}`);
  const body = (await res.json().catch(() => ({}))) as { schema?: string; schemaType?: string; message?: string };
  if (!res.ok || typeof body.schema !== 'string') {
    throw new ConfigError([
      {
        key: 'mqtt.value.schema.subject',
        message: `cannot read the latest schema of "${subject}": ${res.status} ${body.message ?? ''}`.trim(),
      },
    ]);
  }
  if (body.schemaType !== undefined && body.schemaType !== 'AVRO') {
    throw new ConfigError([
      { key: 'mqtt.value.schema.subject', message: `"${subject}" holds a ${body.schemaType} schema, not Avro` },
    ]);
  }
  try {
    return schemas.fromAvro(body.schema);
  } catch (err) {
    throw new ConfigError([{ key: 'mqtt.value.schema.subject', message: `"${subject}": ${(err as Error).message}` }]);
  }
}
