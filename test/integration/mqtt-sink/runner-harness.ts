import Kafka from 'node-rdkafka';
import { mqttSinkPlugin, MqttSinkTask } from '../../../connectors/mqtt-sink';
import type { RawConfig, SinkConnectorPlugin, SinkRecord } from '../../../runtime/api';
import { parseTaskConfig } from '../../../runtime/config/connector-config';
import type { SinkPipeline } from '../../../runtime/pipeline/types';
import { SinkTaskRunner } from '../../../runtime/tasks/sink-task-runner';
import { quietLogger, stackEnv } from '../../helpers';

/** A sink runner as a worker builds it, in the test's process, with what it did recorded. */
export interface RunnerUnderTest {
  readonly runner: SinkTaskRunner;
  /** The MQTT sink task the runner created. */
  readonly task: () => MqttSinkTask;
  readonly consumer: () => Kafka.KafkaConsumer;
  /** `assign <n>` / `revoke <n>`, in order. */
  readonly rebalances: string[];
  readonly consumerErrors: string[];
  readonly logLines: string[];
  readonly failures: Error[];
}

/**
 * A real MQTT sink task under a real sink runner and Kafka consumer (the shared Kafka), with string values and no
 * converters: for tests that need the runner's own behaviour against real brokers and settings a worker does not
 * expose per test (`max.poll.interval.ms`).
 */
export function sinkRunner(opts: {
  name: string;
  topic: string;
  mqtt: RawConfig;
  consumer?: Record<string, string | number | boolean>;
}): RunnerUnderTest {
  const raw: RawConfig = { topics: opts.topic, 'mqtt.payload.format': 'string', ...opts.mqtt };
  const parsed = parseTaskConfig(mqttSinkPlugin, raw);
  if (parsed.issues.length > 0) throw new Error(`bad sink config: ${JSON.stringify(parsed.issues)}`);
  const out = {
    rebalances: [] as string[],
    consumerErrors: [] as string[],
    logLines: [] as string[],
    failures: [] as Error[],
  };
  let task: MqttSinkTask | undefined;
  let consumer: Kafka.KafkaConsumer | undefined;
  const plugin: SinkConnectorPlugin = { ...mqttSinkPlugin, createTask: () => (task = new MqttSinkTask()) };
  const pipeline: SinkPipeline = {
    process: (m): SinkRecord => ({
      topic: m.topic,
      kafkaPartition: m.partition,
      kafkaOffset: m.offset,
      key: null,
      value: m.value?.toString() ?? null,
      headers: [],
    }),
    reject: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const runner = new SinkTaskRunner({
    connector: opts.name,
    taskId: 0,
    workerId: 'test',
    plugin,
    config: parsed.values,
    settings: parsed.settings,
    rawConfig: raw,
    pipeline,
    consumerConf: { 'bootstrap.servers': stackEnv().kafka, ...opts.consumer },
    groupId: `connect-${opts.name}`,
    topics: [opts.topic],
    topicsRegex: undefined,
    logger: quietLogger(out.logLines),
    metrics: { count: () => undefined, gauge: () => undefined },
    commitIntervalMs: 500,
    onTopicUsed: () => undefined,
    onFailure: (err) => out.failures.push(err),
    createConsumer: (conf, topicConf) => {
      const c = new Kafka.KafkaConsumer(conf, topicConf);
      c.on('rebalance', (err, assignment) =>
        out.rebalances.push(
          `${err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS ? 'assign' : 'revoke'} ${assignment.length}`,
        ),
      );
      c.on('event.error', (err) => out.consumerErrors.push(err.message));
      consumer = c;
      return c;
    },
  });
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`the runner has no ${what} yet`);
    return v;
  };
  return { runner, task: () => need(task, 'task'), consumer: () => need(consumer, 'consumer'), ...out };
}
