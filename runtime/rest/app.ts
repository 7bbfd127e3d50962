import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import { FerryError, type Logger } from '../api';
import type { ConnectorInfo, ConnectorStatus, Herder } from '../herder/types';
import { parseConnectLevel, type LoggerRegistry } from '../logging';
import {
  badRequest,
  createRequest,
  namedConfig,
  namedPatch,
  objectBody,
  offsetsBody,
  queryFlag,
  queryList,
  rawConfig,
} from './bodies';
import { authMiddleware, type RestCredentials } from './auth';
import { consoleRouter } from './console';
import { errorMiddleware, methodNotAllowedHandler, notFoundHandler } from './errors';
import { hostAllowList, requireJsonBody } from './guards';
import { openApiDocument } from './openapi';

export interface RestDeps {
  readonly loggers: LoggerRegistry;
  readonly logger: Logger;
  /** Called once per answered request (metrics): the route pattern, not the path. */
  readonly observeRequest?: (method: string, route: string, status: number, seconds: number) => void;
  /** Prometheus text for `GET /metrics`; the route exists only when given. */
  readonly metrics?: () => Promise<string>;
  /** Applies a level on every worker (`PUT /admin/loggers/{l}?scope=cluster`); without it the change is local. */
  readonly setClusterLogLevel?: (logger: string, level: string) => Promise<void>;
  /** Connect answers 500 "Request timed out" after 90 s; tests shorten it. */
  readonly requestTimeoutMs?: number;
  /** `/health` gives up sooner, as Connect's does (10 s). */
  readonly healthTimeoutMs?: number;
  /** When given, every endpoint but `/health` requires one of these credentials. */
  readonly credentials?: RestCredentials;
  /** Accepted Host header values (rest.allowed.hosts); empty or absent accepts any. */
  readonly allowedHosts?: readonly string[];
  /** Largest request body (rest.max.body.bytes). */
  readonly maxBodyBytes?: number;
}

/** What a handler answers; the wrapper writes it unless the request already timed out. */
interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly text?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

type Handler = (req: Request) => Promise<Reply> | Reply;

const REQUEST_TIMEOUT_MS = 90_000;
const HEALTH_TIMEOUT_MS = 10_000;
const MAX_BODY_BYTES = 1024 * 1024;
const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FerryError('TIMEOUT', 'Request timed out')), timeoutMs);
    timer.unref();
  });
  // The herder call keeps running after a timeout; its late failure must not become an unhandled rejection.
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function param(req: Request, name: string): string {
  const v = (req.params as Record<string, string | undefined>)[name];
  if (v === undefined) throw new FerryError('INTERNAL', `route has no :${name} parameter`);
  return v;
}

/** Task ids are non-negative integers; anything else names no task (Connect's router answers 404 too). */
function taskParam(req: Request): number {
  const raw = param(req, 'task');
  const id = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(id))
    throw new FerryError('NOT_FOUND', `Task id ${raw} is not a valid task id (an integer ≥ 0)`);
  return id;
}

/** The parsed body, or undefined when none was sent (the JSON parser turns an empty body into {}). */
function bodyOf(req: Request): unknown {
  return req.headers['content-length'] === '0' ? undefined : req.body;
}

const HEALTH_STATUS: Readonly<Record<string, number>> = { healthy: 200, starting: 503, unhealthy: 500 };

/**
 * The Kafka Connect–compatible REST API over a Herder. Handlers validate the request shape and throw; one error
 * middleware turns every failure into Connect's `{"error_code","message"}`. The app is not listening yet: see
 * startRestServer.
 */
export function createRestApp(herder: Herder, deps: RestDeps): Express {
  const app = express();
  const requestTimeoutMs = deps.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - start) / 1e6;
      // Method, path and status only: bodies carry connector configs, which can hold secrets.
      deps.logger.debug(
        { method: req.method, path: req.originalUrl, status: res.statusCode, durationMs },
        'REST request',
      );
      // The route pattern, not the path: one series per endpoint, not per connector name.
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      deps.observeRequest?.(req.method, route, res.statusCode, durationMs / 1000);
    });
    next();
  });
  // Cheapest refusals first: nothing from an unknown Host or an unauthenticated client is parsed.
  app.use(hostAllowList(deps.allowedHosts ?? []));
  // The console's files are public (the page asks for a credential and sends it with every API call it makes).
  app.use('/ui', consoleRouter());
  if (deps.credentials) app.use(authMiddleware(deps.credentials));
  app.use(requireJsonBody);
  // requireJsonBody has checked the type of every write body; `strict: false` lets us name a wrong top-level type.
  app.use(express.json({ type: () => true, strict: false, limit: deps.maxBodyBytes ?? MAX_BODY_BYTES }));

  const paths = new Set<string>();
  const on = (
    method: 'get' | 'post' | 'put' | 'patch' | 'delete',
    path: string,
    handler: Handler,
    timeoutMs = requestTimeoutMs,
  ): void => {
    paths.add(path);
    const h: RequestHandler = async (req: Request, res: Response) => {
      const reply = await withTimeout(
        Promise.resolve().then(() => handler(req)),
        timeoutMs,
      );
      for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
      if (reply.text !== undefined)
        res
          .status(reply.status)
          .type(reply.contentType ?? 'text/plain')
          .send(reply.text);
      else if (reply.body !== undefined) res.status(reply.status).json(reply.body);
      else res.status(reply.status).end();
    };
    app[method](path, h);
  };
  const ok = (body: unknown, status = 200): Reply => ({ status, body });
  const empty = (status: number): Reply => ({ status });
  const location = (req: Request, name: string): Record<string, string> => ({
    Location: `${req.protocol}://${req.get('host') ?? 'localhost'}/connectors/${encodeURIComponent(name)}`,
  });

  // ---- worker
  on('get', '/', () => ok(herder.serverInfo()));
  on(
    'get',
    '/health',
    () => {
      const h = herder.health();
      return ok(h, HEALTH_STATUS[h.status] ?? 500);
    },
    deps.healthTimeoutMs ?? HEALTH_TIMEOUT_MS,
  );

  // ---- connectors
  on('get', '/connectors', async (req) => {
    const names = await herder.connectors();
    const expand = queryList(req.query.expand);
    if (expand.length === 0) return ok(names);
    const out: Record<string, { status?: ConnectorStatus; info?: ConnectorInfo }> = {};
    for (const name of names) {
      try {
        const entry: { status?: ConnectorStatus; info?: ConnectorInfo } = {};
        if (expand.includes('status')) entry.status = await herder.connectorStatus(name);
        if (expand.includes('info')) entry.info = await herder.connectorInfo(name);
        out[name] = entry;
      } catch (err) {
        // Deleted between the list and the lookup: leave it out, as Connect does.
        if (!(err instanceof FerryError && err.code === 'NOT_FOUND')) throw err;
      }
    }
    return ok(out);
  });
  on('post', '/connectors', async (req) => {
    const r = createRequest(bodyOf(req));
    const info = await herder.createConnector(r.name, r.config, r.initialState);
    return { status: 201, body: info, headers: location(req, info.name) };
  });
  on('get', '/connectors/:connector', (req) => herder.connectorInfo(param(req, 'connector')).then((i) => ok(i)));
  on('delete', '/connectors/:connector', async (req) => {
    await herder.deleteConnector(param(req, 'connector'));
    return empty(204);
  });
  on('get', '/connectors/:connector/config', (req) =>
    herder.connectorConfig(param(req, 'connector')).then((c) => ok(c)),
  );
  on('put', '/connectors/:connector/config', async (req) => {
    const name = param(req, 'connector');
    const { created, info } = await herder.putConnectorConfig(name, namedConfig(bodyOf(req), name));
    return created ? { status: 201, body: info, headers: location(req, name) } : ok(info);
  });
  on('patch', '/connectors/:connector/config', async (req) => {
    const name = param(req, 'connector');
    return ok(await herder.patchConnectorConfig(name, namedPatch(bodyOf(req), name)));
  });
  on('get', '/connectors/:connector/status', (req) =>
    herder.connectorStatus(param(req, 'connector')).then((s) => ok(s)),
  );
  on('post', '/connectors/:connector/restart', async (req) => {
    const includeTasks = queryFlag(req.query.includeTasks, 'includeTasks', false);
    const onlyFailed = queryFlag(req.query.onlyFailed, 'onlyFailed', false);
    const status = await herder.restartConnector(param(req, 'connector'), { includeTasks, onlyFailed });
    return status === undefined ? empty(204) : ok(status, 202);
  });
  on('put', '/connectors/:connector/pause', async (req) => {
    await herder.pauseConnector(param(req, 'connector'));
    return empty(202);
  });
  on('put', '/connectors/:connector/resume', async (req) => {
    await herder.resumeConnector(param(req, 'connector'));
    return empty(202);
  });
  on('put', '/connectors/:connector/stop', async (req) => {
    await herder.stopConnector(param(req, 'connector'));
    return empty(204);
  });
  on('get', '/connectors/:connector/tasks', (req) => herder.taskConfigs(param(req, 'connector')).then((t) => ok(t)));
  on('get', '/connectors/:connector/tasks/:task/status', async (req) => {
    const task = taskParam(req);
    return ok(await herder.taskStatus(param(req, 'connector'), task));
  });
  on('post', '/connectors/:connector/tasks/:task/restart', async (req) => {
    const task = taskParam(req);
    await herder.restartTask(param(req, 'connector'), task);
    return empty(204);
  });
  on('get', '/connectors/:connector/topics', async (req) => {
    const name = param(req, 'connector');
    return ok({ [name]: { topics: await herder.connectorTopics(name) } });
  });
  on('put', '/connectors/:connector/topics/reset', async (req) => {
    await herder.resetConnectorTopics(param(req, 'connector'));
    return empty(202);
  });
  on('get', '/connectors/:connector/offsets', (req) =>
    herder.connectorOffsets(param(req, 'connector')).then((o) => ok(o)),
  );
  on('patch', '/connectors/:connector/offsets', async (req) => {
    const offsets = offsetsBody(bodyOf(req));
    await herder.alterConnectorOffsets(param(req, 'connector'), offsets);
    return ok({ message: 'The offsets for this connector have been altered successfully' });
  });
  on('delete', '/connectors/:connector/offsets', async (req) => {
    await herder.resetConnectorOffsets(param(req, 'connector'));
    return ok({ message: 'The offsets for this connector have been reset successfully' });
  });

  // ---- plugins
  on('get', '/connector-plugins', (req) =>
    ok(herder.plugins(queryFlag(req.query.connectorsOnly, 'connectorsOnly', true))),
  );
  on('get', '/connector-plugins/:plugin/config', (req) => ok(herder.pluginConfig(param(req, 'plugin'))));
  on('put', '/connector-plugins/:plugin/config/validate', async (req) => {
    const plugin = param(req, 'plugin');
    const config = rawConfig(objectBody(bodyOf(req), 'a connector configuration'), undefined);
    const included = config['connector.class'];
    // Connect's rule: a class in the body must name the same plugin as the path (modulo package and "Connector").
    const norm = (n: string): string => (n.endsWith('Connector') && n.length > 9 ? n.slice(0, -9) : n);
    if (included !== undefined && !norm(included).endsWith(norm(plugin))) {
      throw badRequest(`Included connector type ${included} does not match request type ${plugin}`);
    }
    return ok(await herder.validateConfig(plugin, { ...config, 'connector.class': plugin }));
  });

  // ---- loggers
  on('get', '/admin/loggers', () => ok(deps.loggers.levels()));
  on('get', '/admin/loggers/:logger', (req) => {
    const name = param(req, 'logger');
    const level = deps.loggers.level(name);
    if (level === undefined) throw new FerryError('NOT_FOUND', `Logger ${name} not found.`);
    return ok(level);
  });
  on('put', '/admin/loggers/:logger', async (req) => {
    const name = param(req, 'logger');
    const body = objectBody(bodyOf(req), 'a level request {"level": "DEBUG"}');
    if (body.level === undefined || body.level === null) {
      throw badRequest("Desired 'level' parameter was not specified in request.");
    }
    const level = parseConnectLevel(body.level);
    const scope = (queryList(req.query.scope)[0] ?? 'worker').toLowerCase();
    if (scope === 'cluster') {
      if (deps.setClusterLogLevel) await deps.setClusterLogLevel(name, level);
      else deps.loggers.setLevel(name, level);
      return empty(204);
    }
    return ok(deps.loggers.setLevel(name, level));
  });

  // ---- metrics and the API's own description
  const metrics = deps.metrics;
  if (metrics)
    on('get', '/metrics', async () => ({ status: 200, text: await metrics(), contentType: METRICS_CONTENT_TYPE }));
  on('get', '/openapi.json', () =>
    ok(openApiDocument({ metrics: metrics !== undefined, version: herder.serverInfo().version })),
  );

  // A known path asked with a method it does not serve: 405 rather than a misleading 404.
  const known = [...paths].map((p) => new RegExp(`^${p.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`));
  app.use((req, res, next) => {
    if (known.some((re) => re.test(req.path))) methodNotAllowedHandler(req, res, next);
    else next();
  });
  app.use(notFoundHandler);
  app.use(errorMiddleware(deps.logger));
  return app;
}
