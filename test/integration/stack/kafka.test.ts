import Kafka from 'node-rdkafka';
import { uniqueId } from '../../helpers/ids';
import { stackEnv } from '../../helpers/stack';

describe('Kafka broker of the local stack', () => {
  const { kafka } = stackEnv();

  it('takes records from an idempotent producer (acks=all) and hands them back to a consumer', async () => {
    const topic = uniqueId('smoke');
    const admin = Kafka.AdminClient.create({ 'bootstrap.servers': kafka });
    await new Promise<void>((resolve, reject) =>
      admin.createTopic({ topic, num_partitions: 1, replication_factor: 1 }, (err) =>
        err ? reject(new Error(err.message)) : resolve(),
      ),
    );
    admin.disconnect();

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

    const consumer = new Kafka.KafkaConsumer(
      { 'bootstrap.servers': kafka, 'group.id': uniqueId('smoke-group'), 'enable.auto.commit': false },
      { 'auto.offset.reset': 'earliest' },
    );
    await new Promise<void>((resolve, reject) => {
      consumer.once('ready', () => resolve());
      consumer.once('event.error', (err) => reject(new Error(err.message)));
      consumer.connect();
    });
    consumer.subscribe([topic]);
    const got: string[] = [];
    const deadline = Date.now() + 60_000;
    while (got.length < sent.length && Date.now() < deadline) {
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(100, (err, msgs) => (err ? reject(new Error(err.message)) : resolve(msgs))),
      );
      for (const m of batch) got.push(m.value?.toString() ?? '');
    }
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
    expect(got).toEqual(sent);
  });
});
