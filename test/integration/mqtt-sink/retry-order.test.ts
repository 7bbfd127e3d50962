/**
 * Publish retries keep per-partition order: a publish that fails (not a broker verdict, e.g. the socket failed under
 * a QoS 0 write) is retried at the head of its partition and what follows waits behind it. Against the in-process
 * fake broker; the failures are injected into the MQTT client's publish, as no broker can fail a write on demand.
 */
import { MqttClient } from 'mqtt';
import { eventually } from '../../helpers';
import { SinkOnFakeBroker, sinkRecord } from './harness';

jest.setTimeout(30_000);

describe('MQTT sink publish retries', () => {
  const env = new SinkOnFakeBroker();
  afterEach(() => jest.restoreAllMocks());

  it('retries the failed head of a partition first and holds the records after it', async () => {
    // Payload → how many more times its publish fails. 'a' fails twice (its retry waits longer), 'b' once: retried
    // each on its own timer, 'b' would go out before 'a'.
    const failures = new Map([
      ['0', 2],
      ['1', 1],
    ]);
    // Called with the client as `this` below, as mqtt.js itself would.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const publish = MqttClient.prototype.publish;
    jest.spyOn(MqttClient.prototype, 'publish').mockImplementation(function (this: MqttClient, ...args: unknown[]) {
      const [, payload, , cb] = args as [string, Buffer, unknown, ((err?: Error) => void) | undefined];
      const left = failures.get(payload.toString()) ?? 0;
      if (left > 0) {
        failures.set(payload.toString(), left - 1);
        setImmediate(() => cb?.(new Error('write failed')));
        return this;
      }
      return (publish as (...a: unknown[]) => MqttClient).apply(this, args);
    });
    const { broker } = env;
    const { task, h } = await env.start('sinkretry', { 'mqtt.qos': 0 });
    const records = [0, 1, 2, 3].map((offset) => sinkRecord({ offset, value: offset }));
    await task.put(records.slice(0, 2));
    // Both have failed once before the next records come: those must wait behind the retries.
    await eventually(() => failures.get('0') === 1 && failures.get('1') === 0, { what: 'the first failures' });
    await new Promise((r) => setImmediate(r));
    await task.put(records.slice(2));
    await task.flush(AbortSignal.timeout(20_000));
    await eventually(() => broker.publishes.length === 4, { what: 'four publishes on the broker' });
    expect(broker.publishes.map((p) => p.payload.toString())).toEqual(['0', '1', '2', '3']);
    expect(h.ackOrder).toEqual(['orders/0/0', 'orders/0/1', 'orders/0/2', 'orders/0/3']);
  });
});
