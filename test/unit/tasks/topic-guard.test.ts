import type { KafkaAdmin } from '../../../runtime/kafka';
import { TopicCreator, TopicGuard } from '../../../runtime/tasks';

/** An admin whose topics are `existing`; every other topic gets created. */
function creator(existing: string[]): TopicCreator {
  const topics = kafkaTopics;
  for (const t of existing) topics.add(t);
  const admin = {
    ensureTopic: ({ name }: { name: string }) => {
      const created = !topics.has(name);
      topics.add(name);
      return Promise.resolve(created);
    },
  } as unknown as KafkaAdmin;
  return new TopicCreator(admin);
}

const kafkaTopics = new Set<string>();
const exists = (topic: string): Promise<boolean> => Promise.resolve(kafkaTopics.has(topic));

describe('TopicGuard', () => {
  beforeEach(() => kafkaTopics.clear());

  it("refuses the worker's own topics, the registry's and Kafka's", () => {
    const guard = new TopicGuard({
      internalTopics: ['w-configs'],
      maxCreatedPerConnector: 10,
      creator: creator([]),
      exists,
    });
    for (const t of ['w-configs', '_schemas', '__consumer_offsets', '__transaction_state', '__anything'])
      expect(guard.refusal('c', t)).toMatch(/is an internal topic/);
    expect(guard.refusal('c', 'telemetry')).toBeUndefined();
  });

  it('lets a connector make the worker create at most the limit of new topics; existing ones always pass', async () => {
    const topics = creator(['existing']);
    const guard = new TopicGuard({ internalTopics: [], maxCreatedPerConnector: 2, creator: topics, exists });
    for (const t of ['t1', 't2']) {
      expect(guard.refusal('c', t)).toBeUndefined();
      await topics.ensure(t, 1, 1, 'c');
    }
    expect(topics.createdFor('c')).toBe(2);
    // At the cap, a topic the worker has not seen yet is looked up: one that exists passes.
    expect(await guard.refusal('c', 'existing')).toBeUndefined();
    expect(await guard.refusal('c', 't3')).toMatch(
      /already made this worker create 2 topics .*limits.topics.per.connector.max/,
    );
    expect(guard.refusal('c', 't1')).toBeUndefined();
    // The count is per connector.
    expect(guard.refusal('other', 't3')).toBeUndefined();
  });
});
