import { validatePublishTopic, validateTopicFilter } from '../../../../connectors/mqtt-common';

describe('validateTopicFilter', () => {
  it.each(['a/b', '#', '+', 'a/+/c', 'a/#', '+/+/#', '/a', 'a//b', '$share/g1/a/+/c', '$share/g/#', '$SYS/#'])(
    'accepts %s',
    (f) => expect(validateTopicFilter(f)).toBeUndefined(),
  );
  it.each([
    ['', 'empty'],
    ['a/#/b', 'last level'],
    ['a#', 'whole topic level'],
    ['a/b+', 'whole topic level'],
    ['a\u0000b', 'NUL'],
    ['$share/g', '$share/<group>/<filter>'],
    ['$share//a', 'empty group'],
    ['$share/g+/a', 'must not contain'],
    ['$share/g/', 'empty topic filter'],
    ['$share/g/a/#/b', 'last level'],
    ['x'.repeat(65536), '65535 bytes'],
  ])('rejects %j', (f, message) => expect(validateTopicFilter(f)).toContain(message));
});

describe('validatePublishTopic', () => {
  it('accepts a plain topic and one of exactly 65535 bytes', () => {
    expect(validatePublishTopic('devices/d1/commands')).toBeUndefined();
    expect(validatePublishTopic('é'.repeat(32767) + 'a')).toBeUndefined();
  });
  it.each([
    ['', 'empty'],
    ['a/+/b', '+ or #'],
    ['a/#', '+ or #'],
    ['a\u0000', 'NUL'],
    ['é'.repeat(32768), '65535 bytes'],
  ])('rejects %j', (t, message) => expect(validatePublishTopic(t)).toContain(message));
});
