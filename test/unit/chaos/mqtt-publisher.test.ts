import { eventually, FakeMqttBroker } from '../../helpers';
import { killAll, Role } from '../../chaos/lib/procs';

interface Stopped {
  ackCount: number;
  acked: Record<string, number[]>;
}

/**
 * The chaos publisher counts a message as acknowledged only when its PUBACK was read back, never for a publish still
 * waiting when its broker died: "lost" is measured against this count. (mqtt.js 5.16 passes this with its callbacks
 * too; the test keeps the publisher honest if a client update changes how a dropped connection completes them.)
 */
describe('the chaos MQTT publisher', () => {
  const broker = new FakeMqttBroker(5);
  let publisher: Role | undefined;

  beforeAll(() => broker.start());
  afterAll(async () => {
    await publisher?.kill();
    killAll();
    await broker.stop();
  });

  test('counts only the publishes whose PUBACK arrived, not those completed by a dropped connection', async () => {
    publisher = await Role.start('mqtt-publisher.js', {
      url: broker.url,
      root: 'pub-test',
      keys: 1,
      qos: 1,
      protocolVersion: 5,
      rate: 200,
      maxInFlight: 5,
      clientId: 'pub-test',
    });
    // As in a row: the warm-up publish first, so the stream starts on an open connection.
    const warm = publisher.call('warm');
    await eventually(() => broker.unacked.length === 1, { what: 'the warm-up publish' });
    broker.release(1);
    await warm;
    await publisher.call('start');
    await eventually(() => broker.unacked.length === 5, { what: 'five publishes awaiting their PUBACK' });
    broker.release(2);
    await eventually(async () => (await publisher!.call<{ acked: number }>('progress')).acked === 2, {
      what: 'the publisher to count the two PUBACKs',
    });
    // The broker dies with three publishes unacknowledged and never comes back.
    await broker.stop();
    const out = await publisher.call<Stopped>('stop', { drainMs: 3000 });
    expect(out.acked).toEqual({ d0: [0, 1] });
    expect(out.ackCount).toBe(2);
  });
});
