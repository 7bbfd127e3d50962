import type { Logger } from '../api';
import { DataProducer, KafkaAdmin, KafkaLog, type LogRecord } from '../kafka';

export interface InternalTopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
}

/** A compacted internal topic: created when missing, read from the start, written with the worker's internal producer. */
export class InternalTopic {
  private readonly log: KafkaLog;

  constructor(
    private readonly spec: InternalTopicSpec,
    private readonly admin: KafkaAdmin,
    private readonly producer: DataProducer,
    clientConf: Record<string, string | number | boolean>,
    onRecord: (rec: LogRecord) => void,
    logger: Logger,
  ) {
    this.log = new KafkaLog(spec.name, clientConf, onRecord, logger);
  }

  async start(): Promise<void> {
    await this.admin.ensureTopic({
      name: this.spec.name,
      partitions: this.spec.partitions,
      replicationFactor: this.spec.replicationFactor,
      config: { 'cleanup.policy': 'compact' },
    });
    await this.log.start();
  }

  /** Writes records (null value = tombstone), waits until Kafka has them all, then until this worker read them back. */
  async write(records: readonly { key: string; value: unknown }[]): Promise<void> {
    await Promise.all(
      records.map((r) =>
        this.producer.sendAsync({
          topic: this.spec.name,
          key: Buffer.from(r.key),
          value: r.value === null ? null : Buffer.from(JSON.stringify(r.value)),
          headers: [],
        }),
      ),
    );
    await this.log.readToEnd();
  }

  readToEnd(): Promise<void> {
    return this.log.readToEnd();
  }

  stop(): Promise<void> {
    return this.log.stop();
  }
}

export function parseJson(value: Buffer | null): unknown {
  if (value === null) return null;
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
}
