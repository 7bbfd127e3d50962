import { createServer, type Server, type Socket } from 'node:net';
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet';

/**
 * An in-process MQTT broker that withholds PUBACKs until the test releases them — a fault a real broker can't
 * produce on demand. It speaks just enough MQTT 5 for one publisher: CONNECT, PUBLISH QoS 1, PINGREQ, DISCONNECT.
 */
export class HoldingBroker {
  private server: Server | undefined;
  private socket: Socket | undefined;
  /** Packet ids received and not yet acknowledged, in arrival order. */
  readonly unacked: number[] = [];
  readonly received: IPublishPacket[] = [];
  /** The most publishes that were ever waiting for an ack at once. */
  maxUnacked = 0;
  port = 0;
  /** CONNACK reason code to answer with; 0 accepts the client. */
  connackCode = 0;

  async start(): Promise<void> {
    this.server = createServer((socket) => this.onClient(socket));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Sends PUBACKs for the oldest `n` unacknowledged publishes, with an MQTT 5 reason code (0: success). */
  release(n: number, reasonCode = 0): void {
    for (const messageId of this.unacked.splice(0, n)) {
      this.send({ cmd: 'puback', messageId, reasonCode });
    }
  }

  /** Drops the connection, as a crashed broker or a network failure would. */
  dropClient(): void {
    this.socket?.destroy();
  }

  async stop(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private send(packet: Packet): void {
    this.socket?.write(mqttPacket.generate(packet, { protocolVersion: 5 }));
  }

  private onClient(socket: Socket): void {
    this.socket = socket;
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on('packet', (packet: Packet) => {
      switch (packet.cmd) {
        case 'connect':
          this.send({ cmd: 'connack', sessionPresent: false, reasonCode: this.connackCode });
          break;
        case 'publish':
          this.received.push(packet);
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
