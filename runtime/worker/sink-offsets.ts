import Kafka from 'node-rdkafka';
import { allTopicsMetadata, connectClient, topicMetadata } from '../kafka';
import { FerryError, type RawConfig } from '../api';
import { splitList } from '../config';

/** The consumer group of a sink connector, as Connect names it. */
export function sinkGroup(connector: string): string {
  return `connect-${connector}`;
}

/** What a sink reads: `topics.regex` when set (it wins), else the `topics` list. */
export interface SinkSubscription {
  readonly topics: readonly string[];
  readonly regex: string | undefined;
}

/** The one reading of a sink config's `topics` / `topics.regex`, for its runner and for its group's offsets. */
export function sinkSubscription(config: RawConfig): SinkSubscription {
  const regex = config['topics.regex']?.trim() || undefined;
  return { topics: regex ? [] : splitList(config.topics ?? ''), regex };
}

export interface SinkOffset {
  readonly partition: { kafka_topic: string; kafka_partition: number };
  readonly offset: { kafka_offset: number } | null;
}

/**
 * Reads and rewrites a sink connector's consumer group offsets (`connect-<name>`), as Connect's offsets endpoints
 * do. node-rdkafka's admin client cannot list or delete group offsets, so a consumer of the group that never joins
 * it reads them (`committed`) and commits new ones; the group must be empty, which a STOPPED connector guarantees.
 * A reset commits each partition's earliest available offset: the next start reads from the beginning, exactly
 * as with no committed offset (the sink's `auto.offset.reset` is earliest).
 */
export class SinkOffsets {
  constructor(private readonly conf: Record<string, string | number | boolean>) {}

  private async withConsumer<T>(group: string, fn: (c: Kafka.KafkaConsumer) => Promise<T>): Promise<T> {
    const c = new Kafka.KafkaConsumer({ ...this.conf, 'group.id': group, 'enable.auto.commit': false }, {});
    await connectClient(c, 30_000, 'cannot reach Kafka');
    try {
      return await fn(c);
    } finally {
      await new Promise<void>((r) => c.disconnect(() => r()));
    }
  }

  /** Partitions of the topics a sink reads (a list, or a regex matched against the cluster's topics). */
  private async partitions(
    c: Kafka.KafkaConsumer,
    { topics, regex }: SinkSubscription,
  ): Promise<Kafka.TopicPartition[]> {
    const out: Kafka.TopicPartition[] = [];
    if (regex) {
      // Only a regex needs the whole cluster's topic list.
      const md = await allTopicsMetadata(c, 30_000);
      const re = new RegExp(`^(?:${regex})$`);
      for (const t of md.topics) {
        if (t.name.startsWith('__') || !re.test(t.name)) continue;
        for (const p of t.partitions) out.push({ topic: t.name, partition: p.id });
      }
      return out;
    }
    for (const name of new Set(topics)) {
      const t = await topicMetadata(c, name, 30_000);
      for (const p of t?.partitions ?? []) out.push({ topic: name, partition: p.id });
    }
    return out;
  }

  async list(group: string, sub: SinkSubscription): Promise<SinkOffset[]> {
    return this.withConsumer(group, async (c) => {
      const tps = await this.partitions(c, sub);
      if (tps.length === 0) return [];
      const committed = await new Promise<Kafka.TopicPartitionOffset[]>((resolve, reject) =>
        c.committed(tps, 30_000, (err, res) => (err ? reject(new Error(err.message)) : resolve(res))),
      );
      return committed
        .filter((tp) => typeof tp.offset === 'number' && tp.offset >= 0)
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
        .map((tp) => ({
          partition: { kafka_topic: tp.topic, kafka_partition: tp.partition },
          offset: { kafka_offset: tp.offset },
        }));
    });
  }

  /** Commits the given offsets; `offset: null` resets that partition to its earliest offset. */
  async alter(group: string, entries: readonly SinkOffset[]): Promise<void> {
    await this.withConsumer(group, async (c) => {
      const commits: Kafka.TopicPartitionOffset[] = [];
      for (const e of entries) {
        const { kafka_topic: topic, kafka_partition: partition } = e.partition;
        const offset = e.offset === null ? await earliest(c, topic, partition) : e.offset.kafka_offset;
        commits.push({ topic, partition, offset });
      }
      commitSync(c, commits);
    });
  }

  /** Resets every partition the group has an offset for, to its earliest offset. */
  async reset(group: string, sub: SinkSubscription): Promise<void> {
    const current = await this.list(group, sub);
    if (current.length === 0) return;
    await this.alter(
      group,
      current.map((o) => ({ partition: o.partition, offset: null })),
    );
  }
}

async function earliest(c: Kafka.KafkaConsumer, topic: string, partition: number): Promise<number> {
  return new Promise((resolve, reject) =>
    c.queryWatermarkOffsets(topic, partition, 30_000, (err, wm) => {
      if (err)
        reject(
          new FerryError('BAD_REQUEST', `Cannot read offsets of ${topic}-${partition}: ${err.message}`, { cause: err }),
        );
      else resolve(wm.lowOffset);
    }),
  );
}

function commitSync(c: Kafka.KafkaConsumer, offsets: Kafka.TopicPartitionOffset[]): void {
  try {
    c.commitSync(offsets);
  } catch (err) {
    throw new FerryError(
      'CONFLICT',
      `Could not commit the offsets of the sink's consumer group (is a consumer of the group still running?): ${(err as Error).message}`,
      { cause: err },
    );
  }
}
