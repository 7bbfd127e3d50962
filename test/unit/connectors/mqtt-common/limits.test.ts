import {
  mqttConnectIdIssues,
  mqttSubscriptionIssues,
  validateMqttConnection,
} from '../../../../connectors/mqtt-common';

describe('MQTT derived identifiers', () => {
  it('accepts what fits in an MQTT string', () => {
    expect(mqttConnectIdIssues({ name: 'c', 'tasks.max': 3, 'mqtt.username': 'u', 'mqtt.password': 'p' })).toEqual([]);
    expect(mqttSubscriptionIssues(['a/#'], 'c', 'name')).toEqual([]);
  });

  it('refuses a user name or password MQTT cannot encode, on its key', () => {
    const issues = mqttConnectIdIssues({ name: 'c', 'mqtt.username': 'u'.repeat(65536), 'mqtt.password': 'p' });
    expect(issues).toEqual([
      { key: 'mqtt.username', message: 'gives an MQTT user name of 65536 bytes; MQTT allows at most 65535' },
    ]);
    // Counted in bytes, not characters.
    expect(mqttConnectIdIssues({ name: 'c', 'mqtt.password': 'é'.repeat(40000) })[0]?.key).toBe('mqtt.password');
  });

  it('refuses a shared subscription longer than MQTT allows, on the key that made it long', () => {
    expect(mqttSubscriptionIssues(['a/#'], 'g'.repeat(65530), 'mqtt.share.group')).toEqual([
      {
        key: 'mqtt.share.group',
        message: 'gives a shared subscription of 65541 bytes ($share/<group>/<filter>); MQTT allows at most 65535',
      },
    ]);
    expect(mqttSubscriptionIssues(['t/'.repeat(33000)], 'g', 'name')[0]?.key).toBe('mqtt.topics');
  });

  it('is part of the connection checks both MQTT connectors run', () => {
    const issues = validateMqttConnection({
      'mqtt.server.uri': 'mqtt://127.0.0.1:1883',
      'mqtt.username': 'u'.repeat(70000),
    });
    expect(issues.map((i) => i.key)).toContain('mqtt.username');
  });
});
