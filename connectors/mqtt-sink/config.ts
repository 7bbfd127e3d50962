import {
  ConfigError,
  defineSettings,
  type ConfigIssue,
  type ConfigProperty,
  type ConfigValues,
  type SettingsReader,
} from '../../runtime/api';
import {
  checkMqttConnection,
  compileTemplate,
  mqttConnectionConfig,
  validatePublishTopic,
  type MqttConnectionSettings,
  type Template,
} from '../mqtt-common';

const GROUP = 'MQTT Publish';

/** What a sink template may refer to. */
export const SINK_TEMPLATE_ROOTS = [
  'key',
  'kafka.topic',
  'kafka.partition',
  'kafka.offset',
  'value',
  'header',
  'timestamp',
] as const;

export const PAYLOAD_FORMATS = ['json', 'envelope', 'string', 'bytes', 'template'] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];
export const NULL_VALUE_BEHAVIORS = ['empty', 'skip', 'reject'] as const;
export type NullValueBehavior = (typeof NULL_VALUE_BEHAVIORS)[number];

/** The packet ids of one MQTT connection run out at 65,535 (mqtt.js then reuses them); stay far below. */
export const MAX_IN_FLIGHT_LIMIT = 20000;

const sinkProperties: Record<string, ConfigProperty> = {
  topics: {
    type: 'array',
    items: { type: 'string' },
    description: 'Kafka topics to read, comma-separated. Give exactly one of topics and topics.regex.',
    'x-importance': 'HIGH',
    'x-group': 'Common',
  },
  'topics.regex': {
    type: 'string',
    description:
      'A Java-style regular expression; every Kafka topic matching it is read. Exactly one of topics and topics.regex.',
    'x-importance': 'HIGH',
    'x-group': 'Common',
  },
  'mqtt.topic': {
    type: 'string',
    minLength: 1,
    description:
      'MQTT topic to publish each record to: a template such as "devices/${key}/commands" or ' +
      '"${kafka.topic}/${value.site}/${header.kind}". Placeholders: ${key} (and ${key.field}), ${kafka.topic}, ' +
      '${kafka.partition}, ${kafka.offset}, ${value} / ${value.field.sub} / ${value.list[0]}, ${header.name} ' +
      '(${header["name.with.dots"]}), ${timestamp} (ms since the epoch). No + or # wildcards. A record whose ' +
      'placeholder has no value, or whose rendered topic is not a valid MQTT topic, follows the error policy.',
    'x-importance': 'HIGH',
    'x-group': GROUP,
  },
  'mqtt.qos': {
    type: 'integer',
    enum: [0, 1, 2],
    default: 1,
    description:
      'QoS of the publishes. 1 (default): the offset is committed after the PUBACK; 2: after the PUBCOMP; ' +
      '0: after the publish was written to the socket (lost if the connection drops before the broker read it).',
    'x-importance': 'HIGH',
    'x-group': GROUP,
  },
  'mqtt.retain': {
    type: 'string',
    default: 'false',
    description:
      'Retain flag: "true", "false" (default) or one placeholder such as ${header.retain} or ${value.retain} whose ' +
      'value is a boolean or the text true/false; a record without that header or field is published without retain.',
    'x-importance': 'MEDIUM',
    'x-group': GROUP,
  },
  'mqtt.payload.format': {
    type: 'string',
    enum: [...PAYLOAD_FORMATS],
    default: 'json',
    description:
      'What is published. "json" (default): the record value as the converter decoded it (Avro/JSON struct, map, ' +
      'array, primitive) written as JSON text. "envelope": the value is an MQTT envelope as written by Ferry\'s MQTT ' +
      'source; its payload bytes are published byte for byte (and its user properties passed on). "string": the ' +
      'value as UTF-8 text. "bytes": the value\'s bytes unchanged (ByteArrayConverter), or the raw Kafka bytes when ' +
      'the value is not bytes. "template": mqtt.payload.template rendered per record.',
    'x-importance': 'HIGH',
    'x-group': GROUP,
  },
  'mqtt.payload.template': {
    type: 'string',
    description:
      'With mqtt.payload.format=template: the payload, e.g. {"device":"${key}","data":${value}}. Same placeholders ' +
      'as mqtt.topic; structs, maps and arrays are inserted as JSON, text as it is.',
    'x-importance': 'MEDIUM',
    'x-group': GROUP,
  },
  'mqtt.null.value.behavior': {
    type: 'string',
    enum: [...NULL_VALUE_BEHAVIORS],
    default: 'empty',
    description:
      'What a record with a null value (a tombstone) does: "empty" (default) publishes a zero-byte payload, which ' +
      'with retain clears the retained message; "skip" publishes nothing (the offset is committed); "reject" ' +
      'hands it to the error policy.',
    'x-importance': 'LOW',
    'x-group': GROUP,
  },
  'mqtt.max.in.flight': {
    type: 'integer',
    minimum: 1,
    maximum: MAX_IN_FLIGHT_LIMIT,
    default: 1000,
    description:
      "Most publishes awaiting the broker's acknowledgement per task; the task stops taking records from Kafka " +
      'while the window is full. At most 20000, far below the 65,535 packet ids of a connection.',
    'x-importance': 'MEDIUM',
    'x-group': GROUP,
  },
  'mqtt.user.properties.from.headers': {
    type: 'boolean',
    description:
      'MQTT 5: send every Kafka header as a user property (values as text; bytes as UTF-8). Default: true, except ' +
      "with mqtt.payload.format=envelope, where the envelope's own user properties are sent (the headers Ferry's " +
      'MQTT source adds would only repeat them). Ignored with 3.1.1.',
    'x-importance': 'LOW',
    'x-group': GROUP,
  },
  'mqtt.message.expiry.seconds': {
    type: 'integer',
    minimum: 1,
    maximum: 4294967295,
    description: 'MQTT 5 Message Expiry Interval in seconds; unset: messages do not expire.',
    'x-importance': 'LOW',
    'x-group': GROUP,
  },
  'mqtt.content.type': {
    type: 'string',
    description: 'MQTT 5 Content Type, e.g. application/json; may be a template such as ${header.content-type}.',
    'x-importance': 'LOW',
    'x-group': GROUP,
  },
  'mqtt.response.topic': {
    type: 'string',
    description: 'MQTT 5 Response Topic, a template like mqtt.topic (e.g. replies/${key}); unset: none.',
    'x-importance': 'LOW',
    'x-group': GROUP,
  },
  'mqtt.correlation.data.header': {
    type: 'string',
    description:
      'MQTT 5: the Kafka header whose value (bytes, or text as UTF-8) becomes the Correlation Data; a name ending ' +
      'in .base64 (e.g. mqtt.correlation.data.base64, as the MQTT source writes binary data) is base64-decoded ' +
      'first; unset: none.',
    'x-importance': 'LOW',
    'x-group': GROUP,
  },
};

/** A retain flag: fixed, or taken from one placeholder per record. */
export type RetainSetting = { readonly fixed: boolean } | { readonly from: Template };

/** The sink's publishing settings, resolved once per task: templates compiled, defaults applied. */
export interface SinkSettings {
  readonly connection: MqttConnectionSettings;
  readonly protocolVersion: 4 | 5;
  readonly topic: Template;
  readonly qos: 0 | 1 | 2;
  readonly retain: RetainSetting;
  readonly payloadFormat: PayloadFormat;
  readonly payloadTemplate: Template | undefined;
  readonly nullValue: NullValueBehavior;
  readonly maxInFlight: number;
  readonly userPropertiesFromHeaders: boolean;
  readonly messageExpirySeconds: number | undefined;
  readonly contentType: Template | undefined;
  readonly responseTopic: Template | undefined;
  readonly correlationDataHeader: string | undefined;
}

/**
 * The sink's settings, declared once: the shared connection keys plus the publishing keys (every default stated in
 * the schema only), and their parser, whose result each sink task and connector receives as `ctx.settings`.
 */
export const mqttSinkConfigSchema = defineSettings(
  {
    type: 'object',
    properties: { ...mqttConnectionConfig, ...sinkProperties },
    required: ['mqtt.server.uri', 'mqtt.topic'],
  },
  readSinkSettings,
);

/** Parses the sink's configuration; throws a {@link ConfigError} listing every bad key. */
export function parseSinkSettings(values: ConfigValues): SinkSettings {
  return mqttSinkConfigSchema.parse(values);
}

function readSinkSettings(read: SettingsReader, values: ConfigValues): SinkSettings {
  const { settings: connection, issues } = checkMqttConnection(values);
  const topicsList = read.list('topics');
  const topicsRegex = read.string('topics.regex');
  const hasRegex = topicsRegex !== undefined && topicsRegex.trim() !== '';
  if (topicsList.length > 0 && hasRegex) {
    issues.push({ key: 'topics', message: 'give topics or topics.regex, not both' });
    issues.push({ key: 'topics.regex', message: 'give topics or topics.regex, not both' });
  } else if (topicsList.length === 0 && !hasRegex) {
    issues.push({ key: 'topics', message: 'one of topics or topics.regex is required' });
    issues.push({ key: 'topics.regex', message: 'one of topics or topics.regex is required' });
  }
  if (hasRegex) {
    try {
      new RegExp(topicsRegex);
    } catch (err) {
      issues.push({ key: 'topics.regex', message: `not a valid regular expression: ${(err as Error).message}` });
    }
  }
  const { protocolVersion } = connection;

  const template = (key: string, required: boolean, publishTopic: boolean): Template | undefined => {
    const source = read.string(key);
    if (source === undefined || (source === '' && !required)) {
      if (required) issues.push({ key, message: 'is required' });
      return undefined;
    }
    try {
      const t = compileTemplate(source, SINK_TEMPLATE_ROOTS, key);
      if (publishTopic) {
        // Placeholders rendered as a harmless letter leave the literal parts to check: wildcards, NUL, emptiness.
        const problem = validatePublishTopic(t.render(() => 'x'));
        if (problem) issues.push({ key, message: problem });
      }
      return t;
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues);
      else throw err;
      return undefined;
    }
  };

  const topic = template('mqtt.topic', true, true);

  const qos = read.requireNumber('mqtt.qos');
  if (qos !== 0 && qos !== 1 && qos !== 2) issues.push({ key: 'mqtt.qos', message: `must be 0, 1 or 2, not ${qos}` });

  let retain: RetainSetting = { fixed: false };
  const retainRaw = read.requireString('mqtt.retain').trim();
  if (/^(true|false)$/i.test(retainRaw)) {
    retain = { fixed: retainRaw.toLowerCase() === 'true' };
  } else {
    const t = template('mqtt.retain', true, false);
    if (t && t.single === undefined) {
      issues.push({
        key: 'mqtt.retain',
        message: 'must be true, false or a single placeholder such as ${header.retain}',
      });
    } else if (t) {
      retain = { from: t };
    }
  }

  const format = read.requireString('mqtt.payload.format') as PayloadFormat;
  if (!PAYLOAD_FORMATS.includes(format)) {
    issues.push({ key: 'mqtt.payload.format', message: `must be one of ${PAYLOAD_FORMATS.join(', ')}` });
  }
  let payloadTemplate: Template | undefined;
  if (format === 'template') {
    payloadTemplate = template('mqtt.payload.template', true, false);
  } else if (read.string('mqtt.payload.template')) {
    issues.push({ key: 'mqtt.payload.template', message: 'is only used with mqtt.payload.format=template' });
  }

  const nullValue = read.requireString('mqtt.null.value.behavior') as NullValueBehavior;
  if (!NULL_VALUE_BEHAVIORS.includes(nullValue)) {
    issues.push({ key: 'mqtt.null.value.behavior', message: `must be one of ${NULL_VALUE_BEHAVIORS.join(', ')}` });
  }

  const maxInFlight = read.requireNumber('mqtt.max.in.flight');
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1 || maxInFlight > MAX_IN_FLIGHT_LIMIT) {
    issues.push({ key: 'mqtt.max.in.flight', message: `must be an integer from 1 to ${MAX_IN_FLIGHT_LIMIT}` });
  }

  const expiry = read.number('mqtt.message.expiry.seconds');
  if (expiry !== undefined && (!Number.isInteger(expiry) || expiry < 1 || expiry > 4294967295)) {
    issues.push({ key: 'mqtt.message.expiry.seconds', message: 'must be an integer from 1 to 4294967295' });
  }
  const contentType = template('mqtt.content.type', false, false);
  const responseTopic = template('mqtt.response.topic', false, true);
  const correlation = read.string('mqtt.correlation.data.header');
  const correlationDataHeader = correlation === undefined || correlation === '' ? undefined : correlation;

  if (protocolVersion === 4) {
    const v5only: [string, unknown][] = [
      ['mqtt.message.expiry.seconds', expiry],
      ['mqtt.content.type', contentType],
      ['mqtt.response.topic', responseTopic],
      ['mqtt.correlation.data.header', correlationDataHeader],
    ];
    for (const [key, v] of v5only) {
      if (v !== undefined) issues.push({ key, message: 'needs mqtt.protocol.version=5' });
    }
  }

  if (issues.length > 0 || topic === undefined) throw new ConfigError(issues);
  return {
    connection,
    protocolVersion,
    topic,
    qos: qos as 0 | 1 | 2,
    retain,
    payloadFormat: format,
    payloadTemplate,
    nullValue,
    maxInFlight,
    userPropertiesFromHeaders: read.boolean('mqtt.user.properties.from.headers') ?? format !== 'envelope',
    messageExpirySeconds: expiry,
    contentType,
    responseTopic,
    correlationDataHeader,
  };
}

/** The plugin's cross-key validator: every problem {@link parseSinkSettings} finds. */
export function validateSinkConfig(values: ConfigValues): ConfigIssue[] {
  try {
    parseSinkSettings(values);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
}
