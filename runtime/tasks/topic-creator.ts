import type { KafkaAdmin } from '../kafka';

/**
 * Creates the Kafka topics that source records name, with the connector's `topic.creation.default.*` settings, so a
 * topic is never left to the broker's auto-create defaults (or silently missing). One per worker: topics already
 * known are answered without I/O.
 */
export class TopicCreator {
  private readonly known = new Set<string>();
  private readonly inProgress = new Map<string, Promise<void>>();

  constructor(private readonly admin: KafkaAdmin) {}

  /** null when the topic is known to exist (the hot path); otherwise a promise that settles once it does. */
  ensure(topic: string, partitions: number, replicationFactor: number): Promise<void> | null {
    if (this.known.has(topic)) return null;
    let p = this.inProgress.get(topic);
    if (!p) {
      p = this.admin
        .ensureTopic({ name: topic, partitions, replicationFactor })
        .then(() => {
          this.known.add(topic);
        })
        .finally(() => this.inProgress.delete(topic));
      this.inProgress.set(topic, p);
    }
    return p;
  }
}
