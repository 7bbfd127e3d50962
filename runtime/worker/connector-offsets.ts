import type { OffsetMap } from '../api';
import { FerryError } from '../api';
import type { ConnectorOffsets } from '../herder/types';
import type { ConnectorState } from '../storage';
import type { WorkerServices } from './services';
import { sinkGroup, sinkSubscription, type SinkOffset } from './sink-offsets';

/**
 * The offsets endpoints: a source connector's offsets live in the offsets topic, a sink's in its consumer group.
 * Writes are allowed only while the connector is STOPPED (the caller checks).
 */
export class ConnectorOffsetsApi {
  constructor(private readonly s: WorkerServices) {}

  async list(name: string, stored: ConnectorState, type: string): Promise<ConnectorOffsets> {
    if (type === 'sink') {
      const list = await this.s.sinkOffsets.list(sinkGroup(name), sinkSubscription(stored.config));
      return { offsets: list.map((o) => ({ partition: o.partition, offset: o.offset })) };
    }
    await this.s.offsets.readToEnd();
    return {
      offsets: this.s.offsets.list(name).map((o) => ({ partition: { ...o.partition }, offset: { ...o.offset } })),
    };
  }

  async alter(name: string, type: string, body: ConnectorOffsets): Promise<void> {
    if (!Array.isArray(body?.offsets) || body.offsets.length === 0)
      throw new FerryError('BAD_REQUEST', 'Partitions / offsets need to be provided for an alter offsets request');
    if (type === 'sink') {
      await this.s.sinkOffsets.alter(sinkGroup(name), body.offsets.map(sinkEntry));
      return;
    }
    const entries = body.offsets.map((o, i) => {
      if (!o.partition || typeof o.partition !== 'object' || Array.isArray(o.partition))
        throw new FerryError('BAD_REQUEST', `offsets[${i}].partition must be an object`);
      if (o.offset !== null && (typeof o.offset !== 'object' || Array.isArray(o.offset)))
        throw new FerryError('BAD_REQUEST', `offsets[${i}].offset must be an object or null`);
      return { partition: o.partition as OffsetMap, offset: o.offset as OffsetMap | null };
    });
    await this.s.offsets.write(name, entries);
  }

  /** Forgets every offset: the next start reads from the beginning. */
  async reset(name: string, stored: ConnectorState, type: string): Promise<void> {
    if (type === 'sink') await this.s.sinkOffsets.reset(sinkGroup(name), sinkSubscription(stored.config));
    else await this.s.offsets.clear(name);
  }
}

function sinkEntry(o: ConnectorOffsets['offsets'][number], i: number): SinkOffset {
  const p = o.partition as Record<string, unknown> | null;
  const topic = p?.kafka_topic;
  const partition = p?.kafka_partition;
  if (typeof topic !== 'string' || topic === '' || !Number.isInteger(partition) || (partition as number) < 0)
    throw new FerryError(
      'BAD_REQUEST',
      `offsets[${i}].partition must be {"kafka_topic": <string>, "kafka_partition": <int ≥ 0>}`,
    );
  const off = o.offset?.kafka_offset;
  if (o.offset !== null && (!Number.isInteger(off) || (off as number) < 0))
    throw new FerryError('BAD_REQUEST', `offsets[${i}].offset must be {"kafka_offset": <int ≥ 0>} or null`);
  return {
    partition: { kafka_topic: topic, kafka_partition: partition as number },
    offset: o.offset === null ? null : { kafka_offset: off as number },
  };
}
