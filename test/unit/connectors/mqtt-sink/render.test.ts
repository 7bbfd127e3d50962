import { RecordError, SchemaBuilder, Schemas, type SinkRecord } from '../../../../runtime/api';
import { parseSinkSettings, renderRecord, type PublishMessage } from '../../../../connectors/mqtt-sink';

const base = { 'mqtt.server.uri': 'mqtt://127.0.0.1:1884', topics: 'orders' };

function record(fields: Partial<SinkRecord> & { value: unknown }): SinkRecord {
  return { topic: 'orders', kafkaPartition: 4, kafkaOffset: 99, key: 'k1', headers: [], timestamp: 1000, ...fields };
}

function render(config: Record<string, unknown>, r: SinkRecord): PublishMessage | null {
  return renderRecord(r, parseSinkSettings({ ...base, 'mqtt.topic': 'out', ...config }));
}

describe('renderRecord', () => {
  it('renders every topic placeholder', () => {
    const m = render(
      {
        'mqtt.topic':
          '${kafka.topic}/${kafka.partition}/${kafka.offset}/${key}/${value.a.b}/${value.list[1]}/${header.h}/${header["x.y"]}/${timestamp}',
      },
      record({
        value: { a: { b: 'B' }, list: ['l0', 'l1'] },
        headers: [
          { key: 'h', value: 'H' },
          { key: 'x.y', value: 7 },
        ],
      }),
    );
    expect(m?.topic).toBe('orders/4/99/k1/B/l1/H/7/1000');
  });

  it('writes the value as JSON by default, with dates, bytes and maps in JSON form', () => {
    const m = render(
      {},
      record({ value: { when: new Date(0), raw: Buffer.from('hi'), m: new Map([['a', 1]]), n: null } }),
    );
    expect(JSON.parse(m?.payload.toString() ?? '')).toEqual({
      when: '1970-01-01T00:00:00.000Z',
      raw: 'aGk=',
      m: { a: 1 },
      n: null,
    });
    expect(m?.options).toMatchObject({ qos: 1, retain: false });
  });

  it('passes strings and bytes through', () => {
    expect(render({ 'mqtt.payload.format': 'string' }, record({ value: 'héllo' }))?.payload.toString()).toBe('héllo');
    const bytes = Buffer.from([0, 255, 1]);
    expect(render({ 'mqtt.payload.format': 'bytes' }, record({ value: bytes }))?.payload).toBe(bytes);
    const raw = Buffer.from([9, 9]);
    expect(render({ 'mqtt.payload.format': 'bytes' }, record({ value: { a: 1 }, rawValue: raw }))?.payload).toBe(raw);
    expect(() => render({ 'mqtt.payload.format': 'bytes' }, record({ value: { a: 1 } }))).toThrow(RecordError);
  });

  it('wraps the value with a payload template', () => {
    const m = render(
      { 'mqtt.payload.format': 'template', 'mqtt.payload.template': '{"d":${value},"k":"${key}"}' },
      record({ value: { t: 21.5 } }),
    );
    expect(m?.payload.toString()).toBe('{"d":{"t":21.5},"k":"k1"}');
  });

  it('publishes the envelope payload bytes unchanged and decodes base64 text from schemaless JSON', () => {
    const payload = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    const env = { 'mqtt.payload.format': 'envelope' };
    expect(render(env, record({ value: { topic: 't', payload } }))?.payload.equals(payload)).toBe(true);
    expect(render(env, record({ value: { payload: payload.toString('base64') } }))?.payload.equals(payload)).toBe(true);
    const stringSchema = SchemaBuilder.struct().field('payload', Schemas.STRING).build();
    expect(render(env, record({ value: { payload: 'text' }, valueSchema: stringSchema }))?.payload.toString()).toBe(
      'text',
    );
    expect(() => render(env, record({ value: 'not a struct' }))).toThrow(RecordError);
  });

  it('passes envelope user properties and MQTT 5 fields on, without the headers unless asked', () => {
    const value = { payload: Buffer.from('x'), user_properties: { a: '1' } };
    const headers = [{ key: 'mqtt.topic', value: 'in/x' }];
    expect(render({ 'mqtt.payload.format': 'envelope' }, record({ value, headers }))?.options.properties).toEqual({
      userProperties: { a: '1' },
    });
    const m = render(
      { 'mqtt.payload.format': 'envelope', 'mqtt.user.properties.from.headers': true },
      record({
        value: {
          payload: Buffer.from('x'),
          user_properties: new Map([['a', '1']]),
          content_type: 'text/plain',
          correlation_data: Buffer.from('c'),
          response_topic: 'reply/here',
        },
        headers: [{ key: 'a', value: '2' }],
      }),
    );
    expect(m?.options.properties).toEqual({
      userProperties: { a: ['1', '2'] },
      contentType: 'text/plain',
      correlationData: Buffer.from('c'),
      responseTopic: 'reply/here',
    });
  });

  it('takes retain from a header or field', () => {
    const cfg = { 'mqtt.retain': '${header.r}' };
    expect(render(cfg, record({ value: 1, headers: [{ key: 'r', value: 'true' }] }))?.options.retain).toBe(true);
    expect(
      render(cfg, record({ value: 1, headers: [{ key: 'r', value: Buffer.from('false') }] }))?.options.retain,
    ).toBe(false);
    expect(render(cfg, record({ value: 1 }))?.options.retain).toBe(false);
    expect(() => render(cfg, record({ value: 1, headers: [{ key: 'r', value: 'maybe' }] }))).toThrow(/retain/);
    expect(render({ 'mqtt.retain': '${value.keep}' }, record({ value: { keep: true } }))?.options.retain).toBe(true);
  });

  it('sets MQTT 5 properties from config and headers, and none with 3.1.1', () => {
    const cfg = {
      'mqtt.message.expiry.seconds': 30,
      'mqtt.content.type': '${header.ct}',
      'mqtt.response.topic': 'replies/${key}',
      'mqtt.correlation.data.header': 'corr',
    };
    const headers = [
      { key: 'ct', value: 'application/json' },
      { key: 'corr', value: 'abc' },
      { key: 'skip', value: null },
    ];
    const m = render(cfg, record({ value: 1, headers }));
    expect(m?.options.properties).toEqual({
      userProperties: { ct: 'application/json', corr: 'abc' },
      messageExpiryInterval: 30,
      contentType: 'application/json',
      responseTopic: 'replies/k1',
      correlationData: Buffer.from('abc'),
    });
    expect(
      render({ 'mqtt.user.properties.from.headers': false }, record({ value: 1, headers }))?.options.properties,
    ).toBe(undefined);
    expect(render({ 'mqtt.protocol.version': '3.1.1' }, record({ value: 1, headers }))?.options.properties).toBe(
      undefined,
    );
  });

  it('decodes a .base64 correlation data header to the bytes the MQTT source read', () => {
    const data = Buffer.from([0xff, 0x00, 0x7f]);
    const headers = [{ key: 'mqtt.correlation.data.base64', value: Buffer.from(data.toString('base64')) }];
    const m = render({ 'mqtt.correlation.data.header': 'mqtt.correlation.data.base64' }, record({ value: 1, headers }));
    expect(m?.options.properties?.correlationData).toEqual(data);
  });

  it('handles tombstones as configured', () => {
    const empty = render({ 'mqtt.retain': 'true' }, record({ value: null }));
    expect(empty?.payload.length).toBe(0);
    expect(empty?.options.retain).toBe(true);
    expect(render({ 'mqtt.null.value.behavior': 'skip' }, record({ value: null }))).toBeNull();
    expect(() => render({ 'mqtt.null.value.behavior': 'reject' }, record({ value: null }))).toThrow(/tombstone/);
  });

  it('throws a RecordError for a missing field or an invalid rendered topic', () => {
    expect(() => render({ 'mqtt.topic': 'a/${value.x}' }, record({ value: {} }))).toThrow(RecordError);
    expect(() => render({ 'mqtt.topic': 'a/${value.x}' }, record({ value: { x: '#' } }))).toThrow(/mqtt\.topic/);
    expect(() => render({ 'mqtt.topic': '${key}' }, record({ key: '', value: 1 }))).toThrow(/empty/);
    expect(() => render({ 'mqtt.response.topic': 'r/${key}' }, record({ key: '+', value: 1 }))).toThrow(
      /mqtt\.response\.topic/,
    );
  });
});
