import Kafka from 'node-rdkafka';
import { UnavailableError } from '../api';

const TOPIC_ALREADY_EXISTS = 36;

export interface TopicSpec {
  readonly name: string;
  /** -1: the broker's default. */
  readonly partitions: number;
  /** -1: the broker's default. */
  readonly replicationFactor: number;
  readonly config?: Record<string, string>;
}

/** Topic administration; node-rdkafka's admin client can create and delete topics, nothing more. */
export class KafkaAdmin {
  private client: Kafka.IAdminClient | undefined;

  constructor(private readonly conf: Record<string, string | number | boolean>) {}

  private admin(): Kafka.IAdminClient {
    this.client ??= Kafka.AdminClient.create(this.conf);
    return this.client;
  }

  /** Creates the topic unless it exists. Returns true when this call created it. */
  async ensureTopic(spec: TopicSpec, timeoutMs = 30_000): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.admin().createTopic(
        {
          topic: spec.name,
          num_partitions: spec.partitions,
          replication_factor: spec.replicationFactor,
          config: spec.config ?? {},
        },
        timeoutMs,
        (err) => {
          if (!err) resolve(true);
          else if (err.code === TOPIC_ALREADY_EXISTS) resolve(false);
          else reject(new UnavailableError(`cannot create topic ${spec.name}: ${err.message}`, { cause: err }));
        },
      );
    });
  }

  async deleteTopic(name: string, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) =>
      this.admin().deleteTopic(name, timeoutMs, (err) =>
        err ? reject(new UnavailableError(`cannot delete topic ${name}: ${err.message}`, { cause: err })) : resolve(),
      ),
    );
  }

  stop(): void {
    this.client?.disconnect();
    this.client = undefined;
  }
}
