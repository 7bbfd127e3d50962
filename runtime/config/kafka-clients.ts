import type { ConfigIssue } from '../api';

/**
 * The worker's Kafka client settings: the security keys apply to every client the worker creates (internal topics,
 * admin, cluster membership, tasks, dead letters, offsets endpoints); the `producer.`/`consumer.`/`admin.` overrides
 * to clients of that kind. Values are librdkafka's, keyed by the names operators know from Kafka clients.
 */
export interface KafkaClientSettings {
  readonly bootstrapServers: string;
  /** security.protocol, sasl.*, ssl.*: only the keys that were set. */
  readonly security: Readonly<Record<string, string>>;
  readonly producer: Readonly<Record<string, string>>;
  readonly consumer: Readonly<Record<string, string>>;
  readonly admin: Readonly<Record<string, string>>;
}

/** Worker keys passed as they are to every Kafka client. */
export const KAFKA_SECURITY_KEYS = [
  'security.protocol',
  'sasl.mechanism',
  'sasl.username',
  'sasl.password',
  'ssl.ca.location',
  'ssl.certificate.location',
  'ssl.key.location',
  'ssl.key.password',
  'ssl.endpoint.identification.algorithm',
] as const;

/**
 * Picks the Kafka client settings out of the validated worker settings and checks that they fit together, so a
 * SASL cluster without credentials is refused at start with the key to set, not after 30 s of failed connections.
 * `where(key)` names the environment variable a value came from.
 */
export function parseKafkaClientSettings(
  data: Readonly<Record<string, unknown>>,
  where: (key: string) => string,
): { settings: KafkaClientSettings; issues: ConfigIssue[] } {
  const security: Record<string, string> = {};
  for (const key of KAFKA_SECURITY_KEYS) {
    const v = data[key];
    // Validated by the schema already: strings.
    if (typeof v === 'string') security[key] = v;
  }
  if (security['security.protocol'] !== undefined)
    security['security.protocol'] = security['security.protocol'].toLowerCase();
  const protocol = security['security.protocol'] ?? 'plaintext';
  const issues: ConfigIssue[] = [];
  const sasl = protocol.startsWith('sasl_');
  if (sasl) {
    for (const key of ['sasl.mechanism', 'sasl.username', 'sasl.password'])
      if (security[key] === undefined)
        issues.push({ key, message: `is required when security.protocol is ${protocol}` });
  } else {
    for (const key of ['sasl.mechanism', 'sasl.username', 'sasl.password'])
      if (security[key] !== undefined)
        issues.push({
          key,
          message: `is set but security.protocol is ${protocol}: set security.protocol to sasl_plaintext or sasl_ssl${where(key)}`,
        });
  }
  if (!protocol.endsWith('ssl')) {
    for (const key of KAFKA_SECURITY_KEYS)
      if (key.startsWith('ssl.') && security[key] !== undefined)
        issues.push({
          key,
          message: `is set but security.protocol is ${protocol}: set security.protocol to ssl or sasl_ssl${where(key)}`,
        });
  }
  if ((security['ssl.certificate.location'] === undefined) !== (security['ssl.key.location'] === undefined)) {
    const missing = security['ssl.key.location'] === undefined ? 'ssl.key.location' : 'ssl.certificate.location';
    issues.push({
      key: missing,
      message: 'a client certificate needs both ssl.certificate.location and ssl.key.location',
    });
  }
  const prefixed = (prefix: string): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(data))
      if (key.startsWith(prefix)) out[key.slice(prefix.length)] = String(value);
    return out;
  };
  return {
    settings: {
      bootstrapServers: String(data['bootstrap.servers']),
      security,
      producer: prefixed('producer.'),
      consumer: prefixed('consumer.'),
      admin: prefixed('admin.'),
    },
    issues,
  };
}
