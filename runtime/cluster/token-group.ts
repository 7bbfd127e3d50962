import Kafka from 'node-rdkafka';
import type { Logger } from '../api';
import { connectClient } from '../kafka';
import type { MembershipSettings } from './membership-options';

const ERR_ASSIGN_PARTITIONS = -175;
const ERR_REVOKE_PARTITIONS = -174;

export type RebalanceEvent = 'assign' | 'revoke';

/**
 * This worker's seat in Kafka's consumer group: a consumer of the token topic (cooperative-sticky) whose partitions
 * carry no data and only mark who is in the group. It reports the token partitions it holds after every
 * rebalance; the group coordinator's failure detection does the rest.
 */
export class TokenGroup {
  private consumer: Kafka.KafkaConsumer | undefined;
  private consuming = false;
  private consumeLoop: Promise<void> | undefined;
  private held = 0;

  constructor(
    private readonly groupId: string,
    private readonly settings: MembershipSettings,
    private readonly logger: Logger,
    /** Called from librdkafka's rebalance callback with the token partitions held now. */
    private readonly onTokens: (tokens: Set<number>, event: RebalanceEvent) => void,
  ) {}

  async join(): Promise<void> {
    const consumer = this.newConsumer();
    this.consumer = consumer;
    await connectClient(consumer, 30_000, 'cannot join cluster group');
    consumer.subscribe([this.settings.tokensTopic]);
    this.consuming = true;
    this.consumeLoop = this.runConsumeLoop(consumer);
  }

  /** Leaves the group (handing the tokens back at once) and closes the consumer. */
  async leave(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    try {
      // Unsubscribing revokes (served by the still-running consume loop) and sends LeaveGroup; closing with a
      // rebalance pending would wait on a callback that has no JS thread to run on.
      consumer.unsubscribe();
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && this.held > 0 && safeAssignments(consumer).length > 0) await sleep(20);
    } catch (err) {
      this.logger.warn({ err }, 'could not unsubscribe from the cluster group');
    }
    this.consuming = false;
    await this.consumeLoop?.catch(() => undefined);
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }

  private newConsumer(): Kafka.KafkaConsumer {
    const consumer = new Kafka.KafkaConsumer(
      {
        ...this.settings.clientConf,
        'group.id': this.groupId,
        'partition.assignment.strategy': 'cooperative-sticky',
        'session.timeout.ms': this.settings.sessionTimeoutMs,
        'heartbeat.interval.ms': this.settings.heartbeatIntervalMs,
        'enable.auto.commit': false,
        'enable.partition.eof': false,
        rebalance_cb: (err: Kafka.LibrdKafkaError | undefined, assignment: Kafka.Assignment[]) =>
          this.onRebalance(consumer, err, assignment),
      },
      { 'auto.offset.reset': 'latest' },
    );
    consumer.on('event.error', (err) => this.logger.warn({ err: err.message }, 'cluster group client error'));
    return consumer;
  }

  /**
   * librdkafka calls this from the consumer's poll. Revocations include partitions lost to a session timeout:
   * librdkafka gives them up by itself once it has not reached the coordinator for session.timeout.ms, which is
   * what makes a cut-off worker stop its units no later than the coordinator hands them out.
   */
  private onRebalance(
    consumer: Kafka.KafkaConsumer,
    err: Kafka.LibrdKafkaError | undefined,
    assignment: Kafka.Assignment[],
  ): void {
    try {
      if (err?.code === ERR_ASSIGN_PARTITIONS) {
        consumer.incrementalAssign(assignment);
        // Tokens carry no data: never fetch them.
        consumer.pause(assignment.map((a) => ({ topic: a.topic, partition: a.partition })));
      } else if (err?.code === ERR_REVOKE_PARTITIONS) {
        consumer.incrementalUnassign(assignment);
      } else {
        this.logger.warn({ err: err?.message }, 'unexpected rebalance event');
      }
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'rebalance step failed');
    }
    const tokens = new Set(
      safeAssignments(consumer)
        .filter((a) => a.topic === this.settings.tokensTopic)
        .map((a) => a.partition),
    );
    this.held = tokens.size;
    this.onTokens(tokens, err?.code === ERR_ASSIGN_PARTITIONS ? 'assign' : 'revoke');
  }

  private async runConsumeLoop(consumer: Kafka.KafkaConsumer): Promise<void> {
    consumer.setDefaultConsumeTimeout(200);
    while (this.consuming) {
      // Paused partitions return nothing; consuming is what serves heartbeats' rebalance callbacks.
      await new Promise<void>((resolve) => consumer.consume(1, () => resolve()));
    }
  }
}

/** A disconnected consumer holds nothing. */
function safeAssignments(consumer: Kafka.KafkaConsumer): Kafka.Assignment[] {
  try {
    return consumer.assignments();
  } catch {
    return [];
  }
}

/** Timers that never keep the process alive on their own (stop() races against them). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
