import type { ConfigProperty } from '../../runtime/api';

const GROUP = 'MQTT Connection';

/**
 * The connection keys shared by the MQTT source and sink, so one credentials block serves both connectors.
 * Checked beyond the schema by {@link validateMqttConnection}; parsed by {@link parseMqttConnection} (source, sink and session release alike); turned into mqtt.js options by
 * {@link mqttClientOptions}.
 */
export const mqttConnectionConfig: Readonly<Record<string, ConfigProperty>> = {
  'mqtt.server.uri': {
    type: 'string',
    minLength: 1,
    description:
      'One or more broker URIs, comma-separated, tried in this order (failover), e.g. ' +
      '"mqtts://broker-a:8883,mqtts://broker-b:8883". Schemes: mqtt:// (or tcp://) for plain TCP, mqtts:// (or ssl://) ' +
      'for TLS. The port defaults to 1883 (plain) or 8883 (TLS). No path, user or password in the URI: use ' +
      'mqtt.username and mqtt.password.',
    'x-importance': 'HIGH',
    'x-group': GROUP,
    'x-display-name': 'Broker URIs',
  },
  'mqtt.protocol.version': {
    type: 'string',
    enum: ['3.1.1', '5'],
    default: '5',
    description:
      'MQTT protocol version: "5" (default) or "3.1.1". MQTT 5 is needed for user properties, message expiry, ' +
      'content type and the session expiry interval.',
    'x-importance': 'MEDIUM',
    'x-group': GROUP,
  },
  'mqtt.client.id.prefix': {
    type: 'string',
    minLength: 1,
    default: 'ferry',
    description:
      'Prefix of the MQTT client id. Each task connects as "<prefix>-<connector>-<task>", stable across restarts so a ' +
      'restarted task resumes its broker session. Change it when two Ferry clusters with the same connector names ' +
      'share a broker.',
    'x-importance': 'LOW',
    'x-group': GROUP,
  },
  'mqtt.username': {
    type: 'string',
    description: 'User name for the broker; none when unset.',
    'x-importance': 'MEDIUM',
    'x-group': GROUP,
  },
  'mqtt.password': {
    type: 'string',
    description: 'Password for the broker (only with mqtt.username). Hidden in REST responses and logs.',
    'x-connect-type': 'PASSWORD',
    'x-secret': true,
    'x-importance': 'MEDIUM',
    'x-group': GROUP,
  },
  'mqtt.ssl.ca': {
    type: 'string',
    description:
      'Path of a PEM file with the CA certificate(s) that signed the broker certificate. When unset, the ' +
      "system's trusted CAs are used. Only for mqtts:// (ssl://) URIs.",
    'x-importance': 'MEDIUM',
    'x-group': GROUP,
  },
  'mqtt.ssl.cert': {
    type: 'string',
    description: 'Path of a PEM client certificate for mutual TLS (with mqtt.ssl.key).',
    'x-importance': 'LOW',
    'x-group': GROUP,
  },
  'mqtt.ssl.key': {
    type: 'string',
    description: 'Path of the PEM private key of the client certificate (with mqtt.ssl.cert).',
    'x-importance': 'LOW',
    'x-group': GROUP,
  },
  'mqtt.ssl.key.password': {
    type: 'string',
    description: 'Passphrase of mqtt.ssl.key when the key is encrypted. Hidden in REST responses and logs.',
    'x-connect-type': 'PASSWORD',
    'x-secret': true,
    'x-importance': 'LOW',
    'x-group': GROUP,
  },
  'mqtt.ssl.verify.hostname': {
    type: 'boolean',
    default: true,
    description:
      "Check that the broker certificate names the host of the URI being connected to. Turn off only for a broker whose certificate doesn't match its address (the chain is still verified).",
    'x-importance': 'LOW',
    'x-group': GROUP,
  },
  'mqtt.keepalive.seconds': {
    type: 'integer',
    minimum: 0,
    maximum: 65535,
    default: 30,
    description: 'MQTT keep-alive interval in seconds; 0 turns keep-alive off.',
    'x-importance': 'LOW',
    'x-group': GROUP,
  },
  'mqtt.connect.timeout.ms': {
    type: 'integer',
    minimum: 1,
    default: 30000,
    description: 'How long to wait for the CONNACK of one connection attempt, in milliseconds.',
    'x-importance': 'LOW',
    'x-group': GROUP,
  },
  'mqtt.reconnect.backoff.ms': {
    type: 'integer',
    minimum: 1,
    default: 1000,
    description:
      'Delay before the first reconnect after the connection is lost, in milliseconds. It doubles after each ' +
      'failed attempt up to mqtt.reconnect.backoff.max.ms and is reset by a successful connection. Each attempt ' +
      'goes to the next URI of mqtt.server.uri.',
    'x-importance': 'LOW',
    'x-group': GROUP,
  },
  'mqtt.reconnect.backoff.max.ms': {
    type: 'integer',
    minimum: 1,
    default: 30000,
    description: 'Longest delay between two reconnect attempts, in milliseconds.',
    'x-importance': 'LOW',
    'x-group': GROUP,
  },
  'mqtt.clean.start': {
    type: 'boolean',
    default: false,
    description:
      'Start each connection with a new, empty session (Clean Start / Clean Session). Default false: a task resumes ' +
      'its session, so the broker keeps subscriptions and undelivered QoS 1/2 messages across a reconnect or restart.',
    'x-importance': 'MEDIUM',
    'x-group': GROUP,
  },
  'mqtt.session.expiry.seconds': {
    type: 'integer',
    minimum: 0,
    maximum: 4294967295,
    default: 86400,
    description:
      'MQTT 5 Session Expiry Interval: how long the broker keeps the session after the connection drops, in ' +
      'seconds (4294967295 = never expires). With 0 the broker discards the session at disconnect and everything ' +
      'published while the task is away is lost. Ignored with MQTT 3.1.1, where the session lasts until a clean ' +
      'connect.',
    'x-importance': 'MEDIUM',
    'x-group': GROUP,
  },
};
