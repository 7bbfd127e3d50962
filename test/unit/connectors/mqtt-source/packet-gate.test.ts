import mqttPacket, { type Packet } from 'mqtt-packet';
import { PacketGate, type OversizedPublish } from '../../../../connectors/mqtt-source/packet-gate';

const gen = (p: Packet): Buffer => mqttPacket.generate(p, { protocolVersion: 4 });
const publish = (topic: string, qos: 0 | 1, bytes: number, messageId?: number): Buffer =>
  gen({
    cmd: 'publish',
    topic,
    payload: Buffer.alloc(bytes, 0x61),
    qos,
    dup: false,
    retain: qos === 0,
    ...(messageId !== undefined ? { messageId } : {}),
  });

/** Runs a byte stream through the gate in chunks of `size`; returns what the parser and the gate saw, in order. */
function run(stream: Buffer, size: number, max: number): { events: string[]; forwarded: number } {
  const events: string[] = [];
  let forwarded = 0;
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  parser.on('packet', (p: Packet) =>
    events.push(p.cmd === 'publish' ? `publish ${p.topic} ${p.payload.length}` : p.cmd),
  );
  const gate = new PacketGate(max, {
    forward: (b) => {
      forwarded = Math.max(forwarded, b.length);
      parser.parse(b);
    },
    oversized: (o: OversizedPublish) =>
      events.push(`oversized ${o.topic} q${o.qos} id${String(o.packetId)} ${o.bytes}`),
    error: (err) => events.push(`error ${err.message}`),
  });
  for (let i = 0; i < stream.length; i += size) gate.push(stream.subarray(i, i + size));
  return { events, forwarded };
}

describe('PacketGate', () => {
  const big = publish('big/one', 1, 300_000, 7);
  const big2 = publish('big/two', 0, 2000);
  const stream = Buffer.concat([
    publish('a', 1, 10, 1),
    gen({ cmd: 'pingresp' }),
    big,
    publish('b', 0, 1000),
    big2,
    gen({ cmd: 'puback', messageId: 3 }),
  ]);
  const expected = [
    'publish a 10',
    'pingresp',
    `oversized big/one q1 id7 ${big.length}`,
    'publish b 1000',
    `oversized big/two q0 idundefined ${big2.length}`,
    'puback',
  ];

  it.each([1, 2, 3, 5, 64, 1000, 65536, stream.length])(
    'passes packets within the limit and reports larger PUBLISHes in stream order (chunks of %i bytes)',
    (size) => {
      const { events, forwarded } = run(stream, size, 1500);
      expect(events).toEqual(expected);
      // Nothing of the oversized payloads reached the parser.
      expect(forwarded).toBeLessThan(2000);
    },
  );

  it('keeps a PUBLISH exactly at the limit', () => {
    const p = publish('edge', 1, 100, 2);
    expect(run(p, 7, p.length).events).toEqual(['publish edge 100']);
    expect(run(p, 7, p.length - 1).events).toEqual([`oversized edge q1 id2 ${p.length}`]);
  });
});
