import { createServer, type Server, type Socket } from 'node:net';
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet';

/**
 * An in-process MQTT broker for one client, for faults a real broker cannot produce on demand: it withholds PUBACKs
 * until the test releases them, refuses a CONNECT, drops the connection, or sends the client any packet (a resent
 * PUBLISH on the same connection, a PUBREL). It records every packet the client sends, to check the exact order on
 * the wire. It speaks just enough MQTT: CONNECT, SUBSCRIBE, PUBLISH (QoS 1 from the client), PINGREQ, DISCONNECT.
 */
export class FakeMqttBroker {
  /** Every packet the client sent, in order. */
  readonly packets: Packet[] = [];
  /** The client's PUBLISH packets, in order. */
  readonly publishes: IPublishPacket[] = [];
  /** Packet ids of the client's publishes not yet acknowledged, in arrival order. */
  readonly unacked: number[] = [];
  /** The most publishes that were ever waiting for an ack at once. */
  maxUnacked = 0;
  /** CONNECTs seen, over all connections. */
  connects = 0;
  /** CONNACK reason (MQTT 5) or return (3.1.1) code to answer with; 0 accepts the client. */
  connackCode = 0;
  /** SUBACK codes to answer with (a granted QoS or a ≥0x80 refusal per filter); unset grants what was asked. */
  subackCodes: number[] | undefined;
  port = 0;

  private server: Server | undefined;
  private socket: Socket | undefined;

  constructor(private readonly protocolVersion: 4 | 5 = 5) {}

  async start(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Sends a packet to the client. */
  send(packet: Packet): void {
    this.socket?.write(mqttPacket.generate(packet, { protocolVersion: this.protocolVersion }));
  }

  /** Delivers a message to the subscribed client on `t/x`. */
  publish(messageId: number, qos: 1 | 2, payload: string, dup = false): void {
    this.send({ cmd: 'publish', topic: 't/x', payload: Buffer.from(payload), qos, dup, retain: false, messageId });
  }

  /** The client's acks of the messages it received (`puback:<id>`, `pubrec:<id>`, `pubcomp:<id>`), in order. */
  acks(): string[] {
    return this.packets
      .filter((p) => p.cmd === 'puback' || p.cmd === 'pubrec' || p.cmd === 'pubcomp')
      .map((p) => `${p.cmd}:${p.messageId}`);
  }

  /** Sends PUBACKs for the oldest `n` unacknowledged publishes, with an MQTT 5 reason code (0: success). */
  release(n: number, reasonCode = 0): void {
    for (const messageId of this.unacked.splice(0, n)) this.send({ cmd: 'puback', messageId, reasonCode });
  }

  /** Drops the connection, as a crashed broker or a network failure would. */
  dropClient(): void {
    this.socket?.destroy();
  }

  async stop(): Promise<void> {
    this.socket?.destroy();
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  private accept(socket: Socket): void {
    this.socket = socket;
    const parser = mqttPacket.parser({ protocolVersion: this.protocolVersion });
    parser.on('packet', (packet: Packet) => {
      this.packets.push(packet);
      switch (packet.cmd) {
        case 'connect':
          this.connects++;
          this.send(
            this.protocolVersion === 5
              ? { cmd: 'connack', sessionPresent: false, reasonCode: this.connackCode }
              : { cmd: 'connack', sessionPresent: false, returnCode: this.connackCode },
          );
          break;
        case 'subscribe':
          this.send({
            cmd: 'suback',
            messageId: packet.messageId,
            granted: this.subackCodes ?? packet.subscriptions.map((s) => s.qos),
          });
          break;
        case 'publish':
          this.publishes.push(packet);
          if (packet.qos > 0 && packet.messageId !== undefined) {
            this.unacked.push(packet.messageId);
            this.maxUnacked = Math.max(this.maxUnacked, this.unacked.length);
          }
          break;
        case 'pingreq':
          this.send({ cmd: 'pingresp' });
          break;
        case 'disconnect':
          socket.end();
          break;
        default:
          break;
      }
    });
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('error', () => undefined);
  }
}
