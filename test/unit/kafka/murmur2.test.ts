import { keyPartition, murmur2 } from '../../../runtime/kafka';

describe('murmur2 (Kafka default partitioner hash)', () => {
  it('gives the values Kafka clients give for known keys', () => {
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of cases) expect([key, murmur2(Buffer.from(key))]).toEqual([key, hash]);
  });

  it('maps a key to a partition within range', () => {
    for (const n of [1, 3, 25]) {
      const p = keyPartition(Buffer.from('["c",{"mqtt.filter":"a/#"}]'), n);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(n);
    }
  });
});
