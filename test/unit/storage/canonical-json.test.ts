import { canonicalJson } from '../../../runtime/storage/canonical-json';
import { offsetKey } from '../../../runtime/storage/offset-store';

describe('canonicalJson', () => {
  it('gives the same bytes whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });

  it('keys offsets as Kafka Connect does', () => {
    expect(offsetKey('c1', { filename: 'in.txt' })).toBe('["c1",{"filename":"in.txt"}]');
  });
});
