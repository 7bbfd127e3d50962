/**
 * The runtime's clients keep no copy of the whole cluster's topic metadata and read it only for a topic regex:
 * node-rdkafka otherwise reads every topic on connect() and getMetadata(), even when a topic is named.
 */
import Kafka from 'node-rdkafka';
import { UnavailableError } from '../../../runtime/api';
import { allTopicsMetadata, connectClient, topicMetadata } from '../../../runtime/kafka';
import { createTopic, stackEnv, uniqueId } from '../../helpers';

jest.setTimeout(60_000);

describe('Kafka metadata of the runtime clients', () => {
  const { kafka } = stackEnv();
  const topics = [uniqueId('md-a'), uniqueId('md-b')];
  let consumer: Kafka.KafkaConsumer;
  const held = (client: object): unknown => (client as { _metadata?: unknown })._metadata;

  beforeAll(async () => {
    for (const [i, topic] of topics.entries()) await createTopic(kafka, topic, i + 2);
    consumer = new Kafka.KafkaConsumer({ 'bootstrap.servers': kafka, 'group.id': uniqueId('md') }, {});
    await connectClient(consumer, 30_000, 'test consumer');
  });
  afterAll(async () => {
    await new Promise<void>((r) => consumer.disconnect(() => r()));
  });

  it('forgets the metadata node-rdkafka keeps from connect', async () => {
    // node-rdkafka on its own keeps the connect-time answer, with every topic it has cached.
    const plain = new Kafka.KafkaConsumer({ 'bootstrap.servers': kafka, 'group.id': uniqueId('md-plain') }, {});
    const md = await new Promise<Kafka.Metadata>((resolve, reject) =>
      plain.connect({ timeout: 30_000 }, (err, m) => (err ? reject(new Error(err.message)) : resolve(m))),
    );
    expect(held(plain)).toBe(md);
    expect(md.topics.map((t) => t.name)).toEqual(expect.arrayContaining(topics));
    await new Promise<void>((r) => plain.disconnect(() => r()));
    expect(held(consumer)).toEqual({});
  });

  it('names what failed when Kafka cannot be reached', async () => {
    const lost = new Kafka.KafkaConsumer({ 'bootstrap.servers': '127.0.0.1:1', 'group.id': uniqueId('md-lost') }, {});
    const failed = connectClient(lost, 2_000, 'cannot read t');
    await expect(failed).rejects.toBeInstanceOf(UnavailableError);
    await expect(failed).rejects.toThrow(/^cannot read t: /);
  });

  it('reads one topic alone, and nothing for a topic Kafka does not know', async () => {
    const b = await topicMetadata(consumer, topics[1]!, 10_000);
    expect(b?.name).toBe(topics[1]);
    expect(b?.partitions.map((p) => p.id).sort()).toEqual([0, 1, 2]);
    const raw = await new Promise<Kafka.Metadata>((resolve, reject) =>
      consumer.getMetadata({ topic: topics[0], allTopics: false, timeout: 10_000 }, (err, md) =>
        err ? reject(new Error(err.message)) : resolve(md),
      ),
    );
    expect(raw.topics.map((t) => t.name)).toEqual([topics[0]]);
    expect(await topicMetadata(consumer, uniqueId('md-missing'), 10_000)).toBeUndefined();
  });

  it('lists every topic only when asked to', async () => {
    const all = await allTopicsMetadata(consumer, 10_000);
    const names = all.topics.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(topics));
  });
});
