import configInfos from '../../schemas/json/config-infos.schema.json';
import configKeyInfo from '../../schemas/json/config-key-info.schema.json';
import connectorConfigPatch from '../../schemas/json/connector-config-patch.schema.json';
import connectorConfig from '../../schemas/json/connector-config.schema.json';
import connectorExpanded from '../../schemas/json/connector-expanded.schema.json';
import connectorInfo from '../../schemas/json/connector-info.schema.json';
import connectorOffsets from '../../schemas/json/connector-offsets.schema.json';
import connectorStatus from '../../schemas/json/connector-status.schema.json';
import connectorTopics from '../../schemas/json/connector-topics.schema.json';
import createConnectorRequest from '../../schemas/json/create-connector-request.schema.json';
import errorMessage from '../../schemas/json/error-message.schema.json';
import health from '../../schemas/json/health.schema.json';
import loggerLevel from '../../schemas/json/logger-level.schema.json';
import loggerLevels from '../../schemas/json/logger-levels.schema.json';
import message from '../../schemas/json/message.schema.json';
import pluginInfo from '../../schemas/json/plugin-info.schema.json';
import serverInfo from '../../schemas/json/server-info.schema.json';
import setLoggerLevelRequest from '../../schemas/json/set-logger-level-request.schema.json';
import taskInfo from '../../schemas/json/task-info.schema.json';
import taskState from '../../schemas/json/task-state.schema.json';

/** The body schemas in schemas/json, by the name the document refers to them with. */
export const BODY_SCHEMAS: Readonly<Record<string, object>> = {
  ConfigInfos: configInfos,
  ConfigKeyInfo: configKeyInfo,
  ConnectorConfig: connectorConfig,
  ConnectorConfigPatch: connectorConfigPatch,
  ConnectorExpanded: connectorExpanded,
  ConnectorInfo: connectorInfo,
  ConnectorOffsets: connectorOffsets,
  ConnectorStatus: connectorStatus,
  ConnectorTopics: connectorTopics,
  CreateConnectorRequest: createConnectorRequest,
  ErrorMessage: errorMessage,
  Health: health,
  LoggerLevel: loggerLevel,
  LoggerLevels: loggerLevels,
  Message: message,
  PluginInfo: pluginInfo,
  ServerInfo: serverInfo,
  SetLoggerLevelRequest: setLoggerLevelRequest,
  TaskInfo: taskInfo,
  TaskState: taskState,
};

type Json = Record<string, unknown>;
const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json): Json => ({ content: { 'application/json': { schema } } });
const body = (name: string, description: string): Json => ({ description, ...json(ref(name)) });
const arrayOf = (name: string, description: string): Json => ({
  description,
  ...json({ type: 'array', items: ref(name) }),
});
const error = (description: string): Json => body('ErrorMessage', description);
const noContent = (description: string): Json => ({ description });

const connector = {
  name: 'connector',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'Connector name',
};
const task = {
  name: 'task',
  in: 'path',
  required: true,
  schema: { type: 'integer', minimum: 0 },
  description: 'Task id',
};
const plugin = {
  name: 'plugin',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'Plugin class name or alias',
};
const logger = {
  name: 'logger',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'Logger name, e.g. ferry.worker',
};
const flag = (name: string, dflt: boolean, description: string): Json => ({
  name,
  in: 'query',
  required: false,
  schema: { type: 'boolean', default: dflt },
  description,
});

const notFound = error('No connector (or task) of that name');
const conflict = error('Rebalance in progress or a conflicting request; retry');
const bad = error('Malformed request or invalid configuration; the message names the field');

function op(summary: string, responses: Json, extra: Json = {}): Json {
  return { summary, ...extra, responses };
}

/**
 * The OpenAPI 3.1 description of the REST API served at `GET /openapi.json`. Kept true by a test that compares
 * its paths with the express router's routes in both directions.
 */
export function openApiDocument(options: { metrics: boolean; version: string }): Json {
  const schemas: Json = {};
  for (const [name, s] of Object.entries(BODY_SCHEMAS)) {
    // $schema and $id belong to the standalone files; inside the document they would only confuse resolvers.
    schemas[name] = Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$schema' && k !== '$id'));
  }
  const paths: Json = {
    '/': { get: op('Worker version and Kafka cluster id', { 200: body('ServerInfo', 'Server info') }) },
    '/health': {
      get: op('Worker health', {
        200: body('Health', 'Healthy'),
        503: body('Health', 'Starting'),
        500: body('Health', 'Unhealthy'),
      }),
    },
    '/connectors': {
      get: op(
        'List connectors',
        {
          200: {
            description: 'Names, or with expand a map of name → {status, info}',
            ...json({ oneOf: [{ type: 'array', items: { type: 'string' } }, ref('ConnectorExpanded')] }),
          },
        },
        {
          parameters: [
            {
              name: 'expand',
              in: 'query',
              required: false,
              style: 'form',
              explode: true,
              schema: { type: 'array', items: { type: 'string', enum: ['status', 'info'] } },
              description: 'Repeatable: status, info',
            },
          ],
        },
      ),
      post: op(
        'Create a connector',
        {
          201: body('ConnectorInfo', 'Created; Location header names it'),
          400: bad,
          409: error('Name taken, or rebalance'),
        },
        { requestBody: { required: true, ...json(ref('CreateConnectorRequest')) } },
      ),
    },
    '/connectors/{connector}': {
      parameters: [connector],
      get: op('Connector info', { 200: body('ConnectorInfo', 'Info'), 404: notFound }),
      delete: op('Delete a connector (and its offsets; see docs/rest-api.md)', {
        204: noContent('Deleted'),
        404: notFound,
        409: conflict,
      }),
    },
    '/connectors/{connector}/config': {
      parameters: [connector],
      get: op('Connector config (secrets hidden, placeholders unresolved)', {
        200: body('ConnectorConfig', 'Config'),
        404: notFound,
      }),
      put: op(
        'Create or replace a connector config',
        { 200: body('ConnectorInfo', 'Updated'), 201: body('ConnectorInfo', 'Created'), 400: bad, 409: conflict },
        { requestBody: { required: true, ...json(ref('ConnectorConfig')) } },
      ),
      patch: op(
        'Change some keys of a connector config; null removes a key',
        { 200: body('ConnectorInfo', 'Updated'), 400: bad, 404: notFound },
        { requestBody: { required: true, ...json(ref('ConnectorConfigPatch')) } },
      ),
    },
    '/connectors/{connector}/status': {
      parameters: [connector],
      get: op('Connector and task states', { 200: body('ConnectorStatus', 'Status'), 404: notFound }),
    },
    '/connectors/{connector}/restart': {
      parameters: [connector],
      post: op(
        'Restart the connector (and tasks)',
        {
          202: body('ConnectorStatus', 'Restarting (includeTasks or onlyFailed set)'),
          204: noContent('Connector restarted'),
          400: bad,
          404: notFound,
          409: conflict,
        },
        {
          parameters: [
            flag('includeTasks', false, 'Restart the tasks too'),
            flag('onlyFailed', false, 'Only FAILED instances'),
          ],
        },
      ),
    },
    '/connectors/{connector}/pause': {
      parameters: [connector],
      put: op('Pause the connector and its tasks', { 202: noContent('Pausing'), 404: notFound }),
    },
    '/connectors/{connector}/resume': {
      parameters: [connector],
      put: op('Resume a paused or stopped connector', { 202: noContent('Resuming'), 404: notFound }),
    },
    '/connectors/{connector}/stop': {
      parameters: [connector],
      put: op('Stop the connector: tasks removed, config kept', {
        204: noContent('Stopped'),
        404: notFound,
        409: conflict,
      }),
    },
    '/connectors/{connector}/tasks': {
      parameters: [connector],
      get: op('Task configs', { 200: arrayOf('TaskInfo', 'Tasks'), 404: notFound }),
    },
    '/connectors/{connector}/tasks/{task}/status': {
      parameters: [connector, task],
      get: op('Task state', { 200: body('TaskState', 'Status'), 404: notFound }),
    },
    '/connectors/{connector}/tasks/{task}/restart': {
      parameters: [connector, task],
      post: op('Restart one task', { 204: noContent('Restarted'), 404: notFound, 409: conflict }),
    },
    '/connectors/{connector}/topics': {
      parameters: [connector],
      get: op('Topics the connector has used', { 200: body('ConnectorTopics', 'Topics'), 404: notFound }),
    },
    '/connectors/{connector}/topics/reset': {
      parameters: [connector],
      put: op('Forget the topics the connector has used', { 202: noContent('Reset'), 404: notFound }),
    },
    '/connectors/{connector}/offsets': {
      parameters: [connector],
      get: op('Committed offsets', { 200: body('ConnectorOffsets', 'Offsets'), 404: notFound }),
      patch: op(
        'Alter offsets (connector must be STOPPED)',
        { 200: body('Message', 'Altered'), 400: bad, 404: notFound },
        { requestBody: { required: true, ...json(ref('ConnectorOffsets')) } },
      ),
      delete: op('Reset offsets (connector must be STOPPED)', {
        200: body('Message', 'Reset'),
        400: bad,
        404: notFound,
      }),
    },
    '/connector-plugins': {
      get: op(
        'Installed plugins',
        { 200: arrayOf('PluginInfo', 'Plugins'), 400: bad },
        { parameters: [flag('connectorsOnly', true, 'false lists transforms, predicates and converters too')] },
      ),
    },
    '/connector-plugins/{plugin}/config': {
      parameters: [plugin],
      get: op('Config keys of a plugin', { 200: arrayOf('ConfigKeyInfo', 'Keys'), 404: error('Unknown plugin') }),
    },
    '/connector-plugins/{plugin}/config/validate': {
      parameters: [plugin],
      put: op(
        'Validate a config (200 even with errors)',
        {
          200: body('ConfigInfos', 'Validation result'),
          400: error('Unknown plugin, class mismatch or malformed body'),
        },
        { requestBody: { required: true, ...json(ref('ConnectorConfig')) } },
      ),
    },
    '/admin/loggers': { get: op('Logger levels', { 200: body('LoggerLevels', 'Levels') }) },
    '/admin/loggers/{logger}': {
      parameters: [logger],
      get: op('One logger level', { 200: body('LoggerLevel', 'Level'), 404: error('No such logger') }),
      put: op(
        'Set a logger level (and its descendants)',
        {
          200: { description: 'Loggers changed', ...json({ type: 'array', items: { type: 'string' } }) },
          204: noContent('scope=cluster: applied'),
          400: bad,
        },
        {
          parameters: [
            { name: 'scope', in: 'query', required: false, schema: { type: 'string', enum: ['worker', 'cluster'] } },
          ],
          requestBody: { required: true, ...json(ref('SetLoggerLevelRequest')) },
        },
      ),
    },
    '/openapi.json': {
      get: op('This document', { 200: { description: 'OpenAPI 3.1 document', ...json({ type: 'object' }) } }),
    },
  };
  if (options.metrics) {
    paths['/metrics'] = {
      get: op('Prometheus metrics', {
        200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
      }),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ferry Connect REST API',
      version: options.version,
      description:
        'Kafka Connect 4.x compatible. Every error is {"error_code", "message"}; malformed JSON and unknown plugins in ' +
        'validate are 400 where Connect answers 500.',
    },
    paths,
    components: { schemas },
  };
}
