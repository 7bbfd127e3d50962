import type { ErrorRequestHandler, RequestHandler } from 'express';
import { FerryError, type Logger } from '../api';
import { scrubResolved } from '../config-providers';

/** Connect's error body. */
export interface ErrorMessage {
  readonly error_code: number;
  readonly message: string;
}

const STATUS: Readonly<Record<string, number>> = {
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  CONFIG_INVALID: 400,
  BAD_REQUEST: 400,
};

/**
 * A request refused before any handler ran (authentication, Host, media type): its own status and headers, such as
 * the 401's `WWW-Authenticate`. Only the REST layer raises it, so it lives here rather than among the plugin API's codes.
 */
export class RestRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'RestRefusal';
  }
}

/** What body-parser attaches to the errors it raises. */
interface HttpError {
  readonly status?: number;
  readonly statusCode?: number;
  readonly expose?: boolean;
  readonly type?: string;
  readonly message: string;
}

/**
 * The one place errors become responses. FerryError codes map to Connect's statuses; a request the body parser
 * refused keeps its 4xx (malformed JSON is a 400, where Connect answers 500); anything else is a 500 with a
 * generic message, and logged with its stack, so internals never leak to clients.
 */
export function errorResponse(
  err: unknown,
  logger: Logger,
): { status: number; body: ErrorMessage; headers?: Readonly<Record<string, string>> } {
  if (err instanceof RestRefusal) {
    return { status: err.status, body: { error_code: err.status, message: err.message }, headers: err.headers };
  }
  if (err instanceof FerryError) {
    const status = STATUS[err.code];
    if (status !== undefined) return { status, body: { error_code: status, message: err.message } };
    if (err.code === 'TIMEOUT') return { status: 500, body: { error_code: 500, message: 'Request timed out' } };
    if (err.code === 'UNAVAILABLE') {
      logger.warn({ err }, 'request failed: a dependency is unavailable');
      return { status: 500, body: { error_code: 500, message: err.message } };
    }
  } else if (typeof err === 'object' && err !== null) {
    const h = err as HttpError;
    const status = h.status ?? h.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      let message = h.expose ? h.message : 'Bad request';
      if (h.type === 'entity.parse.failed') message = `Malformed JSON in request body: ${h.message}`;
      else if (h.type === 'entity.too.large')
        message = `Request body larger than ${(err as { limit?: number }).limit ?? 'the limit of'} bytes (rest.max.body.bytes)`;
      else if (err instanceof URIError) message = `Malformed percent-encoding in the request path: ${h.message}`;
      return { status, body: { error_code: status, message } };
    }
  }
  logger.error({ err }, 'request failed with an internal error');
  return {
    status: 500,
    body: { error_code: 500, message: 'Internal server error; the worker log has the details' },
  };
}

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const { status, body, headers } = errorResponse(err, logger);
    for (const [k, v] of Object.entries(headers ?? {})) res.setHeader(k, v);
    // Last line of defence: a message built from a resolved placeholder never reaches the client.
    res.status(status).json({ ...body, message: scrubResolved(body.message) });
  };
}

/** Unknown paths: Jersey's 404 body, in Connect's error shape. */
export const notFoundHandler: RequestHandler = (_req, res) => {
  res.status(404).json({ error_code: 404, message: 'HTTP 404 Not Found' });
};

/** A known path with a method it does not serve. */
export const methodNotAllowedHandler: RequestHandler = (_req, res) => {
  res.status(405).json({ error_code: 405, message: 'HTTP 405 Method Not Allowed' });
};
