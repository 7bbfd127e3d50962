import { RecordError } from '../../../../runtime/api';
import { jsonText } from '../../../../connectors/mqtt-common';

describe('jsonText', () => {
  it('writes plain values as JSON.stringify does', () => {
    const v = { a: 1, b: 'x', c: [true, null, { d: 2.5 }], when: new Date(0) };
    expect(jsonText(v)).toBe(JSON.stringify(v));
    expect(jsonText('s')).toBe('"s"');
    expect(jsonText(null)).toBe('null');
  });

  it('writes bytes as base64, maps as objects and bigints as numbers or text, however deep', () => {
    const v = {
      deep: [{ bytes: Buffer.from([0xff, 0x00]) }],
      map: new Map<string, unknown>([['k', new Uint8Array([1, 2])]]),
      small: 7n,
      big: 2n ** 64n,
    };
    expect(JSON.parse(jsonText(v))).toEqual({
      deep: [{ bytes: '/wA=' }],
      map: { k: 'AQI=' },
      small: 7,
      big: '18446744073709551616',
    });
    expect(jsonText(5n)).toBe('5');
  });

  it('names the problem for values JSON cannot hold', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = { back: cyclic };
    expect(() => jsonText(cyclic)).toThrow(RecordError);
    expect(() => jsonText(cyclic)).toThrow(/cannot be written as JSON/);
    expect(() => jsonText(() => 1)).toThrow(/has no JSON form/);
  });
});
