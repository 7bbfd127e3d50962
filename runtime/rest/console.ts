import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, type Router } from 'express';
import { RestRefusal } from './errors';

/**
 * The browser console's security headers. Its scripts and styles are files of its own (no inline script or style,
 * no other origin); it reaches only this worker's API; no page may frame it (clickjacking on the action buttons).
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Where the console's files are. In a checkout, the sources under runtime/rest/console/ (so an edit shows without a
 * rebuild, from dist/ as from ts-jest); in the container image only dist/ exists and the build stage copies them
 * beside this module.
 */
export function consoleDir(): string | undefined {
  const candidates = [
    path.resolve(__dirname, '..', '..', '..', 'runtime', 'rest', 'console'),
    path.join(__dirname, 'console'),
  ];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
}

/**
 * `/ui`: the console's static files. They hold no data and no secret, so they are served without a credential (the
 * page then asks for one); every API call the page makes goes through the same authentication as curl's.
 */
export function consoleRouter(dir: string | undefined = consoleDir()): Router {
  const router = express.Router({ strict: true });
  const headers: RequestHandler = (_req, res, next) => {
    for (const [k, v] of Object.entries(CONSOLE_HEADERS)) res.setHeader(k, v);
    // The files change with the worker's version; a short cache keeps an upgraded worker's console current.
    res.setHeader('Cache-Control', 'no-cache');
    next();
  };
  router.use(headers);
  // `/ui` → `/ui/`, so the page's relative module paths resolve under /ui/.
  router.get('/', (req, res, next) => {
    if (req.originalUrl.split('?')[0] === '/ui') res.redirect(301, '/ui/');
    else next();
  });
  if (dir !== undefined) {
    router.use(express.static(dir, { index: 'index.html', dotfiles: 'deny', etag: false, redirect: false }));
  }
  // Anything else under /ui is a 404 here, before authentication: an unknown file is no API call.
  router.use((_req, _res, next) =>
    next(new RestRefusal(404, dir === undefined ? 'The console files are not installed' : 'No such console file')),
  );
  return router;
}
