import mqttPacket from 'mqtt-packet';
import { encodeAcks } from '../../../../connectors/mqtt-source/packets';

describe('encodeAcks', () => {
  it.each([4, 5] as const)('writes PUBACK/PUBREC packets an MQTT %i parser reads back in order', (protocolVersion) => {
    const acks = [
      { kind: 'puback' as const, packetId: 1 },
      { kind: 'pubrec' as const, packetId: 65535 },
      { kind: 'puback' as const, packetId: 300 },
    ];
    const parser = mqttPacket.parser({ protocolVersion });
    const got: { cmd: string; messageId?: number }[] = [];
    parser.on('packet', (p: mqttPacket.Packet) =>
      got.push({ cmd: p.cmd, messageId: (p as { messageId?: number }).messageId }),
    );
    parser.on('error', (err: Error) => {
      throw err;
    });
    parser.parse(encodeAcks(acks));
    expect(got).toEqual([
      { cmd: 'puback', messageId: 1 },
      { cmd: 'pubrec', messageId: 65535 },
      { cmd: 'puback', messageId: 300 },
    ]);
  });

  it('matches what mqtt-packet generates for MQTT 3.1.1', () => {
    const ours = encodeAcks([{ kind: 'puback', packetId: 42 }]);
    expect(ours).toEqual(mqttPacket.generate({ cmd: 'puback', messageId: 42 }, { protocolVersion: 4 }));
  });
});
