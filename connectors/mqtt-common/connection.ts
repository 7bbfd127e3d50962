import { accessSync, constants } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { IClientOptions } from 'mqtt';
import {
  ConfigError,
  configBoolean,
  configNumber,
  configString,
  type ConfigIssue,
  type ConfigValues,
} from '../../runtime/api';
import { mqttConnectionConfig } from './config';
import { readSettingFile } from './setting-file';
import { mqttConnectIdIssues } from './limits';
import { parseServerUris, type ServerUri } from './server-uri';

const TLS_FILE_KEYS = ['mqtt.ssl.ca', 'mqtt.ssl.cert', 'mqtt.ssl.key'] as const;

/**
 * Cross-key checks of the connection keys: URIs (scheme, host, port), protocol version, readable TLS files, pairs
 * that only make sense together. Returns every problem, each naming its key.
 */
export function validateMqttConnection(values: ConfigValues): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
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
  const version = configString(values, 'mqtt.protocol.version') ?? '5';
  if (version !== '3.1.1' && version !== '5') {
    issues.push({ key: 'mqtt.protocol.version', message: `"${version}" is not supported: use "3.1.1" or "5"` });
  }
  if (configString(values, 'mqtt.password') !== undefined && configString(values, 'mqtt.username') === undefined) {
    issues.push({ key: 'mqtt.password', message: 'is set but mqtt.username is not' });
  }
  for (const key of TLS_FILE_KEYS) {
    const file = configString(values, key);
    if (file === undefined || file === '') continue;
    try {
      accessSync(file, constants.R_OK);
    } catch {
      issues.push({ key, message: `file "${file}" does not exist or cannot be read` });
    }
  }
  const cert = configString(values, 'mqtt.ssl.cert');
  const key = configString(values, 'mqtt.ssl.key');
  if (cert && !key) issues.push({ key: 'mqtt.ssl.key', message: 'is required with mqtt.ssl.cert' });
  if (key && !cert) issues.push({ key: 'mqtt.ssl.cert', message: 'is required with mqtt.ssl.key' });
  const anyTls = TLS_FILE_KEYS.some((k) => configString(values, k));
  if (anyTls && servers.length > 0 && !servers.some((s) => s.protocol === 'mqtts')) {
    issues.push({
      key: 'mqtt.server.uri',
      message: 'TLS files are configured but no URI uses mqtts:// or ssl://',
    });
  }
  issues.push(...mqttConnectIdIssues(values));
  const base = intValue(values, 'mqtt.reconnect.backoff.ms');
  const max = intValue(values, 'mqtt.reconnect.backoff.max.ms');
  if (max < base) {
    issues.push({
      key: 'mqtt.reconnect.backoff.max.ms',
      message: `must be at least mqtt.reconnect.backoff.ms (${base})`,
    });
  }
  return issues;
}

/** Options for `mqtt.connect` beyond {@link IClientOptions}'s declared ones; mqtt.js hands them on to `tls.connect`. */
export type MqttClientOptions = IClientOptions & Pick<ConnectionOptions, 'passphrase' | 'checkServerIdentity'>;

/**
 * mqtt.js 5.16 options for one client, from the connection keys:
 *
 * - `servers`: every URI of `mqtt.server.uri`; mqtt.js moves to the next one at each connection attempt (failover,
 *   wrapping around).
 * - `manualConnect: true`: nothing happens until the caller calls `client.connect()`. A resumed session delivers
 *   what the broker queued right after CONNACK; the caller connects only once its handlers are in place, or
 *   mqtt.js's default handler acknowledges those messages and they are lost.
 * - `reconnectPeriod`: mqtt.js retries every `mqtt.reconnect.backoff.ms`. For a doubling back-off up to
 *   `mqtt.reconnect.backoff.max.ms` call {@link attachReconnectBackoff} on the client before connecting.
 * - `clean` = `mqtt.clean.start`; with MQTT 5 `properties.sessionExpiryInterval` = `mqtt.session.expiry.seconds`
 *   (mqtt.js's default 0 would make the broker drop the session, and what it holds, at every disconnect).
 * - TLS: the CA, client certificate and key are read from their files here (the caller's start, never a
 *   constructor); the broker certificate and its host name are verified unless `mqtt.ssl.verify.hostname` is false.
 */
const quietLog = (): void => undefined;

export function mqttClientOptions(values: ConfigValues, clientId: string): MqttClientOptions {
  const servers = parseServerUris(configString(values, 'mqtt.server.uri') ?? '');
  const version = (configString(values, 'mqtt.protocol.version') ?? '5') === '3.1.1' ? 4 : 5;
  const first = servers[0] as ServerUri;
  const options: MqttClientOptions = {
    clientId,
    protocolVersion: version,
    // The first server is also given directly: mqtt.js uses host/port/protocol for its first stream.
    host: first.host,
    port: first.port,
    protocol: first.protocol,
    servers: servers.map((s) => ({ host: s.host, port: s.port, protocol: s.protocol })),
    clean: configBoolean(values, 'mqtt.clean.start') ?? false,
    keepalive: intValue(values, 'mqtt.keepalive.seconds'),
    connectTimeout: intValue(values, 'mqtt.connect.timeout.ms'),
    reconnectPeriod: intValue(values, 'mqtt.reconnect.backoff.ms'),
    manualConnect: true,
    // Resubscription after a lost session is the caller's job (it knows its filters); mqtt.js's own only works
    // with its fixed reconnect period.
    resubscribe: false,
    // PINGREQ every keepalive interval, whatever the traffic: otherwise mqtt.js re-arms its ping timer on every
    // PUBACK it receives, a new timer per acknowledged publish (3 % of a busy sink's allocations).
    reschedulePings: false,
    // No cache of all 65,536 packet ids as Buffers (6 MB of heap, see connectors/mqtt-source/session.ts).
    writeCache: false,
  };
  // mqtt.js logs each packet through `debug`, which costs even when nothing is printed (2–4 % of a busy sink's CPU):
  // unless DEBUG asks for debug output, its log is a no-op.
  if (!process.env['DEBUG']) options.log = quietLog;
  if (version === 5) {
    options.properties = { sessionExpiryInterval: intValue(values, 'mqtt.session.expiry.seconds') };
  }
  const username = configString(values, 'mqtt.username');
  if (username !== undefined && username !== '') {
    options.username = username;
    const password = configString(values, 'mqtt.password');
    if (password !== undefined) options.password = password;
  }
  if (servers.some((s) => s.protocol === 'mqtts')) addTls(options, values);
  return options;
}

function addTls(options: MqttClientOptions, values: ConfigValues): void {
  const read = (key: string): Buffer | undefined => {
    const file = configString(values, key);
    if (file === undefined || file === '') return undefined;
    try {
      return readSettingFile(file);
    } catch (err) {
      throw new ConfigError([{ key, message: (err as Error).message }]);
    }
  };
  const ca = read('mqtt.ssl.ca');
  const cert = read('mqtt.ssl.cert');
  const key = read('mqtt.ssl.key');
  if (ca) options.ca = ca;
  if (cert) options.cert = cert;
  if (key) options.key = key;
  const passphrase = configString(values, 'mqtt.ssl.key.password');
  if (passphrase !== undefined && passphrase !== '') options.passphrase = passphrase;
  options.rejectUnauthorized = true;
  if (configBoolean(values, 'mqtt.ssl.verify.hostname') === false) {
    options.checkServerIdentity = () => undefined;
  }
  // mqtt.js sets `servername` once, from the first host, and keeps it for every later server: a failover to another
  // host would then check that host's certificate against the first host's name. Deriving it from the host mqtt.js
  // is about to connect to keeps SNI and the name check right on every server. The setter swallows mqtt.js's write.
  Object.defineProperty(options, 'servername', {
    configurable: true,
    enumerable: false,
    get(this: MqttClientOptions): string | undefined {
      const host = this.host;
      return host !== undefined && isIP(host) === 0 ? host : undefined;
    },
    set(): void {},
  });
}

/** An integer key, falling back to its schema default when the values were not run through the schema. */
export function intValue(values: ConfigValues, key: string): number {
  const v = configNumber(values, key);
  if (v !== undefined && Number.isFinite(v)) return Math.trunc(v);
  const d = mqttConnectionConfig[key]?.default;
  return typeof d === 'number' ? d : 0;
}
