import { accessSync, constants } from 'node:fs';
import {
  ConfigError,
  configString,
  settingsReader,
  type ConfigIssue,
  type ConfigSchema,
  type ConfigValues,
} from '../../runtime/api';
import { mqttConnectionConfig } from './config';
import { mqttConnectIdIssues } from './limits';
import { parseServerUris, type ServerUri } from './server-uri';

/** TLS files and checks; files are paths here, read when a connection is built (a task's start, never validation). */
export interface MqttTlsSettings {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly keyPassword?: string;
  readonly verifyHostname: boolean;
}

/**
 * The connection keys of {@link mqttConnectionConfig}, resolved: every default taken from that schema (the one
 * place a default is stated), durations in `…Ms`/`…Seconds`, the back-off maximum at least its start.
 */
export interface MqttConnectionSettings {
  /** In failover order. */
  readonly servers: readonly ServerUri[];
  /** 4 = MQTT 3.1.1, 5 = MQTT 5. */
  readonly protocolVersion: 4 | 5;
  readonly clientIdPrefix: string;
  readonly username?: string;
  /** Only with a username. */
  readonly password?: string;
  readonly tls: MqttTlsSettings;
  readonly keepaliveSeconds: number;
  readonly connectTimeoutMs: number;
  readonly reconnectBackoffMs: number;
  readonly reconnectBackoffMaxMs: number;
  readonly cleanStart: boolean;
  /** MQTT 5 Session Expiry Interval; not sent on 3.1.1. */
  readonly sessionExpirySeconds: number;
}

const TLS_FILE_KEYS = ['mqtt.ssl.ca', 'mqtt.ssl.cert', 'mqtt.ssl.key'] as const;

function text(values: ConfigValues, key: string): string | undefined {
  const v = configString(values, key);
  return v === undefined || v === '' ? undefined : v;
}

const connectionSchema: ConfigSchema = { type: 'object', properties: mqttConnectionConfig };

/** An integer connection key, else the default its schema declares (a stored task config carries no defaults). */
export function intSetting(values: ConfigValues, key: string): number {
  return Math.trunc(settingsReader(connectionSchema, values).requireNumber(key));
}

/** Settings and the problems found on the way; shared by {@link parseMqttConnection} and validation. */
function readConnection(values: ConfigValues, issues: ConfigIssue[]): MqttConnectionSettings {
  const read = settingsReader(connectionSchema, values);
  const int = (key: string): number => Math.trunc(read.requireNumber(key));
  let servers: ServerUri[] = [];
  const uri = configString(values, 'mqtt.server.uri');
  if (uri === undefined || uri.trim() === '') {
    issues.push({ key: 'mqtt.server.uri', message: 'is required: one or more broker URIs, e.g. mqtt://host:1883' });
  } else {
    try {
      servers = parseServerUris(uri);
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues);
      else throw err;
    }
  }
  const version = read.requireString('mqtt.protocol.version');
  if (version !== '3.1.1' && version !== '5') {
    issues.push({ key: 'mqtt.protocol.version', message: `"${version}" is not supported: use "3.1.1" or "5"` });
  }
  const username = text(values, 'mqtt.username');
  const password = configString(values, 'mqtt.password');
  if (password !== undefined && configString(values, 'mqtt.username') === undefined) {
    issues.push({ key: 'mqtt.password', message: 'is set but mqtt.username is not' });
  }
  const tls: MqttTlsSettings = {
    ...optional('caFile', text(values, 'mqtt.ssl.ca')),
    ...optional('certFile', text(values, 'mqtt.ssl.cert')),
    ...optional('keyFile', text(values, 'mqtt.ssl.key')),
    ...optional('keyPassword', text(values, 'mqtt.ssl.key.password')),
    verifyHostname: read.requireBoolean('mqtt.ssl.verify.hostname'),
  };
  const reconnectBackoffMs = int('mqtt.reconnect.backoff.ms');
  const reconnectBackoffMaxMs = int('mqtt.reconnect.backoff.max.ms');
  return {
    servers,
    protocolVersion: version === '3.1.1' ? 4 : 5,
    clientIdPrefix: read.requireString('mqtt.client.id.prefix'),
    ...(username !== undefined ? { username, ...optional('password', password) } : {}),
    tls,
    keepaliveSeconds: int('mqtt.keepalive.seconds'),
    connectTimeoutMs: int('mqtt.connect.timeout.ms'),
    reconnectBackoffMs,
    reconnectBackoffMaxMs: Math.max(reconnectBackoffMs, reconnectBackoffMaxMs),
    cleanStart: read.requireBoolean('mqtt.clean.start'),
    sessionExpirySeconds: int('mqtt.session.expiry.seconds'),
  };
}

function optional<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}

/**
 * The one parser of the MQTT connection keys, used by the source, the sink and session release alike. Takes parsed
 * values or a stored task config (strings; missing keys get their schema default). Throws a {@link ConfigError}
 * naming every bad key; files are not touched (see {@link validateMqttConnection}).
 */
export function parseMqttConnection(values: ConfigValues): MqttConnectionSettings {
  const issues: ConfigIssue[] = [];
  const settings = readConnection(values, issues);
  if (issues.length > 0) throw new ConfigError(issues);
  return settings;
}

/**
 * Cross-key checks of the connection keys: URIs (scheme, host, port), protocol version, readable TLS files, pairs
 * that only make sense together. Returns every problem, each naming its key.
 */
export function validateMqttConnection(values: ConfigValues): ConfigIssue[] {
  return checkMqttConnection(values).issues;
}

/** {@link validateMqttConnection}'s checks and the settings they were made on (meaningful when no issues). */
export function checkMqttConnection(values: ConfigValues): { settings: MqttConnectionSettings; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const s = readConnection(values, issues);
  for (const key of TLS_FILE_KEYS) {
    const file = text(values, key);
    if (file === undefined) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch {
      issues.push({ key, message: `file "${file}" does not exist or cannot be read` });
    }
  }
  if (s.tls.certFile && !s.tls.keyFile) issues.push({ key: 'mqtt.ssl.key', message: 'is required with mqtt.ssl.cert' });
  if (s.tls.keyFile && !s.tls.certFile) issues.push({ key: 'mqtt.ssl.cert', message: 'is required with mqtt.ssl.key' });
  const anyTls = s.tls.caFile ?? s.tls.certFile ?? s.tls.keyFile;
  if (anyTls && s.servers.length > 0 && !s.servers.some((srv) => srv.protocol === 'mqtts')) {
    issues.push({
      key: 'mqtt.server.uri',
      message: 'TLS files are configured but no URI uses mqtts:// or ssl://',
    });
  }
  issues.push(...mqttConnectIdIssues(values));
  const max = intSetting(values, 'mqtt.reconnect.backoff.max.ms');
  if (max < s.reconnectBackoffMs) {
    issues.push({
      key: 'mqtt.reconnect.backoff.max.ms',
      message: `must be at least mqtt.reconnect.backoff.ms (${s.reconnectBackoffMs})`,
    });
  }
  return { settings: s, issues };
}
