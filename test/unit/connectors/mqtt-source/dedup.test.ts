import { ConfigError } from '../../../../runtime/api';
import { DedupGate } from '../../../../connectors/mqtt-source/dedup-gate';
import { DedupMarks, dedupIssues, parseDedup, sequenceNumber } from '../../../../connectors/mqtt-source/dedup';
import { PayloadView } from '../../../../connectors/mqtt-source/mapping';
import type { InboundMessage } from '../../../../connectors/mqtt-source/session-types';

function message(topic: string, payload: string, userProperties?: Record<string, string>): InboundMessage {
  return {
    topic,
    payload: Buffer.from(payload),
    qos: 1,
    retain: false,
    dup: false,
    arrivalTime: 0,
    ...(userProperties ? { properties: { userProperties } } : {}),
  } as InboundMessage;
}

describe('de-duplication marks (the rule)', () => {
  it('takes sequences above the mark as new (gaps allowed), at or a little below it as duplicates', () => {
    const m = new DedupMarks(100);
    expect(m.admit('d1', 5)).toBe('new');
    expect(m.admit('d1', 6)).toBe('new');
    expect(m.admit('d1', 9)).toBe('new');
    expect(m.admit('d1', 9)).toBe('duplicate');
    expect(m.admit('d1', 6)).toBe('duplicate');
    expect(m.mark('d1')).toBe(9);
    expect(m.admit('d2', 6)).toBe('new');
  });

  it('takes a sequence a window or more below the mark as a restart (or a wrapped counter): new, the mark starts over', () => {
    const m = new DedupMarks(128);
    expect(m.admit('d', 250)).toBe('new');
    expect(m.admit('d', 255)).toBe('new');
    expect(m.admit('d', 200)).toBe('duplicate'); // 55 below: within the window
    expect(m.admit('d', 0)).toBe('restart'); // a 0–255 counter wrapped
    expect(m.mark('d')).toBe(0);
    expect(m.admit('d', 1)).toBe('new');
    expect(m.admit('d', 0)).toBe('duplicate');
  });

  it('loads only device marks from stored offsets', () => {
    const m = new DedupMarks(10);
    const n = m.load([
      { partition: { 'mqtt.device': 'a' }, offset: { seq: 7 } },
      { partition: { 'mqtt.filter': 'x/#' }, offset: { count: 3 } },
      { partition: { 'mqtt.device': 'b' }, offset: { seq: 'nope' } },
    ]);
    expect(n).toBe(1);
    expect(m.admit('a', 7)).toBe('duplicate');
    expect(m.admit('a', 8)).toBe('new');
    expect(m.admit('b', 1)).toBe('new');
  });

  it('reads integers only as sequences', () => {
    expect(sequenceNumber('42')).toBe(42);
    expect(sequenceNumber('-3')).toBe(-3);
    expect(sequenceNumber('4.5')).toBeUndefined();
    expect(sequenceNumber('x')).toBeUndefined();
    expect(sequenceNumber('99999999999999999999')).toBeUndefined();
  });
});

describe('de-duplication settings', () => {
  it('needs the key and the sequence together, and names the missing one', () => {
    expect(parseDedup({})).toBeUndefined();
    expect(dedupIssues({ 'mqtt.dedup.key': '${mqtt.topic[1]}' })).toEqual([
      { key: 'mqtt.dedup.sequence', message: 'set mqtt.dedup.key and mqtt.dedup.sequence together' },
    ]);
    const issues = dedupIssues({ 'mqtt.dedup.key': '${kafka.topic}', 'mqtt.dedup.sequence': '${payload.seq}' });
    expect(issues.map((i) => i.key)).toEqual(['mqtt.dedup.key']);
    expect(() => parseDedup({ 'mqtt.dedup.sequence': '${payload.seq}' })).toThrow(ConfigError);
  });
});

describe('de-duplication gate', () => {
  const settings = parseDedup({
    'mqtt.dedup.key': '${mqtt.topic[1]}-${mqtt.user.property.site}',
    'mqtt.dedup.sequence': '${payload.seq}',
    'mqtt.dedup.restart.window': '1000',
  })!;

  it('identifies a message from topic levels, user properties and payload fields', () => {
    const gate = new DedupGate(settings);
    const m = message('plant/press7/temp', '{"seq": 12}', { site: 'eu' });
    expect(gate.identify(m, new PayloadView(m.payload))).toEqual({ device: 'press7-eu', seq: 12 });
    const noSeq = message('plant/press7/temp', '{"other": 1}', { site: 'eu' });
    expect(gate.identify(noSeq, new PayloadView(noSeq.payload))).toBeUndefined();
    const notJson = message('plant/press7/temp', 'hello', { site: 'eu' });
    expect(gate.identify(notJson, new PayloadView(notJson.payload))).toBeUndefined();
  });

  it('acknowledges a duplicate of a durable record at once', () => {
    const gate = new DedupGate(settings);
    gate.load([{ partition: { 'mqtt.device': 'd' }, offset: { seq: 5 } }]);
    expect(gate.admit({ device: 'd', seq: 5 })).toBe('duplicate');
    const acks: (Error | undefined | 'ok')[] = [];
    gate.duplicate({ device: 'd', seq: 5 }, (err) => acks.push(err ?? 'ok'));
    expect(acks).toEqual(['ok']);
  });

  it('holds a duplicate whose original is not durable yet, and releases or fails it with the original', () => {
    const gate = new DedupGate(settings);
    const acks: string[] = [];
    expect(gate.admit({ device: 'd', seq: 1 })).toBe('new');
    expect(gate.admit({ device: 'd', seq: 2 })).toBe('new');
    expect(gate.admit({ device: 'd', seq: 1 })).toBe('duplicate');
    expect(gate.admit({ device: 'd', seq: 2 })).toBe('duplicate');
    gate.duplicate({ device: 'd', seq: 1 }, (err) => acks.push(err ? `1:${err.message}` : '1:ok'));
    gate.duplicate({ device: 'd', seq: 2 }, (err) => acks.push(err ? `2:${err.message}` : '2:ok'));
    expect(acks).toEqual([]);
    gate.written({ device: 'd', seq: 1 });
    expect(acks).toEqual(['1:ok']);
    gate.written({ device: 'd', seq: 2 }, new Error('aborted'));
    expect(acks).toEqual(['1:ok', '2:aborted']);
  });
});
