import mqtt from 'mqtt';
import { stackEnv, uniqueId } from '../../helpers';

describe('Mosquitto of the local stack', () => {
  const { mqtt: url } = stackEnv();

  it('delivers a QoS 1 publish to a subscriber', async () => {
    const topic = `${uniqueId('smoke')}/sensor`;
    const sub = await mqtt.connectAsync(url, { clientId: uniqueId('sub'), protocolVersion: 5 });
    await sub.subscribeAsync(topic, { qos: 1 });
    const received = new Promise<{ payload: string; qos: number }>((resolve) =>
      sub.on('message', (_t, payload, packet) => resolve({ payload: payload.toString(), qos: packet.qos })),
    );
    const pub = await mqtt.connectAsync(url, { clientId: uniqueId('pub'), protocolVersion: 5 });
    await pub.publishAsync(topic, 'hello', { qos: 1 });
    await expect(received).resolves.toEqual({ payload: 'hello', qos: 1 });
    await pub.endAsync();
    await sub.endAsync();
  });
});
