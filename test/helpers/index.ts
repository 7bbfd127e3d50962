/**
 * What integration tests share: waiting, unique names, the stack, Kafka, worker processes, connector configs and a
 * fake MQTT broker.
 */
export { AVRO_CONVERTER, createConnector, mqttSinkConfig, mqttSourceConfig, STRING_CONVERTER } from './connectors';
export { eventually, sleep, type EventuallyOptions } from './eventually';
export { FakeMqttBroker } from './fake-mqtt-broker';
export { uniqueId } from './ids';
export {
  createTopic,
  headerValue,
  headerValues,
  KafkaReader,
  produce,
  readTopic,
  type KafkaRecord,
  type ProducedRecord,
  type ReadOptions,
  type ReaderOptions,
} from './kafka';
export { quietLogger, silentLogger } from './logger';
export { quietSourceRunnerDeps, runnerTask } from './runner';
export { DedicatedService, freePort, stackEnv, type Service } from './stack';
export {
  FIXTURE_PLUGINS,
  freshCluster,
  rest,
  startFreshWorker,
  startWorker,
  type ClusterNames,
  type WorkerHandle,
} from './worker';
