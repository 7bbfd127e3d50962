import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import { attachReconnectBackoff, parseMqttConnection } from '../../../../connectors/mqtt-common';

/** The parts of an MqttClient the back-off uses, with every reconnect recorded. */
class FakeClient extends EventEmitter {
  options = { reconnectPeriod: 1000 };
  connected = false;
  disconnecting = false;
  disconnected = false;
  incomingStore = { name: 'in' };
  outgoingStore = { name: 'out' };
  reconnects: { at: number; opts: unknown }[] = [];
  reconnect(opts: unknown): this {
    this.reconnects.push({ at: Date.now(), opts });
    return this;
  }
}

describe('attachReconnectBackoff', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
    jest.spyOn(Math, 'random').mockReturnValue(0);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  function attach(values: Record<string, unknown>): { client: FakeClient; detach: () => void } {
    const client = new FakeClient();
    const detach = attachReconnectBackoff(
      client as unknown as MqttClient,
      parseMqttConnection({ 'mqtt.server.uri': 'mqtt://h', ...values }),
    );
    return { client, detach };
  }

  it("turns mqtt.js's own timer off and reconnects with doubling delays, keeping the message stores", () => {
    const { client } = attach({ 'mqtt.reconnect.backoff.ms': 100, 'mqtt.reconnect.backoff.max.ms': 350 });
    expect(client.options.reconnectPeriod).toBe(0);
    for (let i = 0; i < 4; i++) {
      client.emit('close');
      jest.runOnlyPendingTimers();
    }
    expect(client.reconnects.map((r) => r.at)).toEqual([100, 300, 650, 1000]);
    expect(client.reconnects[0]?.opts).toEqual({
      incomingStore: client.incomingStore,
      outgoingStore: client.outgoingStore,
    });
    expect((client.reconnects[0]?.opts as { outgoingStore: unknown }).outgoingStore).toBe(client.outgoingStore);
  });

  it('starts over after a successful connection and schedules one attempt per close', () => {
    const { client } = attach({ 'mqtt.reconnect.backoff.ms': 100, 'mqtt.reconnect.backoff.max.ms': 1000 });
    client.emit('close');
    client.emit('close'); // a second close while an attempt is scheduled adds nothing
    jest.runOnlyPendingTimers();
    client.emit('close');
    jest.runOnlyPendingTimers();
    client.emit('connect');
    client.emit('close');
    jest.runOnlyPendingTimers();
    expect(client.reconnects.map((r) => r.at)).toEqual([100, 300, 400]);
  });

  it('does not reconnect a client that is ending or was detached', () => {
    const { client, detach } = attach({});
    client.disconnecting = true;
    client.emit('close');
    jest.runOnlyPendingTimers();
    client.disconnecting = false;
    client.emit('close');
    detach();
    jest.runOnlyPendingTimers();
    client.emit('close');
    jest.runOnlyPendingTimers();
    expect(client.reconnects).toEqual([]);
  });
});
