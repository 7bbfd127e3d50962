import mqttPacket from 'mqtt-packet';
// Loading the session is what turns the cache off.
import '../../../../connectors/mqtt-source/session';

// mqtt-packet keeps its cache here: 65,536 Buffers once built.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const numbers = require('mqtt-packet/numbers') as { cache: Record<number, Buffer> };

describe('mqtt-packet encoder without the packet id cache', () => {
  it('encodes packet ids without building a Buffer for every possible id', () => {
    expect(mqttPacket.writeToStream.cacheNumbers).toBe(false);
    const opts = { protocolVersion: 5 as const };
    const bytes = mqttPacket.generate(
      { cmd: 'subscribe', messageId: 0x1234, subscriptions: [{ topic: 'a/#', qos: 1 }] },
      opts,
    );
    expect(Object.keys(numbers.cache)).toHaveLength(0);
    const parser = mqttPacket.parser(opts);
    const seen: mqttPacket.Packet[] = [];
    parser.on('packet', (p) => seen.push(p));
    parser.parse(bytes);
    expect(seen[0]).toMatchObject({ cmd: 'subscribe', messageId: 0x1234 });
  });
});
