import { ConfigError } from '../../runtime/api';

/** One broker address from `mqtt.server.uri`. */
export interface ServerUri {
  readonly protocol: 'mqtt' | 'mqtts';
  readonly host: string;
  readonly port: number;
}

const SCHEMES: Readonly<Record<string, ServerUri['protocol']>> = {
  'mqtt:': 'mqtt',
  'tcp:': 'mqtt',
  'mqtts:': 'mqtts',
  'ssl:': 'mqtts',
};
const DEFAULT_PORTS = { mqtt: 1883, mqtts: 8883 } as const;
const KEY = 'mqtt.server.uri';

/**
 * Parses `mqtt.server.uri`: comma-separated URIs in failover order. `tcp://` is taken as `mqtt://` and `ssl://` as
 * `mqtts://`. Throws a {@link ConfigError} naming `mqtt.server.uri` and every bad URI.
 */
export function parseServerUris(value: string): ServerUri[] {
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (parts.length === 0) throw new ConfigError([{ key: KEY, message: 'at least one broker URI is required' }]);
  const problems: string[] = [];
  const servers: ServerUri[] = [];
  for (const part of parts) {
    const parsed = parseOne(part);
    if (typeof parsed === 'string') problems.push(parsed);
    else servers.push(parsed);
  }
  if (problems.length > 0) throw new ConfigError([{ key: KEY, message: problems.join('; ') }]);
  return servers;
}

function parseOne(uri: string): ServerUri | string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `"${uri}" is not a URI of the form mqtt://host:port`;
  }
  const protocol = SCHEMES[url.protocol];
  if (protocol === undefined) {
    return `"${uri}": scheme ${url.protocol.replace(/:$/, '')} is not supported (use mqtt, mqtts, tcp or ssl)`;
  }
  // URL keeps the brackets of an IPv6 literal; sockets want the bare address.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host.length === 0) return `"${uri}" has no host`;
  if (url.username !== '' || url.password !== '') {
    // Credentials in a URI end up in logs and REST output; they have keys of their own.
    return `"${uri}": put credentials in mqtt.username and mqtt.password, not in the URI`;
  }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    return `"${uri}": a broker URI has no path, query or fragment`;
  }
  const port = url.port === '' ? DEFAULT_PORTS[protocol] : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `"${uri}": port must be 1–65535`;
  return { protocol, host, port };
}
