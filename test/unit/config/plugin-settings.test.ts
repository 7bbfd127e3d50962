import {
  ConfigError,
  defineSettings,
  type SourceConnectorPlugin,
  type SourceTaskContext,
  type TaskMetrics,
} from '../../../runtime/api';
import { parseConnectorConfig, parseTaskConfig } from '../../../runtime/config';
import { taskContext } from '../../../runtime/tasks/task-context';
import { mqttSinkPlugin } from '../../../connectors/mqtt-sink';
import { silentLogger } from '../../helpers';

/** A plugin that declares its settings once: the default of `echo.times` is stated in the schema only. */
const echoSettings = defineSettings(
  {
    type: 'object',
    properties: {
      'echo.times': { type: 'integer', minimum: 1, default: 3, description: 'How often' },
      'echo.word': { type: 'string', default: 'hi', description: 'What' },
    },
  },
  (read) => {
    const word = read.requireString('echo.word');
    if (word !== word.toLowerCase()) throw new ConfigError([{ key: 'echo.word', message: 'must be lower case' }]);
    return { times: read.requireNumber('echo.times'), word };
  },
);

let seen: SourceTaskContext<{ times: number; word: string }> | undefined;
const echoPlugin: SourceConnectorPlugin<{ times: number; word: string }> = {
  type: 'source',
  className: 'EchoSourceConnector',
  version: '1',
  config: echoSettings,
  createConnector: () => ({ start: () => Promise.resolve(), taskConfigs: () => [], stop: () => Promise.resolve() }),
  createTask: () => ({
    start: (ctx) => {
      seen = ctx;
      return Promise.resolve();
    },
    stop: () => Promise.resolve(),
  }),
};

const metrics: TaskMetrics = { count: () => undefined, gauge: () => undefined };

describe('plugin settings declared with defineSettings', () => {
  it("hands a declared setting's default to the task as typed settings", async () => {
    // The runtime's start path: the task config parsed by the plugin's declaration, then the task's context.
    const parsed = parseTaskConfig(echoPlugin, { 'echo.word': 'yo' });
    expect(parsed.issues).toEqual([]);
    const ctx = taskContext(
      {
        connector: 'echo',
        taskId: 0,
        workerId: 'w',
        logger: silentLogger,
        metrics,
        config: parsed.values,
        rawConfig: {},
        settings: parsed.settings,
      },
      new AbortController().signal,
      () => undefined,
    );
    await echoPlugin.createTask().start(ctx as SourceTaskContext<{ times: number; word: string }>);
    expect(seen?.settings).toEqual({ times: 3, word: 'yo' });
  });

  it("refuses a value the declaration's parser rejects at validate, naming the key", () => {
    const { issues } = parseConnectorConfig(echoPlugin, {
      name: 'e',
      'connector.class': 'EchoSourceConnector',
      'echo.word': 'LOUD',
    });
    expect(issues).toEqual([{ key: 'echo.word', message: 'must be lower case' }]);
  });

  it('validates the MQTT sink through its declaration alone, and gives its tasks the schema defaults', () => {
    const base = { 'mqtt.server.uri': 'mqtt://127.0.0.1:1884', topics: 'orders', 'mqtt.topic': 'out/${key}' };
    const bad = parseConnectorConfig(mqttSinkPlugin, {
      ...base,
      name: 's',
      'connector.class': 'MqttSinkConnector',
      'mqtt.retain': '${value.a}-${value.b}',
    });
    expect(mqttSinkPlugin.validate).toBeUndefined();
    expect(bad.issues.map((i) => i.key)).toEqual(['mqtt.retain']);
    const task = parseTaskConfig(mqttSinkPlugin, base);
    expect(task.issues).toEqual([]);
    expect(task.settings).toMatchObject({ qos: 1, maxInFlight: 1000, payloadFormat: 'json', nullValue: 'empty' });
  });
});
