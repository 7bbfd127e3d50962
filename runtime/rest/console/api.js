// The console's only way out: the worker's public REST API and /metrics, same origin, with the operator's credential.

const KEY = 'ferry.console.authorization';

/** An API error: the status and Connect's `message`. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Thrown when the worker wants a credential: the app shows the sign-in form. */
export class NeedsCredential extends ApiError {}

export function authorization() {
  return sessionStorage.getItem(KEY);
}

/** Keeps `Basic base64(user:password)` for this tab only (sessionStorage: gone when the tab closes). */
export function signIn(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  sessionStorage.setItem(KEY, `Basic ${btoa(String.fromCharCode(...bytes))}`);
}

/** A bearer token instead (rest.auth.bearer.tokens): `Bearer <token>`, kept the same way. */
export function signInWithToken(token) {
  sessionStorage.setItem(KEY, `Bearer ${token}`);
}

/** Who the kept credential names: the Basic user, or that a token is used; undefined when none is kept. */
export function signedInAs() {
  const auth = authorization();
  if (!auth) return undefined;
  if (auth.startsWith('Bearer ')) return 'a token';
  try {
    const bytes = Uint8Array.from(atob(auth.slice(6)), (c) => c.charCodeAt(0));
    return new TextDecoder().decode(bytes).split(':')[0];
  } catch {
    return 'an unreadable credential';
  }
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

/**
 * One call. `credentials: 'omit'` keeps the browser's own sign-in prompt (and its cached credentials) out of it:
 * the page sends the credential it was given, and a 401 brings up the page's own form.
 */
export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  const auth = authorization();
  if (auth) headers.Authorization = auth;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'omit',
    cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (res.status === 401) throw new NeedsCredential(401, parsed?.message ?? 'Authentication required');
  if (!res.ok) throw new ApiError(res.status, parsed?.message ?? `${method} ${path} answered ${res.status}`);
  return parsed;
}

export const get = (path) => call('GET', path);

/** Prometheus text of /metrics, or undefined when the worker serves none. */
export async function metricsText() {
  const headers = {};
  const auth = authorization();
  if (auth) headers.Authorization = auth;
  const res = await fetch('/metrics', { headers, credentials: 'omit', cache: 'no-store' });
  if (res.status === 401) throw new NeedsCredential(401, 'Authentication required');
  return res.ok ? res.text() : undefined;
}

export const enc = encodeURIComponent;
