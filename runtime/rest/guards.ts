import type { RequestHandler } from 'express';
import { RestRefusal } from './errors';

/**
 * Host header allow-list (rest.allowed.hosts). A browser page can make a loopback-bound API answer to its own domain
 * through DNS rebinding; the Host header it sends still names that domain, so naming the accepted hosts closes the
 * gap. An entry matches the host alone or host:port. `/health` is exempt: probes address the pod's IP.
 */
export function hostAllowList(allowed: readonly string[]): RequestHandler {
  const set = new Set(allowed.map((h) => h.toLowerCase()));
  return (req, _res, next) => {
    if (set.size === 0 || req.path === '/health') return next();
    const host = (req.headers.host ?? '').trim().toLowerCase();
    // [v6]:port, name:port or a bare name: the port is whatever follows the last colon outside brackets.
    const m = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(host);
    const name = m?.[1] ?? host;
    if (host !== '' && (set.has(host) || set.has(name))) return next();
    next(new RestRefusal(421, `Host ${JSON.stringify(host.slice(0, 100))} is not in rest.allowed.hosts`));
  };
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Whether the request carries a body at all: POST .../restart and PUT .../pause usually don't. */
function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  if (length !== undefined) return length !== '0';
  return headers['transfer-encoding'] !== undefined;
}

/**
 * Write requests with a body must say it is JSON. A page in a browser can send a "simple" cross-origin POST with
 * text/plain or a form type and no preflight; refusing anything but application/json stops that kind of request
 * before it is parsed. A body-less write (restart, pause) needs no Content-Type.
 */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  if (!BODY_METHODS.has(req.method) || !hasBody(req.headers)) return next();
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return next();
  next(
    new RestRefusal(
      415,
      type === ''
        ? 'Request body needs Content-Type: application/json'
        : `Unsupported Content-Type ${JSON.stringify(type.slice(0, 100))}: the API accepts application/json`,
    ),
  );
};
