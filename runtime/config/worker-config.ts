import { hostname } from 'node:os';
import { ConfigError, type ConfigIssue, type ConfigProperty, type RawConfig } from '../api';
import workerSchema from '../../schemas/json/worker-config.schema.json';
import { ajv } from './ajv';
import { prepareValues } from './connector-config';
import { type KafkaClientSettings, parseKafkaClientSettings } from './kafka-clients';
import type { ConnectorLimits } from './limits';
import { issueMessage } from './messages';
import { producerGuaranteeIssues } from './producer-guarantees';
import { looksSecret } from './secrets';

/** The worker's settings, resolved: defaults applied, numbers parsed, converter defaults filled in. */
export interface WorkerConfig {
  bootstrapServers: string;
  groupId: string;
  schemaRegistryUrl?: string;
  restHost: string;
  restPort: number;
  advertisedHost: string;
  advertisedPort: number;
  /** Who may call the REST API; undefined when authentication is off (the default). */
  restAuth?: RestAuthSettings;
  /** The HTTPS listener; undefined for plain HTTP. */
  restTls?: RestTlsSettings;
  restMaxBodyBytes: number;
  /** Accepted Host header values, lower case; empty accepts any. */
  restAllowedHosts: string[];
  configTopic: string;
  offsetsTopic: string;
  statusTopic: string;
  offsetsPartitions: number;
  statusPartitions: number;
  /** The largest of the three per-topic factors below, for callers that create all internal topics alike. */
  replicationFactor: number;
  configReplicationFactor: number;
  offsetsReplicationFactor: number;
  statusReplicationFactor: number;
  pluginPath: string[];
  /** What `${file:…}` and `${env:…}` placeholders may read; empty lists turn a provider off. */
  configProviders: { fileAllowedPaths: string[]; envAllowedNames: string[] };
  /** key.converter, value.converter, header.converter and their sub-keys. */
  converterDefaults: RawConfig;
  offsetFlushIntervalMs: number;
  /** `exactly.once.source.support=enabled`: source connectors may ask for transactions (docs/exactly-once.md). */
  exactlyOnceSourceSupport: boolean;
  shutdownTimeoutMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  logLevel: string;
  producerOverrides: Record<string, string>;
  consumerOverrides: Record<string, string>;
  adminOverrides: Record<string, string>;
  /** `limits.*`: caps on what the REST API may store and what one connector may create. */
  limits: ConnectorLimits;
  /** What every Kafka client of the worker is built from (runtime/kafka's kafkaClientConfig). */
  kafkaClients: KafkaClientSettings;
}

/** File paths are read by the REST layer at startup; parsing stays free of I/O. */
export interface RestAuthSettings {
  basicFile?: string;
  bearerTokensFile?: string;
  bearerTokens: string[];
  /** Sent when this worker forwards a request to another, and accepted like a bearer token. */
  internalToken?: string;
}

export interface RestTlsSettings {
  keyFile: string;
  certFile: string;
  caFile?: string;
  clientAuth: 'none' | 'requested' | 'required';
}

export const STRING_CONVERTER = 'org.apache.kafka.connect.storage.StringConverter';
export const AVRO_CONVERTER = 'io.confluent.connect.avro.AvroConverter';

/** Short environment names for the settings people set most; any other key is FERRY_<KEY_WITH_UNDERSCORES>. */
export const WORKER_ENV_ALIASES: Readonly<Record<string, string>> = {
  FERRY_KAFKA_BOOTSTRAP: 'bootstrap.servers',
  FERRY_SCHEMA_REGISTRY_URL: 'schema.registry.url',
  FERRY_REST_PORT: 'rest.port',
  FERRY_REST_HOST: 'rest.host.name',
  FERRY_ADVERTISED_HOST: 'rest.advertised.host.name',
  FERRY_ADVERTISED_PORT: 'rest.advertised.port',
  FERRY_GROUP_ID: 'group.id',
  FERRY_PLUGIN_PATH: 'plugin.path',
  FERRY_LOG_LEVEL: 'log.level',
  FERRY_CONFIG_TOPIC: 'config.storage.topic',
  FERRY_OFFSETS_TOPIC: 'offset.storage.topic',
  FERRY_STATUS_TOPIC: 'status.storage.topic',
};

const properties = workerSchema.properties as unknown as Readonly<Record<string, ConfigProperty>>;
const PREFIXED = Object.keys(workerSchema.patternProperties).map((p) => new RegExp(p));
const validateWorker = ajv.compile(workerSchema);

function isKnownKey(key: string): boolean {
  return key in properties || PREFIXED.some((re) => re.test(key));
}

/** `{"producer": {"linger.ms": 5}}` and `{"producer.linger.ms": 5}` mean the same: JSON files may nest. */
function flatten(obj: Record<string, unknown>, prefix: string, out: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
}

function envKey(name: string): string {
  return WORKER_ENV_ALIASES[name] ?? name.slice('FERRY_'.length).toLowerCase().replace(/_/g, '.');
}

/**
 * FERRY_* variables read by the Makefile, the local stack scripts, the CLI and the tests rather than by the worker.
 * `make run` exports several of them, so they must not draw the misspelt-variable warning.
 */
const NON_WORKER_PREFIXES = [
  'FERRY_MQTT_',
  'FERRY_KAFKA_',
  'FERRY_REGISTRY_',
  'FERRY_STACK_',
  'FERRY_CONNECT_',
  'FERRY_APICURIO_',
  'FERRY_WORKERS_',
];
const NON_WORKER_NAMES = new Set([
  'FERRY_SCHEMA_REGISTRY_URL',
  'FERRY_CACHE_DIR',
  'FERRY_JAVA_HOME',
  'FERRY_KEEP_TEST_TOPICS',
  'FERRY_LOG',
]);

function belongsToScripts(name: string): boolean {
  return NON_WORKER_NAMES.has(name) || NON_WORKER_PREFIXES.some((p) => name.startsWith(p));
}

/**
 * FERRY_* variables that name no worker key, and are therefore ignored: for a startup warning about a misspelt
 * variable. The scripts' and tests' own variables (FERRY_MQTT_URL, FERRY_KAFKA_SASL_*, the stack's ports) are left out.
 */
export function unusedFerryEnv(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((n) => n.startsWith('FERRY_') && !isKnownKey(envKey(n)) && !belongsToScripts(n))
    .sort();
}

/**
 * Parses the worker config: a JSON object from the config file (or undefined), overridden by FERRY_* environment
 * variables. Throws ConfigError naming every bad key (and the environment variable it came from).
 */
export function parseWorkerConfig(file: unknown, env: NodeJS.ProcessEnv): WorkerConfig {
  const issues: ConfigIssue[] = [];
  const merged: Record<string, unknown> = {};
  if (file !== undefined && file !== null) {
    if (typeof file !== 'object' || Array.isArray(file)) {
      throw new ConfigError([{ key: '(file)', message: 'the worker config file must hold a JSON object of settings' }]);
    }
    flatten(file as Record<string, unknown>, '', merged);
  }
  const fromEnv = new Map<string, string>();
  // Generic names first, so that the short aliases win when both are set.
  const envNames = Object.keys(env)
    .filter((n) => n.startsWith('FERRY_'))
    .sort((a, b) => Number(a in WORKER_ENV_ALIASES) - Number(b in WORKER_ENV_ALIASES));
  for (const name of envNames) {
    const value = env[name];
    if (value === undefined) continue;
    const key = envKey(name);
    // Other FERRY_* variables (FERRY_MQTT_URL, FERRY_CONNECT_URL…) belong to scripts and tests, not the worker.
    if (!isKnownKey(key)) continue;
    merged[key] = value;
    fromEnv.set(key, name);
  }
  if (typeof merged['log.level'] === 'string') merged['log.level'] = merged['log.level'].trim().toLowerCase();

  const data = prepareValues(properties, merged);
  const where = (key: string): string => (fromEnv.has(key) ? ` (set by environment variable ${fromEnv.get(key)})` : '');
  if (!validateWorker(data)) {
    for (const e of validateWorker.errors ?? []) {
      const issue = issueMessage(e, properties, merged, (k) => looksSecret(k) || properties[k]?.['x-secret'] === true);
      const message =
        e.keyword === 'additionalProperties' ? 'unknown worker configuration key' : issue.message + where(issue.key);
      if (!issues.some((i) => i.key === issue.key && i.message === message)) issues.push({ key: issue.key, message });
    }
  }
  const num = (key: string): number => data[key] as number;
  const str = (key: string): string => data[key] as string;
  for (const key of [
    'config.storage.replication.factor',
    'offset.storage.replication.factor',
    'status.storage.replication.factor',
  ]) {
    if (num(key) === 0) issues.push({ key, message: `must be -1 (broker default) or at least 1${where(key)}` });
  }
  if (issues.length === 0 && num('heartbeat.interval.ms') >= num('session.timeout.ms')) {
    issues.push({
      key: 'heartbeat.interval.ms',
      message: `must be lower than session.timeout.ms (${num('session.timeout.ms')})${where('heartbeat.interval.ms')}`,
    });
  }

  const schemaRegistryUrl = typeof data['schema.registry.url'] === 'string' ? str('schema.registry.url') : undefined;
  const converterDefaults: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    if (/^(key|value|header)\.converter(\..+)?$/.test(key)) converterDefaults[key] = String(value);
  }
  for (const side of ['key', 'value']) {
    const urlKey = `${side}.converter.schema.registry.url`;
    if (converterDefaults[urlKey] === undefined && schemaRegistryUrl !== undefined)
      converterDefaults[urlKey] = schemaRegistryUrl;
    const cls = converterDefaults[`${side}.converter`] ?? '';
    if ((/AvroConverter$/.test(cls) || cls.toLowerCase() === 'avro') && converterDefaults[urlKey] === undefined) {
      issues.push({
        key: urlKey,
        message: `${side}.converter ${cls} needs a schema registry: set schema.registry.url (FERRY_SCHEMA_REGISTRY_URL) or ${urlKey}`,
      });
    }
  }
  const rest = restSecurity(data, where, issues);
  const kafkaClients = parseKafkaClientSettings(data, where);
  // A key the schema refused already gets no second, derived message.
  const flagged = new Set(issues.map((i) => i.key));
  issues.push(...kafkaClients.issues.filter((i) => !flagged.has(i.key)));
  issues.push(...producerGuaranteeIssues(data, 'producer.').filter((i) => !flagged.has(i.key)));
  if (issues.length > 0) throw new ConfigError(issues, 'Invalid worker configuration');

  const overrides = (prefix: string): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(data))
      if (key.startsWith(prefix)) out[key.slice(prefix.length)] = String(value);
    return out;
  };
  const restHost = str('rest.host.name');
  const restPort = num('rest.port');
  const wildcard = restHost === '0.0.0.0' || restHost === '::' || restHost === '[::]';
  const replication = {
    config: num('config.storage.replication.factor'),
    offsets: num('offset.storage.replication.factor'),
    status: num('status.storage.replication.factor'),
  };
  return {
    bootstrapServers: str('bootstrap.servers'),
    groupId: str('group.id'),
    ...(schemaRegistryUrl !== undefined ? { schemaRegistryUrl } : {}),
    restHost,
    restPort,
    advertisedHost: (data['rest.advertised.host.name'] as string | undefined) ?? (wildcard ? hostname() : restHost),
    advertisedPort: (data['rest.advertised.port'] as number | undefined) ?? restPort,
    ...rest,
    configTopic: str('config.storage.topic'),
    offsetsTopic: str('offset.storage.topic'),
    statusTopic: str('status.storage.topic'),
    offsetsPartitions: num('offset.storage.partitions'),
    statusPartitions: num('status.storage.partitions'),
    replicationFactor: Math.max(replication.config, replication.offsets, replication.status),
    configReplicationFactor: replication.config,
    offsetsReplicationFactor: replication.offsets,
    statusReplicationFactor: replication.status,
    pluginPath: data['plugin.path'] as string[],
    configProviders: {
      fileAllowedPaths: data['config.providers.file.allowed.paths'] as string[],
      envAllowedNames: data['config.providers.env.allowed.names'] as string[],
    },
    converterDefaults,
    offsetFlushIntervalMs: num('offset.flush.interval.ms'),
    exactlyOnceSourceSupport: str('exactly.once.source.support') === 'enabled',
    shutdownTimeoutMs: num('task.shutdown.graceful.timeout.ms'),
    sessionTimeoutMs: num('session.timeout.ms'),
    heartbeatIntervalMs: num('heartbeat.interval.ms'),
    logLevel: str('log.level'),
    producerOverrides: overrides('producer.'),
    consumerOverrides: overrides('consumer.'),
    adminOverrides: overrides('admin.'),
    limits: {
      tasksMax: num('limits.tasks.max'),
      connectorsMax: num('limits.connectors.max'),
      topicsPerConnectorMax: num('limits.topics.per.connector.max'),
    },
    kafkaClients: kafkaClients.settings,
  };
}

/** The rest.auth.*, rest.ssl.* and request-limit settings; a half-configured listener is an issue, not a default. */
function restSecurity(
  data: Record<string, unknown>,
  where: (key: string) => string,
  issues: ConfigIssue[],
): Pick<WorkerConfig, 'restAuth' | 'restTls' | 'restMaxBodyBytes' | 'restAllowedHosts'> {
  const opt = (key: string): string | undefined => {
    const v = data[key];
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };
  const basicFile = opt('rest.auth.basic.file');
  const bearerTokensFile = opt('rest.auth.bearer.tokens.file');
  const bearerTokens = (data['rest.auth.bearer.tokens'] as string[] | undefined) ?? [];
  const internalToken = opt('rest.auth.internal.token');
  const keyFile = opt('rest.ssl.key.file');
  const certFile = opt('rest.ssl.cert.file');
  const caFile = opt('rest.ssl.ca.file');
  const clientAuth = (data['rest.ssl.client.authentication'] as RestTlsSettings['clientAuth'] | undefined) ?? 'none';
  if ((keyFile === undefined) !== (certFile === undefined)) {
    const missing = keyFile === undefined ? 'rest.ssl.key.file' : 'rest.ssl.cert.file';
    issues.push({
      key: missing,
      message: `must be set with ${keyFile === undefined ? 'rest.ssl.cert.file' : 'rest.ssl.key.file'}${where(missing)}`,
    });
  }
  if (clientAuth !== 'none' && (keyFile === undefined || caFile === undefined)) {
    issues.push({
      key: 'rest.ssl.client.authentication',
      message: `${clientAuth} needs an HTTPS listener (rest.ssl.key.file, rest.ssl.cert.file) and rest.ssl.ca.file${where('rest.ssl.client.authentication')}`,
    });
  }
  const authOn = basicFile !== undefined || bearerTokensFile !== undefined || bearerTokens.length > 0;
  return {
    ...(authOn || internalToken !== undefined
      ? {
          restAuth: {
            ...(basicFile !== undefined ? { basicFile } : {}),
            ...(bearerTokensFile !== undefined ? { bearerTokensFile } : {}),
            bearerTokens,
            ...(internalToken !== undefined ? { internalToken } : {}),
          },
        }
      : {}),
    ...(keyFile !== undefined && certFile !== undefined
      ? { restTls: { keyFile, certFile, ...(caFile !== undefined ? { caFile } : {}), clientAuth } }
      : {}),
    restMaxBodyBytes: data['rest.max.body.bytes'] as number,
    restAllowedHosts: ((data['rest.allowed.hosts'] as string[] | undefined) ?? []).map((h) => h.trim().toLowerCase()),
  };
}
