import type {
  ConfigIssue,
  Connector,
  SinkConnectorPlugin,
  SinkTask,
  SourceConnectorPlugin,
  SourceTask,
} from '../../../runtime/api';

const connector = (): Connector => ({
  start: () => Promise.resolve(),
  taskConfigs: () => [],
  stop: () => Promise.resolve(),
});

/** A source plugin whose schema uses every property type, a secret, an enum and a cross-key check. */
export const counterSource: SourceConnectorPlugin = {
  className: 'CounterSourceConnector',
  aliases: ['io.ferry.test.CounterSourceConnector'],
  type: 'source',
  version: '1.2.3',
  config: {
    type: 'object',
    required: ['topic'],
    properties: {
      topic: {
        type: 'string',
        minLength: 1,
        description: 'Topic to write to',
        'x-importance': 'HIGH',
        'x-group': 'Counter',
      },
      'interval.ms': { type: 'integer', minimum: 1, default: 1000, description: 'Interval', 'x-group': 'Counter' },
      ratio: { type: 'number', default: 0.5, description: 'Ratio' },
      'fast.enabled': { type: 'boolean', default: false, description: 'Go fast' },
      labels: { type: 'array', items: { type: 'string' }, default: 'a,b', description: 'Labels' },
      mode: { type: 'string', enum: ['up', 'down'], default: 'up', description: 'Direction' },
      'api.password': { type: 'string', description: 'Password', 'x-secret': true },
      'max.count': { type: 'integer', description: 'Stop after', 'x-connect-type': 'LONG' },
    },
  },
  validate: (values): ConfigIssue[] =>
    values.mode === 'down' && values['max.count'] === undefined
      ? [{ key: 'max.count', message: 'max.count is required when mode is down' }]
      : [],
  createConnector: connector,
  createTask: (): SourceTask => ({ start: () => Promise.resolve(), stop: () => Promise.resolve() }),
};

export const logSink: SinkConnectorPlugin = {
  className: 'io.ferry.test.LogSinkConnector',
  type: 'sink',
  version: '0.0.1',
  config: { type: 'object', properties: { prefix: { type: 'string', default: '', description: 'Line prefix' } } },
  createConnector: connector,
  createTask: (): SinkTask => ({
    start: () => Promise.resolve(),
    put: () => Promise.resolve(),
    flush: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  }),
};
