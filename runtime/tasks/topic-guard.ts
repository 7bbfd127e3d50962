import type { TopicCreator } from './topic-creator';

/** Topics of the schema registry and of Kafka itself, whatever the worker is configured with. */
const ALWAYS_INTERNAL = ['_schemas', '__consumer_offsets', '__transaction_state'];

export interface TopicGuardOptions {
  /** The worker's own topics: config, offsets and status storage, the cluster's membership topics. */
  readonly internalTopics: readonly string[];
  /** `limits.topics.per.connector.max`. */
  readonly maxCreatedPerConnector: number;
  readonly creator: TopicCreator;
  /** Whether Kafka has the topic; asked only for a topic the worker has not seen once a connector is at the cap. */
  readonly exists: (topic: string) => Promise<boolean>;
}

/** How long a topic found missing at the cap is refused without asking Kafka again. */
const MISSING_TTL_MS = 60_000;

/** A topic name as a reason may quote it: topic names come from publishers through templates. */
function shown(topic: string): string {
  return JSON.stringify(topic.length > 120 ? `${topic.slice(0, 120)}…` : topic);
}

/**
 * Decides whether a source record may go to the topic its template (or a transform) chose. A templated `kafka.topic`
 * puts part of an MQTT topic — chosen by whoever may publish — into the Kafka topic name, so a publisher could
 * otherwise write into the worker's own config, offsets or status topics, or make the worker create topics without
 * end. A refused record goes to the connector's error policy with the reason, never to the topic.
 */
export class TopicGuard {
  private readonly internal: ReadonlySet<string>;
  private readonly missing = new Map<string, number>();

  constructor(private readonly opts: TopicGuardOptions) {
    this.internal = new Set([...ALWAYS_INTERNAL, ...opts.internalTopics]);
  }

  /**
   * Why `connector` may not write to `topic`, or undefined when it may. Synchronous except for a topic this worker
   * has not seen while the connector is at its cap: it may exist already, which only Kafka can say.
   */
  refusal(connector: string, topic: string): string | undefined | Promise<string | undefined> {
    if (this.internal.has(topic) || topic.startsWith('__')) {
      return `topic ${shown(topic)} is an internal topic (of the worker, the schema registry or Kafka); records are never written there`;
    }
    if (this.opts.creator.knows(topic)) return undefined;
    const created = this.opts.creator.createdFor(connector);
    if (created < this.opts.maxCreatedPerConnector) return undefined;
    const reason =
      `topic ${shown(topic)} does not exist, and this connector already made this worker create ${created} ` +
      `topics (worker setting limits.topics.per.connector.max)`;
    const since = this.missing.get(topic);
    if (since !== undefined && Date.now() - since < MISSING_TTL_MS) return reason;
    return this.opts.exists(topic).then(
      (exists) => {
        if (exists) {
          this.missing.delete(topic);
          return undefined;
        }
        // Bounded: a flood of distinct names must not grow this map without end.
        if (this.missing.size >= 10_000) this.missing.clear();
        this.missing.set(topic, Date.now());
        return reason;
      },
      () => reason,
    );
  }
}
