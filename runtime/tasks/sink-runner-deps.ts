import type Kafka from 'node-rdkafka';
import type { ConfigValues, Logger, RawConfig, SinkConnectorPlugin, TaskMetrics } from '../api';
import type { SinkPipeline } from '../pipeline/types';

/** What the worker hands a sink task runner: the task's plugin, settings, pipeline, consumer settings and hooks. */
export interface SinkRunnerDeps {
  readonly connector: string;
  readonly taskId: number;
  readonly workerId: string;
  readonly plugin: SinkConnectorPlugin;
  readonly config: ConfigValues;
  readonly rawConfig: RawConfig;
  readonly settings: unknown;
  readonly pipeline: SinkPipeline;
  /** librdkafka settings for the consumer (bootstrap, overrides). */
  readonly consumerConf: Record<string, string | number | boolean>;
  readonly groupId: string;
  readonly topics: readonly string[] | undefined;
  readonly topicsRegex: string | undefined;
  readonly logger: Logger;
  readonly metrics: TaskMetrics;
  readonly commitIntervalMs: number;
  observeLatency?(seconds: number): void;
  onTopicUsed(topic: string): void;
  onFailure(err: Error): void;
  /** Builds the consumer from its settings; unset: a real librdkafka consumer. Tests pass a fake. */
  readonly createConsumer?: (
    conf: Kafka.ConsumerGlobalConfig,
    topicConf: Kafka.ConsumerTopicConfig,
  ) => Kafka.KafkaConsumer;
}
