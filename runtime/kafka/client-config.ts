import type { KafkaClientSettings } from '../config';

export type KafkaClientKind = 'producer' | 'consumer' | 'admin';

/** librdkafka settings as node-rdkafka takes them. */
export type KafkaClientConf = Record<string, string | number | boolean>;

/**
 * The one place a Kafka client's settings are put together, so that no client of the worker can miss the cluster's
 * security settings. Later entries win: `defaults` (the caller's preferences), then the bootstrap servers and the
 * security settings, then the operator's `producer.`/`consumer.`/`admin.` overrides, then `required` (what the
 * caller's logic depends on, e.g. a consumer's group id).
 */
export function kafkaClientConfig(
  settings: KafkaClientSettings,
  kind: KafkaClientKind,
  opts: { defaults?: KafkaClientConf; required?: KafkaClientConf } = {},
): KafkaClientConf {
  return {
    ...opts.defaults,
    'bootstrap.servers': settings.bootstrapServers,
    ...settings.security,
    ...settings[kind],
    ...opts.required,
  };
}
