import type { KafkaAdmin } from '../kafka';

/**
 * Creates the Kafka topics that source records name, with the connector's `topic.creation.default.*` settings, so a
 * topic is never left to the broker's auto-create defaults (or silently missing). One per worker: topics already
 * known are answered without I/O. Counts the topics it created for each connector, for
 * `limits.topics.per.connector.max` (see {@link TopicGuard}).
 */
export class TopicCreator {
  private readonly known = new Set<string>();
  private readonly inProgress = new Map<string, Promise<void>>();
  private readonly createdBy = new Map<string, number>();

  constructor(private readonly admin: KafkaAdmin) {}

  /** null when the topic is known to exist (the hot path); otherwise a promise that settles once it does. */
  ensure(topic: string, partitions: number, replicationFactor: number, connector?: string): Promise<void> | null {
    if (this.known.has(topic)) return null;
    let p = this.inProgress.get(topic);
    if (!p) {
      p = this.admin
        .ensureTopic({ name: topic, partitions, replicationFactor })
        .then((created) => {
          this.known.add(topic);
          if (created && connector !== undefined)
            this.createdBy.set(connector, (this.createdBy.get(connector) ?? 0) + 1);
        })
        .finally(() => this.inProgress.delete(topic));
      this.inProgress.set(topic, p);
    }
    return p;
  }

  /** The topic is known to exist (or is being made to). */
  knows(topic: string): boolean {
    return this.known.has(topic) || this.inProgress.has(topic);
  }

  /** Topics this worker created for records of `connector` since it started. */
  createdFor(connector: string): number {
    return this.createdBy.get(connector) ?? 0;
  }
}
