import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { Express } from 'express';
import { BODY_SCHEMAS } from '../../../runtime/rest';
import { RestHarness } from './harness';

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** Every method+path the express app routes, in OpenAPI's `{param}` form (405 catch-alls left out). */
function routes(app: Express): Set<string> {
  const out = new Set<string>();
  for (const layer of (app.router as unknown as { stack: RouteLayer[] }).stack) {
    if (!layer.route) continue;
    const path = layer.route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const [method, on] of Object.entries(layer.route.methods))
      if (on && method !== '_all') out.add(`${method} ${path}`);
  }
  return out;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

function documented(doc: { paths: Record<string, Record<string, unknown>> }): Set<string> {
  const out = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of Object.keys(item)) if (METHODS.includes(method)) out.add(`${method} ${path}`);
  }
  return out;
}

describe('GET /openapi.json', () => {
  let h: RestHarness;
  afterEach(async () => {
    await h.stop();
  });

  it.each([false, true])('documents every route and only routes that exist (metrics %s)', async (metrics) => {
    h = await new RestHarness().start(metrics ? { metrics: () => Promise.resolve('') } : {});
    const r = await h.call('GET', '/openapi.json');
    expect(r.status).toBe(200);
    const doc = r.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    // createRestApp is called again for a handle on its router: the harness's app is inside the http server.
    const { createRestApp } = await import('../../../runtime/rest');
    const app = createRestApp(h.herder, {
      loggers: h.loggers,
      logger: h.loggers.logger('ferry.rest'),
      ...(metrics ? { metrics: () => Promise.resolve('') } : {}),
    });
    const served = routes(app);
    expect(served.size).toBeGreaterThan(25);
    expect([...served].sort()).toEqual([...documented(doc)].sort());
    expect(served.has('get /metrics')).toBe(metrics);
  });

  it('refers only to schemas it defines, and every schema in schemas/json compiles', async () => {
    h = await new RestHarness().start();
    const doc = (await h.call('GET', '/openapi.json')).body as { components: { schemas: Record<string, unknown> } };
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([A-Za-z]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(10);
    for (const name of refs) expect(doc.components.schemas).toHaveProperty(name!);
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    for (const schema of Object.values(BODY_SCHEMAS)) expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('describes the bodies the API really answers', async () => {
    h = await new RestHarness().start();
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    const check = (schema: string, body: unknown): void => {
      const validate = ajv.compile(BODY_SCHEMAS[schema]!);
      expect([schema, validate(body) ? 'valid' : ajv.errorsText(validate.errors)]).toEqual([schema, 'valid']);
    };
    const create = { name: 's1', config: { 'connector.class': 'CounterSourceConnector', topic: 't', 'tasks.max': 1 } };
    check('CreateConnectorRequest', create);
    check('ConnectorInfo', (await h.call('POST', '/connectors', create)).body);
    check('ConnectorConfig', (await h.call('GET', '/connectors/s1/config')).body);
    check('ConnectorStatus', (await h.call('GET', '/connectors/s1/status')).body);
    check('TaskState', (await h.call('GET', '/connectors/s1/tasks/0/status')).body);
    for (const t of (await h.call('GET', '/connectors/s1/tasks')).body as unknown[]) check('TaskInfo', t);
    check('ConnectorExpanded', (await h.call('GET', '/connectors?expand=status&expand=info')).body);
    check('ConnectorTopics', (await h.call('GET', '/connectors/s1/topics')).body);
    check('ConnectorOffsets', (await h.call('GET', '/connectors/s1/offsets')).body);
    check('ServerInfo', (await h.call('GET', '/')).body);
    check('Health', (await h.call('GET', '/health')).body);
    check('ErrorMessage', (await h.call('GET', '/connectors/nope')).body);
    for (const p of (await h.call('GET', '/connector-plugins')).body as unknown[]) check('PluginInfo', p);
    for (const k of (await h.call('GET', '/connector-plugins/CounterSource/config')).body as unknown[])
      check('ConfigKeyInfo', k);
    check(
      'ConfigInfos',
      (await h.call('PUT', '/connector-plugins/CounterSource/config/validate', { 'tasks.max': 'x' })).body,
    );
    check('LoggerLevels', (await h.call('GET', '/admin/loggers')).body);
    check('LoggerLevel', (await h.call('GET', '/admin/loggers/root')).body);
    await h.call('PUT', '/connectors/s1/stop');
    check('Message', (await h.call('DELETE', '/connectors/s1/offsets')).body);
  });
});
