import { parseConnectorConfig } from '../../../../runtime/config';
import { ConfigError } from '../../../../runtime/api';
import { mqttSinkPlugin, parseSinkSettings, validateSinkConfig } from '../../../../connectors/mqtt-sink';

const base = { 'mqtt.server.uri': 'mqtt://127.0.0.1:1884', topics: 'orders', 'mqtt.topic': 'devices/${key}' };
const keys = (values: Record<string, unknown>): string[] => validateSinkConfig(values).map((i) => i.key);

describe('MQTT sink configuration', () => {
  it('resolves defaults for a minimal config', () => {
    const s = parseSinkSettings(base);
    expect(s).toMatchObject({
      protocolVersion: 5,
      qos: 1,
      retain: { fixed: false },
      payloadFormat: 'json',
      nullValue: 'empty',
      maxInFlight: 1000,
      userPropertiesFromHeaders: true,
    });
    expect(s.topic.placeholders.map((p) => p.text)).toEqual(['key']);
  });

  it('is a sink plugin with its class name, alias and schema', () => {
    expect(mqttSinkPlugin.type).toBe('sink');
    expect(mqttSinkPlugin.className).toBe('MqttSinkConnector');
    expect(mqttSinkPlugin.aliases).toContain('io.ferry.connect.mqtt.MqttSinkConnector');
    expect(Object.keys(mqttSinkPlugin.config.properties)).toEqual(
      expect.arrayContaining(['mqtt.server.uri', 'mqtt.password', 'mqtt.topic', 'mqtt.qos', 'mqtt.max.in.flight']),
    );
    expect(mqttSinkPlugin.config.properties['mqtt.max.in.flight']?.maximum).toBe(20000);
    expect(
      parseConnectorConfig(mqttSinkPlugin, { ...base, name: 's', 'connector.class': 'MqttSinkConnector' }).issues,
    ).toEqual([]);
  });

  it('wants exactly one of topics and topics.regex', () => {
    const noTopics: Record<string, unknown> = { ...base };
    delete noTopics.topics;
    expect(keys(noTopics)).toEqual(['topics', 'topics.regex']);
    expect(keys({ ...base, 'topics.regex': 'orders-.*' })).toEqual(['topics', 'topics.regex']);
    expect(keys({ ...noTopics, 'topics.regex': 'orders-.*' })).toEqual([]);
    expect(keys({ ...noTopics, 'topics.regex': 'orders-(' })).toEqual(['topics.regex']);
    expect(keys({ ...base, topics: ['a', 'b'] })).toEqual([]);
  });

  it.each([
    ['devices/+/cmd', 'must not contain + or #'],
    ['devices/${key}/#', 'must not contain + or #'],
    ['devices/${payload.x}', 'unknown placeholder'],
    ['devices/${value', 'unterminated'],
  ])('rejects the topic template %s naming mqtt.topic', (topic, message) => {
    const issues = validateSinkConfig({ ...base, 'mqtt.topic': topic });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.key).toBe('mqtt.topic');
    expect(issues[0]?.message).toContain(message);
  });

  it('requires mqtt.topic and the connection', () => {
    expect(keys({ topics: 'x' })).toEqual(['mqtt.server.uri', 'mqtt.topic']);
  });

  it('checks QoS, retain, payload format and template, window and expiry', () => {
    expect(keys({ ...base, 'mqtt.qos': 3 })).toEqual(['mqtt.qos']);
    expect(keys({ ...base, 'mqtt.retain': 'yes ${header.r}' })).toEqual(['mqtt.retain']);
    expect(keys({ ...base, 'mqtt.retain': '${nope}' })).toEqual(['mqtt.retain']);
    expect(keys({ ...base, 'mqtt.payload.format': 'xml' })).toEqual(['mqtt.payload.format']);
    expect(keys({ ...base, 'mqtt.payload.format': 'template' })).toEqual(['mqtt.payload.template']);
    expect(keys({ ...base, 'mqtt.payload.template': '${value}' })).toEqual(['mqtt.payload.template']);
    expect(keys({ ...base, 'mqtt.max.in.flight': 65535 })).toEqual(['mqtt.max.in.flight']);
    expect(keys({ ...base, 'mqtt.max.in.flight': 0 })).toEqual(['mqtt.max.in.flight']);
    expect(keys({ ...base, 'mqtt.message.expiry.seconds': 0 })).toEqual(['mqtt.message.expiry.seconds']);
    expect(keys({ ...base, 'mqtt.null.value.behavior': 'drop' })).toEqual(['mqtt.null.value.behavior']);
    expect(keys({ ...base, 'mqtt.response.topic': 'r/#' })).toEqual(['mqtt.response.topic']);
  });

  it('accepts retain from one placeholder or a fixed flag', () => {
    const r = parseSinkSettings({ ...base, 'mqtt.retain': '${value.retain}' }).retain;
    expect('from' in r && r.from.single?.text).toBe('value.retain');
    expect(parseSinkSettings({ ...base, 'mqtt.retain': 'TRUE' }).retain).toEqual({ fixed: true });
  });

  it('refuses MQTT 5 properties with protocol 3.1.1', () => {
    expect(
      keys({
        ...base,
        'mqtt.protocol.version': '3.1.1',
        'mqtt.message.expiry.seconds': 60,
        'mqtt.content.type': 'text/plain',
        'mqtt.correlation.data.header': 'corr',
      }),
    ).toEqual(['mqtt.message.expiry.seconds', 'mqtt.content.type', 'mqtt.correlation.data.header']);
  });

  it('lists every problem at once in the ConfigError', () => {
    expect(() => parseSinkSettings({ 'mqtt.server.uri': 'http://x', 'mqtt.topic': 'a/#', 'mqtt.qos': 5 })).toThrow(
      ConfigError,
    );
    try {
      parseSinkSettings({ 'mqtt.server.uri': 'http://x', 'mqtt.topic': 'a/#', 'mqtt.qos': 5 });
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => i.key)).toEqual([
        'mqtt.server.uri',
        'topics',
        'topics.regex',
        'mqtt.topic',
        'mqtt.qos',
      ]);
    }
  });
});
