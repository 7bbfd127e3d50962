import { rest } from './worker';

export const STRING_CONVERTER = 'org.apache.kafka.connect.storage.StringConverter';
export const AVRO_CONVERTER = 'io.confluent.connect.avro.AvroConverter';

type Config = Record<string, string>;

/** An MQTT sink for a worker test: one task, string key and value converters; `extra` adds or overrides keys. */
export function mqttSinkConfig(o: { topics: string; mqttUrl: string; mqttTopic: string }, extra: Config = {}): Config {
  return {
    'connector.class': 'MqttSinkConnector',
    'tasks.max': '1',
    topics: o.topics,
    'key.converter': STRING_CONVERTER,
    'value.converter': STRING_CONVERTER,
    'mqtt.server.uri': o.mqttUrl,
    'mqtt.topic': o.mqttTopic,
    ...extra,
  };
}

/**
 * An MQTT source for a worker test: one task, string key and value converters, its Kafka topics created with one
 * partition and one replica; `extra` adds or overrides keys.
 */
export function mqttSourceConfig(
  o: { filters: string; mqttUrl: string; kafkaTopic: string },
  extra: Config = {},
): Config {
  return {
    'connector.class': 'MqttSourceConnector',
    'tasks.max': '1',
    'mqtt.server.uri': o.mqttUrl,
    'mqtt.topics': o.filters,
    'kafka.topic': o.kafkaTopic,
    'key.converter': STRING_CONVERTER,
    'value.converter': STRING_CONVERTER,
    'topic.creation.default.partitions': '1',
    'topic.creation.default.replication.factor': '1',
    ...extra,
  };
}

/** Creates a connector through a worker's REST API; throws with the answer unless it was created (201). */
export async function createConnector(workerUrl: string, name: string, config: Config): Promise<void> {
  const res = await rest(workerUrl, 'POST', '/connectors', { name, config });
  if (res.status !== 201) throw new Error(`creating ${name}: ${res.status} ${JSON.stringify(res.body)}`);
}
