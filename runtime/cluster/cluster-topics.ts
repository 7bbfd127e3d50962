import { UnavailableError } from '../api';
import { KafkaAdmin, topicMetadata, type DataProducer } from '../kafka';
import { MEMBER_PREFIX } from './cluster-state';
import type { MembershipSettings } from './membership-options';
import { sleep } from './token-group';

/** Creates the token topic (one partition per possible worker) and the compacted state topic, when missing. */
export async function ensureClusterTopics(settings: MembershipSettings): Promise<void> {
  const admin = new KafkaAdmin(settings.clientConf);
  try {
    const rf = settings.replicationFactor;
    await admin.ensureTopic({
      name: settings.tokensTopic,
      partitions: settings.tokenPartitions,
      replicationFactor: rf,
    });
    await admin.ensureTopic({
      name: settings.stateTopic,
      partitions: 1,
      replicationFactor: rf,
      config: { 'cleanup.policy': 'compact' },
    });
  } finally {
    admin.stop();
  }
}

/** A topic just created may not show in metadata for a moment; readers need its partitions. */
export async function waitForClusterTopics(
  client: DataProducer['client'],
  settings: MembershipSettings,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const { stateTopic, tokensTopic } = settings;
  const ready = async (name: string): Promise<boolean> =>
    ((await topicMetadata(client, name, 5_000).catch(() => undefined))?.partitions.length ?? 0) >= 1;
  for (;;) {
    if ((await ready(stateTopic)) && (await ready(tokensTopic))) return;
    if (Date.now() > deadline)
      throw new UnavailableError(`cluster topics ${tokensTopic} and ${stateTopic} are not available`);
    await sleep(200);
  }
}

/**
 * Whether a member record under this worker's own id was written by another process (its `instance` differs):
 * two live workers advertising the same host:port would share one member record and confuse everyone.
 */
export function isOtherInstance(key: string, value: Buffer | null, workerId: string, instance: string): boolean {
  if (key !== MEMBER_PREFIX + workerId || value === null) return false;
  let theirs: unknown;
  try {
    theirs = (JSON.parse(value.toString('utf8')) as { instance?: unknown }).instance;
  } catch {
    return false;
  }
  return typeof theirs === 'string' && theirs !== instance;
}

/** Writes one record to the state topic's single partition; its offset is what leader epochs and generations are. */
export async function writeStateRecord(
  producer: DataProducer,
  stateTopic: string,
  key: string,
  value: unknown,
): Promise<number> {
  const offset = await producer.sendAsync({
    topic: stateTopic,
    partition: 0,
    key: Buffer.from(key),
    value: Buffer.from(JSON.stringify(value)),
    headers: [],
  });
  if (offset === undefined) throw new UnavailableError(`no offset for the ${key} record`);
  return offset;
}
