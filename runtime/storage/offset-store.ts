import type { Logger, OffsetMap } from '../api';
import type { LogRecord } from '../kafka';
import { canonicalJson } from './canonical-json';
import { parseJson, type InternalTopic } from './internal-topics';

export interface StoredOffset {
  readonly partition: OffsetMap;
  readonly offset: OffsetMap;
}

/**
 * Source offsets in the offsets topic, keyed as Connect keys them: `["<connector>",{<source partition>}]` in
 * canonical compact JSON; a tombstone removes one.
 */
export class OffsetStore {
  private readonly byConnector = new Map<string, Map<string, StoredOffset>>();
  private topic: InternalTopic | undefined;

  constructor(private readonly logger: Logger) {}

  async start(topic: InternalTopic): Promise<void> {
    this.topic = topic;
    await topic.start();
  }

  get(connector: string, partition: OffsetMap): OffsetMap | null {
    return this.byConnector.get(connector)?.get(canonicalJson(partition))?.offset ?? null;
  }

  list(connector: string): StoredOffset[] {
    return [...(this.byConnector.get(connector)?.values() ?? [])];
  }

  /** Writes offsets (null clears a partition) and waits until Kafka has them. */
  async write(
    connector: string,
    entries: readonly { partition: OffsetMap; offset: OffsetMap | null }[],
  ): Promise<void> {
    if (!this.topic) throw new Error('offset store not started');
    if (entries.length === 0) return;
    await this.topic.write(entries.map((e) => ({ key: offsetKey(connector, e.partition), value: e.offset })));
  }

  /** Tombstones every stored offset of a connector. */
  async clear(connector: string): Promise<void> {
    await this.write(
      connector,
      this.list(connector).map((o) => ({ partition: o.partition, offset: null })),
    );
  }

  readToEnd(): Promise<void> {
    return this.topic?.readToEnd() ?? Promise.resolve();
  }

  apply(rec: LogRecord): void {
    let parsedKey: unknown;
    try {
      parsedKey = JSON.parse(rec.key);
    } catch {
      this.logger.warn({ key: rec.key }, 'offsets topic key is not JSON; ignored');
      return;
    }
    if (!Array.isArray(parsedKey) || typeof parsedKey[0] !== 'string' || typeof parsedKey[1] !== 'object') return;
    const connector = parsedKey[0];
    const partition = parsedKey[1] as OffsetMap;
    const k = canonicalJson(partition);
    const value = parseJson(rec.value);
    let m = this.byConnector.get(connector);
    if (value === null || value === undefined) {
      m?.delete(k);
      return;
    }
    if (!m) {
      m = new Map();
      this.byConnector.set(connector, m);
    }
    m.set(k, { partition, offset: value as OffsetMap });
  }
}

export function offsetKey(connector: string, partition: OffsetMap): string {
  return canonicalJson([connector, partition]);
}
