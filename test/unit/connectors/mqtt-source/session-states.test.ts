/**
 * The subscriber session's connection states (idle → connecting → connected; lost or refused → waiting with
 * back-off, then the next server: failover; stopped for good), against a small in-process broker on loopback.
 */
import net from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { ReconnectBackoff } from '../../../../connectors/mqtt-common';
import {
  SubscriberSession,
  type ServerAddress,
  type SessionOptions,
  type SessionState,
} from '../../../../connectors/mqtt-source';

/** Accepts MQTT 5 clients; answers CONNECT with `connackCode` and SUBSCRIBE with the granted QoS. */
class TinyBroker {
  connects = 0;
  connackCode = 0;
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((socket) => this.accept(socket));

  async listen(): Promise<ServerAddress> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address() as net.AddressInfo;
    return { host: '127.0.0.1', port: addr.port, tls: false };
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on('packet', (p: Packet) => {
      if (p.cmd === 'connect') {
        this.connects++;
        this.send(socket, { cmd: 'connack', sessionPresent: false, reasonCode: this.connackCode });
      } else if (p.cmd === 'subscribe') {
        this.send(socket, { cmd: 'suback', messageId: p.messageId, granted: p.subscriptions.map((s) => s.qos) });
      }
    });
    socket.on('data', (d: Buffer) => parser.parse(d));
  }

  private send(socket: net.Socket, p: Packet): void {
    socket.write(mqttPacket.generate(p, { protocolVersion: 5 }));
  }

  /** Cuts every client off, as a network failure would. */
  dropClients(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.dropClients();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A loopback port nothing listens on: connecting there is refused at once. */
async function deadServer(): Promise<ServerAddress> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return { host: '127.0.0.1', port, tls: false };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never happened: ${what}`);
}

function options(servers: ServerAddress[]): SessionOptions {
  return {
    servers,
    protocolVersion: 5,
    clientId: `states-${process.pid}-${Math.random().toString(36).slice(2)}`,
    keepaliveSeconds: 30,
    connectTimeoutMs: 2000,
    reconnectMinMs: 5,
    reconnectMaxMs: 20,
    cleanStart: true,
    sessionExpirySeconds: 0,
    maxInFlight: 10,
    subscriptions: [{ topic: 't/#', qos: 1 }],
  };
}

/** A session that records its states (sampled at each event, an error's once it is handled) and the servers of its connects and errors. */
function observed(opts: SessionOptions): {
  session: SubscriberSession;
  states: SessionState[];
  connected: string[];
  errors: string[];
} {
  const session = new SubscriberSession(opts, (_m, complete) => complete());
  const states: SessionState[] = [];
  const connected: string[] = [];
  const errors: string[] = [];
  session.on('connected', ({ server }) => {
    states.push(session.state);
    connected.push(server);
  });
  session.on('connectionError', (err) => {
    // The session moves on (to waiting) right after telling: sample once this event is over.
    queueMicrotask(() => states.push(session.state));
    errors.push(err.message);
  });
  return { session, states, connected, errors };
}

describe('SubscriberSession connection states', () => {
  let broker: TinyBroker;
  let sessions: SubscriberSession[];
  beforeEach(() => {
    broker = new TinyBroker();
    sessions = [];
  });
  afterEach(async () => {
    for (const s of sessions) await s.stop();
    await broker.close();
    jest.restoreAllMocks();
  });

  it('goes idle → connecting → connected, and subscribes', async () => {
    const o = observed(options([await broker.listen()]));
    sessions.push(o.session);
    expect(o.session.state).toBe('idle');
    const subscribed = new Promise((resolve) => o.session.once('subscribed', resolve));
    o.session.start();
    expect(o.session.state).toBe('connecting');
    await subscribed;
    expect(o.session.state).toBe('connected');
    expect(o.states).toEqual(['connected']);
    expect(o.session.lastError).toBeUndefined();
  });

  it('a lost connection waits with back-off, reconnects, and starts the back-off over once connected', async () => {
    const next = jest.spyOn(ReconnectBackoff.prototype, 'nextDelayMs');
    const reset = jest.spyOn(ReconnectBackoff.prototype, 'reset');
    const o = observed(options([await broker.listen()]));
    sessions.push(o.session);
    const disconnected: (Error | undefined)[] = [];
    o.session.on('disconnected', (reason) => disconnected.push(reason));
    o.session.start();
    await until('first connect', () => o.connected.length === 1);
    broker.dropClients();
    await until('the loss is seen', () => o.errors.length === 1);
    await until('the state after the loss is sampled', () => o.states.length >= 2);
    expect(o.states.slice(0, 2)).toEqual(['connected', 'waiting']);
    expect(disconnected).toHaveLength(1);
    await until('reconnected', () => o.connected.length === 2);
    expect(o.session.state).toBe('connected');
    expect(next).toHaveBeenCalledTimes(1);
    expect(reset).toHaveBeenCalledTimes(2);
    expect(broker.connects).toBe(2);
  });

  it('a refused CONNACK is an error of the attempt: waiting, retried with a growing back-off', async () => {
    const next = jest.spyOn(ReconnectBackoff.prototype, 'nextDelayMs');
    broker.connackCode = 0x87;
    const o = observed(options([await broker.listen()]));
    sessions.push(o.session);
    o.session.start();
    await until('three refused attempts', () => o.states.length >= 3);
    expect(o.connected).toEqual([]);
    expect(o.errors[0]).toMatch(/refused the connection, code 135/);
    expect(o.session.lastError?.message).toMatch(/refused the connection/);
    expect(o.states.slice(0, 3)).toEqual(['waiting', 'waiting', 'waiting']);
    // No success in between: each attempt asked the back-off for a longer delay, never started over.
    expect(next.mock.calls.length).toBeGreaterThanOrEqual(3);
    broker.connackCode = 0;
    await until('accepted at last', () => o.connected.length === 1);
    expect(o.session.lastError).toBeUndefined();
  });

  it('fails over to the next server, in list order, wrapping around', async () => {
    const dead = await deadServer();
    const live = await broker.listen();
    const o = observed(options([dead, live]));
    sessions.push(o.session);
    o.session.start();
    await until('connected to the second server', () => o.connected.length === 1);
    expect(o.errors[0]).toContain(`127.0.0.1:${dead.port} failed`);
    expect(o.connected).toEqual([`mqtt://127.0.0.1:${live.port}`]);
    // Lost again: the next attempt wraps around to the first server.
    broker.dropClients();
    await until('the dead server tried again', () => o.errors.filter((e) => e.includes(`:${dead.port}`)).length === 2);
    await until('back on the second server', () => o.connected.length === 2);
  });

  it('stop from connected or from waiting ends in stopped for good: no reconnect, start does nothing, stop twice is fine', async () => {
    const live = await broker.listen();
    const a = observed(options([live]));
    a.session.start();
    await until('connected', () => a.connected.length === 1);
    await a.session.stop();
    expect(a.session.state).toBe('stopped');

    // A long back-off keeps it waiting after the first refused connection.
    const b = observed({ ...options([await deadServer()]), reconnectMinMs: 60_000, reconnectMaxMs: 60_000 });
    b.session.start();
    await until('waiting after a refused connection', () => b.states.length === 1);
    expect(b.session.state).toBe('waiting');
    await b.session.stop();
    await b.session.stop();
    expect(b.session.state).toBe('stopped');
    b.session.start();
    const errorsAtStop = b.errors.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(b.session.state).toBe('stopped');
    expect(b.errors).toHaveLength(errorsAtStop);
    expect(broker.connects).toBe(1);
  });
});
