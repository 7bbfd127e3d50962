import Kafka from 'node-rdkafka';
import { createTopic, readTopic, stackEnv, uniqueId } from '../../helpers';

describe('Kafka broker of the local stack', () => {
  const { kafka } = stackEnv();

  it('takes records from an idempotent producer (acks=all) and hands them back to a consumer', async () => {
    const topic = uniqueId('smoke');
    await createTopic(kafka, topic);

    const producer = new Kafka.HighLevelProducer(
      { 'bootstrap.servers': kafka, 'enable.idempotence': true },
      { 'request.required.acks': -1 },
    );
    await new Promise<void>((resolve, reject) => {
      producer.once('ready', () => resolve());
      producer.once('event.error', (err) => reject(new Error(err.message)));
      producer.connect();
    });
    const sent = ['one', 'two', 'three'];
    for (const v of sent) {
      await new Promise<void>((resolve, reject) =>
        producer.produce(topic, null, Buffer.from(v), `k-${v}`, Date.now(), (err) =>
          err ? reject(new Error(err.message)) : resolve(),
        ),
      );
    }
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));

    const got = (await readTopic(kafka, topic, { count: sent.length })).map((r) => r.value?.toString());
    expect(got).toEqual(sent);
  });
});
