import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { IClientOptions } from 'mqtt';
import { ConfigError } from '../../runtime/api';
import { readSettingFile } from './setting-file';
import type { MqttConnectionSettings } from './settings';

/** Options for `mqtt.connect` beyond {@link IClientOptions}'s declared ones; mqtt.js hands them on to `tls.connect`. */
export type MqttClientOptions = IClientOptions & Pick<ConnectionOptions, 'passphrase' | 'checkServerIdentity'>;

const quietLog = (): void => undefined;

/**
 * mqtt.js 5.16 options for one client, from the parsed connection keys ({@link parseMqttConnection}):
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
export function mqttClientOptions(settings: MqttConnectionSettings, clientId: string): MqttClientOptions {
  const { servers, protocolVersion: version } = settings;
  const first = servers[0];
  if (first === undefined) throw new ConfigError([{ key: 'mqtt.server.uri', message: 'no broker URI' }]);
  const options: MqttClientOptions = {
    clientId,
    protocolVersion: version,
    // The first server is also given directly: mqtt.js uses host/port/protocol for its first stream.
    host: first.host,
    port: first.port,
    protocol: first.protocol,
    servers: servers.map((s) => ({ host: s.host, port: s.port, protocol: s.protocol })),
    clean: settings.cleanStart,
    keepalive: settings.keepaliveSeconds,
    connectTimeout: settings.connectTimeoutMs,
    reconnectPeriod: settings.reconnectBackoffMs,
    manualConnect: true,
    // Resubscription after a lost session is the caller's job (it knows its filters); mqtt.js's own only works
    // with its fixed reconnect period.
    resubscribe: false,
    // PINGREQ every keepalive interval, whatever the traffic: otherwise mqtt.js re-arms its ping timer on every
    // PUBACK it receives, a new timer per acknowledged publish (3 % of a busy sink's allocations).
    reschedulePings: false,
    // No cache of all 65,536 packet ids as Buffers (6 MB of heap, see connectors/mqtt-source/packets.ts).
    writeCache: false,
  };
  // mqtt.js logs each packet through `debug`, which costs even when nothing is printed (2–4 % of a busy sink's CPU):
  // unless DEBUG asks for debug output, its log is a no-op.
  if (!process.env['DEBUG']) options.log = quietLog;
  if (version === 5) {
    options.properties = { sessionExpiryInterval: settings.sessionExpirySeconds };
  }
  if (settings.username !== undefined) {
    options.username = settings.username;
    if (settings.password !== undefined) options.password = settings.password;
  }
  if (servers.some((s) => s.protocol === 'mqtts')) addTls(options, tlsOptions(settings));
  return options;
}

/**
 * The TLS options of the connection keys, files read here (a task's start, never a constructor): the broker
 * certificate is always verified; its host name too unless `mqtt.ssl.verify.hostname` is false. Throws a
 * {@link ConfigError} naming the key of a file it cannot read.
 */
export function tlsOptions(settings: MqttConnectionSettings): ConnectionOptions {
  const read = (key: string, file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readSettingFile(file);
    } catch (err) {
      throw new ConfigError([{ key, message: (err as Error).message }]);
    }
  };
  const { tls } = settings;
  const out: ConnectionOptions = {};
  const ca = read('mqtt.ssl.ca', tls.caFile);
  const cert = read('mqtt.ssl.cert', tls.certFile);
  const key = read('mqtt.ssl.key', tls.keyFile);
  if (ca) out.ca = ca;
  if (cert) out.cert = cert;
  if (key) out.key = key;
  if (tls.keyPassword !== undefined) out.passphrase = tls.keyPassword;
  out.rejectUnauthorized = true;
  if (!tls.verifyHostname) out.checkServerIdentity = () => undefined;
  return out;
}

function addTls(options: MqttClientOptions, tls: ConnectionOptions): void {
  if (tls.ca !== undefined) options.ca = tls.ca as Buffer;
  if (tls.cert !== undefined) options.cert = tls.cert as Buffer;
  if (tls.key !== undefined) options.key = tls.key as Buffer;
  if (tls.passphrase !== undefined) options.passphrase = tls.passphrase;
  options.rejectUnauthorized = true;
  if (tls.checkServerIdentity !== undefined) options.checkServerIdentity = tls.checkServerIdentity;
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
