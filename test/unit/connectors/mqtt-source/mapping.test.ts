import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LogicalTypes, RecordError, type SourceRecord } from '../../../../runtime/api';
import { avroToConnectSchema, connectToAvroSchema, schemaReader } from '../../../../runtime/converters';
import {
  RecordMapper,
  envelopeSchema,
  jsonToConnect,
  mqttHeaders,
  topicMatches,
  validateMqttSource,
  type InboundMessage,
  type MapperOptions,
} from '../../../../connectors/mqtt-source';
import { compileSourceTemplates } from '../../../../connectors/mqtt-source/config';

function message(over: Partial<InboundMessage> = {}): InboundMessage {
  return {
    topic: 'factory/press7/temp',
    payload: Buffer.from(JSON.stringify({ deviceId: 'd-42', site: 'north', temp: 21.5 })),
    qos: 1,
    retain: false,
    dup: false,
    packetId: 17,
    properties: undefined,
    arrivalTime: 1_764_000_000_000,
    ...over,
  };
}

function mapper(config: Record<string, string>, over: Partial<MapperOptions> = {}): RecordMapper {
  return new RecordMapper({
    templates: compileSourceTemplates(config),
    valueFormat: 'envelope',
    filters: ['factory/#'],
    ...over,
  });
}

function header(record: SourceRecord, key: string): unknown[] {
  return record.headers.filter((h) => h.key === key).map((h) => h.value);
}

describe('RecordMapper templates', () => {
  it('renders topic levels (from 0) and the default key, the MQTT topic', () => {
    const r = mapper({ 'kafka.topic': 'iot.${mqtt.topic[1]}' }).toRecord(message());
    expect(r.topic).toBe('iot.press7');
    expect(r.key).toBe('factory/press7/temp');
    expect(r.keySchema?.type).toBe('string');
    expect(r.kafkaPartition).toBeUndefined();
    expect(r.failure).toBeUndefined();
  });

  it('renders JSON payload fields in topic and key', () => {
    const r = mapper({ 'kafka.topic': 'telemetry.${payload.site}', 'kafka.key': '${payload.deviceId}' }).toRecord(
      message(),
    );
    expect(r.topic).toBe('telemetry.north');
    expect(r.key).toBe('d-42');
  });

  it('turns a placeholder without a value into an error record carrying the payload', () => {
    const m = message({ payload: Buffer.from('not json') });
    const r = mapper({ 'kafka.topic': 'iot.raw', 'kafka.key': '${payload.deviceId}' }).toRecord(m);
    expect(r.failure?.message).toMatch(/not JSON/);
    expect(r.value).toBe(m.payload);
    expect(r.valueSchema).toBeUndefined();
    expect(r.originalBytes).toBe(m.payload);
  });

  it('refuses a rendered Kafka topic with characters Kafka does not allow', () => {
    const r = mapper({ 'kafka.topic': 'iot.${mqtt.topic[1]}' }).toRecord(message({ topic: 'factory/press 7/temp' }));
    expect(r.failure?.message).toMatch(/not a valid Kafka topic/);
  });

  it('counts progress per matching filter in the source offset', () => {
    const m = mapper({ 'kafka.topic': 'iot.raw' }, { filters: ['other/#', 'factory/+/temp'] });
    m.toRecord(message());
    const r = m.toRecord(message({ arrivalTime: 5 }));
    expect(r.sourcePartition).toEqual({ 'mqtt.filter': 'factory/+/temp' });
    expect(r.sourceOffset).toEqual({ arrival_time: 5, count: 2 });
  });

  it('matches each topic to its first filter every time, sharing one frozen partition object per filter', () => {
    const m = mapper({ 'kafka.topic': 'iot.raw' }, { filters: ['factory/+/temp', 'factory/#'] });
    const seen = ['factory/a/temp', 'factory/a/power', 'factory/a/temp', 'factory/b/temp', 'factory/a/power'].map(
      (topic) => m.toRecord(message({ topic })),
    );
    expect(seen.map((r) => r.sourcePartition['mqtt.filter'])).toEqual([
      'factory/+/temp',
      'factory/#',
      'factory/+/temp',
      'factory/+/temp',
      'factory/#',
    ]);
    expect(seen.map((r) => r.sourceOffset['count'])).toEqual([1, 1, 2, 3, 2]);
    expect(seen[0]!.sourcePartition).toBe(seen[3]!.sourcePartition);
    expect(Object.isFrozen(seen[0]!.sourcePartition)).toBe(true);
  });
});

describe('headers', () => {
  it('carries MQTT metadata, MQTT 5 properties and every user property under its own name', () => {
    const h = mqttHeaders(
      message({
        dup: true,
        retain: true,
        qos: 2,
        properties: {
          messageExpiryInterval: 60,
          contentType: 'application/json',
          responseTopic: 'replies/d-42',
          correlationData: Buffer.from('c0'),
          userProperties: { site: 'north', tag: ['a', 'b'] },
        },
      }),
    );
    const byKey = (k: string): unknown[] => h.filter((x) => x.key === k).map((x) => x.value);
    expect(byKey('mqtt.topic')).toEqual(['factory/press7/temp']);
    expect(byKey('mqtt.qos')).toEqual([2]);
    expect(byKey('mqtt.retain')).toEqual([true]);
    expect(byKey('mqtt.dup')).toEqual([true]);
    expect(byKey('mqtt.message.expiry')).toEqual([60]);
    expect(byKey('mqtt.content.type')).toEqual(['application/json']);
    expect(byKey('mqtt.response.topic')).toEqual(['replies/d-42']);
    expect(byKey('mqtt.correlation.data')).toEqual([Buffer.from('c0')]);
    expect(byKey('site')).toEqual(['north']);
    expect(byKey('tag')).toEqual(['a', 'b']);
  });

  it("keeps a user property named like the runtime's dead-letter reason header as a header of a good record", () => {
    // Issue #21: a publisher's user property must never mark its record as failed.
    const r = mapper({ 'kafka.topic': 'iot.raw' }).toRecord(
      message({ properties: { userProperties: { '__ferry.error': 'forged' } } }),
    );
    expect(r.failure).toBeUndefined();
    expect(header(r, '__ferry.error')).toEqual(['forged']);
  });

  it('writes binary correlation data as base64 text, which a Kafka header carries unchanged', () => {
    for (const data of [Buffer.from([0xff, 0xfe, 0x01]), Buffer.from([0x61, 0x00, 0x62])]) {
      const h = mqttHeaders(message({ properties: { correlationData: data } }));
      const byKey = (k: string): unknown[] => h.filter((x) => x.key === k).map((x) => x.value);
      expect(byKey('mqtt.correlation.data')).toEqual([]);
      expect(byKey('mqtt.correlation.data.base64')).toEqual([data.toString('base64')]);
      expect(Buffer.from(byKey('mqtt.correlation.data.base64')[0] as string, 'base64')).toEqual(data);
    }
  });
});

describe('values', () => {
  it('envelope: lossless struct with arrival time as a Date', () => {
    const payload = Buffer.from([0, 255, 1, 128]);
    const r = mapper({ 'kafka.topic': 'iot.raw' }).toRecord(
      message({ payload, properties: { userProperties: { a: '1' } } }),
    );
    expect(r.valueSchema).toBe(envelopeSchema);
    const v = r.value as Record<string, unknown>;
    expect(v['payload']).toEqual(payload);
    expect(v['arrival_time']).toEqual(new Date(1_764_000_000_000));
    expect(v['packet_id']).toBe(17);
    expect(v['user_properties']).toEqual({ a: '1' });
    expect(Object.keys(v)).toEqual(envelopeSchema.fields?.map((f) => f.name));
    expect(r.originalBytes).toBe(payload);
  });

  it('bytes and string passthrough', () => {
    const b = mapper({ 'kafka.topic': 'x' }, { valueFormat: 'bytes' }).toRecord(message());
    expect(b.valueSchema?.type).toBe('bytes');
    const s = mapper({ 'kafka.topic': 'x' }, { valueFormat: 'string' }).toRecord(
      message({ payload: Buffer.from('hé') }),
    );
    expect(s.valueSchema?.type).toBe('string');
    expect(s.value).toBe('hé');
  });

  it('json with a schema: typed value; a missing required field becomes an error record', () => {
    const schema = avroToConnectSchema({
      type: 'record',
      name: 'Reading',
      namespace: 'test',
      fields: [
        { name: 'deviceId', type: 'string' },
        { name: 'temp', type: 'double' },
        { name: 'note', type: ['null', 'string'], default: null },
      ],
    });
    const m = mapper({ 'kafka.topic': 'x' }, { valueFormat: 'json', valueSchema: schema });
    const ok = m.toRecord(message());
    expect(ok.value).toEqual({ deviceId: 'd-42', temp: 21.5, note: null });
    expect(ok.valueSchema).toBe(schema);
    const bad = m.toRecord(message({ payload: Buffer.from('{"temp": 3}') }));
    expect(bad.failure?.message).toMatch(/\$\.deviceId is required/);
    expect(bad.valueSchema).toBeUndefined();
  });

  it('json without a schema: schemaless parsed value', () => {
    const r = mapper({ 'kafka.topic': 'x' }, { valueFormat: 'json' }).toRecord(message());
    expect(r.value).toEqual({ deviceId: 'd-42', site: 'north', temp: 21.5 });
    expect(r.valueSchema).toBeUndefined();
  });

  it('jsonToConnect checks integer ranges and reads timestamps', () => {
    expect(() => jsonToConnect({ type: 'int32', optional: false }, 2 ** 31)).toThrow(RecordError);
    expect(jsonToConnect({ type: 'int64', optional: false, name: LogicalTypes.Timestamp }, 1000)).toEqual(
      new Date(1000),
    );
  });

  it('jsonToConnect names the JSON path of a value that does not fit, however deep', () => {
    const schema = avroToConnectSchema({
      type: 'record',
      name: 'Site',
      namespace: 'test',
      fields: [
        { name: 'name', type: 'string' },
        {
          name: 'lines',
          type: {
            type: 'array',
            items: {
              type: 'record',
              name: 'Line',
              fields: [{ name: 'speeds', type: { type: 'map', values: 'int' } }],
            },
          },
        },
      ],
    });
    const value = { name: 'north', lines: [{ speeds: { a: 1 } }, { speeds: { a: 2, b: 'fast' } }] };
    expect(() => jsonToConnect(schema, value)).toThrow(
      new RecordError('$.lines[1].speeds.b must be an integer from -2147483648 to 2147483647, got "fast"'),
    );
    expect(() => jsonToConnect(schema, { lines: [] }, '$.payload')).toThrow(
      new RecordError('$.payload.name is required but missing'),
    );
    expect(() => jsonToConnect(schema, { name: 'x', lines: {} })).toThrow(
      new RecordError('$.lines must be an array, got an object'),
    );
    // The same value, fixed, goes through, and a failure leaves nothing behind for the next call.
    value.lines[1]!.speeds.b = 3 as unknown as string;
    expect(jsonToConnect(schema, value)).toEqual({
      name: 'north',
      lines: [{ speeds: { a: 1 } }, { speeds: { a: 2, b: 3 } }],
    });
  });
});

describe('schemas/avro/mqtt-envelope.avsc', () => {
  it('equals the Avro translation of the envelope schema', () => {
    const file = path.join(__dirname, '..', '..', '..', '..', 'schemas', 'avro', 'mqtt-envelope.avsc');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(connectToAvroSchema(envelopeSchema));
  });
});

describe('topicMatches', () => {
  it.each([
    ['a/+/c', 'a/b/c', true],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/+', 'a/b/c', false],
    ['#', '$SYS/x', false],
    ['a/b', 'a/b', true],
  ])('%s vs %s', (f, t, expected) => expect(topicMatches(f, t)).toBe(expected));
});

describe('validateMqttSource', () => {
  const good = {
    'mqtt.server.uri': 'mqtt://127.0.0.1:1884',
    'mqtt.topics': 'factory/#',
    'kafka.topic': 'iot.${mqtt.topic[1]}',
  };
  const keys = (over: Record<string, string>): string[] =>
    validateMqttSource({ ...good, ...over }, {}, { schemas: schemaReader }).map((i) => i.key);

  it('accepts a good configuration', () => expect(validateMqttSource(good, {}, { schemas: schemaReader })).toEqual([]));
  it('accepts a json schema subject read from the value converter registry', () =>
    expect(
      validateMqttSource(
        {
          ...good,
          'mqtt.value.format': 'json',
          'mqtt.value.schema.subject': 'readings-value',
          'value.converter.schema.registry.url': 'http://127.0.0.1:8081',
        },
        {},
        { schemas: schemaReader },
      ),
    ).toEqual([]));
  it('names the key of each problem', () => {
    expect(keys({ 'mqtt.server.uri': 'http://x' })).toContain('mqtt.server.uri');
    expect(keys({ 'mqtt.protocol.version': '4' })).toContain('mqtt.protocol.version');
    expect(keys({ 'mqtt.qos': '3' })).toContain('mqtt.qos');
    expect(keys({ 'mqtt.topics': 'a/#/b' })).toContain('mqtt.topics');
    expect(keys({ 'kafka.topic': 'iot.${device.id}' })).toContain('kafka.topic');
    expect(keys({ 'kafka.key': '${nope}' })).toContain('kafka.key');
    expect(keys({ 'kafka.topic': 'bad topic' })).toContain('kafka.topic');
    expect(keys({ 'mqtt.value.format': 'json', 'mqtt.value.schema.file': 'nope.avsc' })).toContain(
      'mqtt.value.schema.file',
    );
    expect(keys({ 'tasks.max': '2', 'mqtt.topics': '$share/g/a/#' })).toContain('mqtt.topics');
    expect(keys({ 'mqtt.value.format': 'json', 'mqtt.value.schema.subject': 's' })).toContain(
      'mqtt.value.schema.registry.url',
    );
    expect(
      keys({ 'mqtt.value.schema.subject': 's', 'mqtt.value.schema.registry.url': 'http://127.0.0.1:1' }),
    ).toContain('mqtt.value.schema.subject');
  });
});
