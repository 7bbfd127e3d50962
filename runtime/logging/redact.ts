/** Key names whose values are never logged: anything that looks like a password, secret, token or credential. */
const SECRET_KEY =
  /(password|passwd|secret|token|user\.?info|jaas\.config|credential|private\.?key|api\.?key|access\.?key|authorization|cookie)/i;

/** `scheme://user:pass@host` in a string: the user info is dropped. */
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi;

export const REDACTED = '[hidden]';

export function isSecretLogKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of a log object with secret-looking keys masked at any depth (configs are logged whole, so a
 * fixed list of paths would miss `config["mqtt.password"]` and its kin) and credentials stripped from URLs.
 * Errors, buffers and other class instances pass through untouched for pino's serializers.
 */
export function redactSecrets(obj: Record<string, unknown>): Record<string, unknown> {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return v.includes('@') ? v.replace(URL_USERINFO, `$1${REDACTED}@`) : v;
    if (depth > 8 || typeof v !== 'object' || v === null || seen.has(v)) return v;
    if (Array.isArray(v)) {
      seen.add(v);
      return v.map((x) => walk(x, depth + 1));
    }
    if (!isPlainObject(v)) return v;
    seen.add(v);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] = isSecretLogKey(k) && x !== null && x !== undefined && x !== '' ? REDACTED : walk(x, depth + 1);
    }
    return out;
  };
  return walk(obj, 0) as Record<string, unknown>;
}
