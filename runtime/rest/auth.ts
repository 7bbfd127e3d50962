import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import type { Request, RequestHandler } from 'express';
import { ConfigError, type ConfigIssue } from '../api';
import type { RestAuthSettings } from '../config';
import { RestRefusal } from './errors';
import { parsePasswordHash, verifyPassword, type PasswordHash } from './passwords';

/** Who may call the API, loaded once at startup from the worker's rest.auth.* settings. */
export interface RestCredentials {
  readonly users: ReadonlyMap<string, PasswordHash>;
  /** SHA-256 digests of the accepted bearer tokens: equal length, so every comparison takes the same time. */
  readonly tokenDigests: readonly Buffer[];
  /** Whether a client certificate verified by the HTTPS listener (rest.ssl.client.authentication) counts. */
  readonly acceptClientCertificates: boolean;
}

const REALM = 'ferry';
/** Verified user:password pairs, as digests: bcrypt in JS costs tens of ms, too much to pay on every request. */
const VERIFIED_CACHE_SIZE = 1000;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function readSettingFile(key: string, path: string, issues: ConfigIssue[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    issues.push({ key, message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
    return undefined;
  }
}

/** Lines that are neither blank nor `#` comments, with their 1-based line numbers. */
function contentLines(text: string): [number, string][] {
  return text
    .split(/\r?\n/)
    .map((l, i): [number, string] => [i + 1, l.trim()])
    .filter(([, l]) => l !== '' && !l.startsWith('#'));
}

/** `user:hash` lines; a bad line is named by number, never quoted (it holds a hash). */
export function parseHtpasswd(text: string, key: string, issues: ConfigIssue[]): Map<string, PasswordHash> {
  const users = new Map<string, PasswordHash>();
  for (const [n, line] of contentLines(text)) {
    const colon = line.indexOf(':');
    if (colon <= 0) {
      issues.push({ key, message: `line ${n} is not user:hash` });
      continue;
    }
    const user = line.slice(0, colon);
    const hash = parsePasswordHash(line.slice(colon + 1));
    if (typeof hash === 'string') issues.push({ key, message: `line ${n} (user ${user}): ${hash}` });
    else if (users.has(user)) issues.push({ key, message: `line ${n}: user ${user} appears twice` });
    else users.set(user, hash);
  }
  return users;
}

/** Reads the files the settings name. Throws a ConfigError naming the setting; never quotes a file's content. */
export function loadRestCredentials(auth: RestAuthSettings, clientCertificates: boolean): RestCredentials {
  const issues: ConfigIssue[] = [];
  let users = new Map<string, PasswordHash>();
  if (auth.basicFile !== undefined) {
    const text = readSettingFile('rest.auth.basic.file', auth.basicFile, issues);
    if (text !== undefined) users = parseHtpasswd(text, 'rest.auth.basic.file', issues);
  }
  const tokens = [...auth.bearerTokens];
  if (auth.bearerTokensFile !== undefined) {
    const text = readSettingFile('rest.auth.bearer.tokens.file', auth.bearerTokensFile, issues);
    for (const [n, line] of contentLines(text ?? '')) {
      if (line.length < 16)
        issues.push({ key: 'rest.auth.bearer.tokens.file', message: `line ${n}: shorter than 16 characters` });
      else tokens.push(line);
    }
  }
  if (auth.internalToken !== undefined) tokens.push(auth.internalToken);
  if (issues.length > 0) throw new ConfigError(issues, 'Invalid REST authentication settings');
  return { users, tokenDigests: tokens.map(digest), acceptClientCertificates: clientCertificates };
}

function tokenMatches(creds: RestCredentials, token: string): boolean {
  const d = digest(token);
  let match = false;
  // No early exit: how long this takes says nothing about which token, or how much of one, matched.
  for (const t of creds.tokenDigests) match = timingSafeEqual(d, t) || match;
  return match;
}

/** The Authorization header's scheme and value; undefined when absent or not one we read. */
function authorization(req: Request): { scheme: 'basic' | 'bearer'; value: string } | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^(Basic|Bearer)\s+(\S+)\s*$/i.exec(h);
  if (!m) return undefined;
  return { scheme: m[1]!.toLowerCase() as 'basic' | 'bearer', value: m[2]! };
}

function challenge(creds: RestCredentials): string {
  const out: string[] = [];
  if (creds.users.size > 0) out.push(`Basic realm="${REALM}", charset="UTF-8"`);
  if (creds.tokenDigests.length > 0 || out.length === 0) out.push(`Bearer realm="${REALM}"`);
  return out.join(', ');
}

/**
 * Requires a valid credential on every request except `/health` (probes and load balancers carry none). Failures are
 * answered 401 with a challenge and Connect's error body; neither the answer nor the log says which part was wrong,
 * and nothing the client sent is logged.
 */
export function authMiddleware(creds: RestCredentials): RequestHandler {
  const verified = new Map<string, true>();
  const basicOk = async (value: string): Promise<boolean> => {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const hash = creds.users.get(user);
    if (!hash) return false;
    const key = digest(`${user}\u0000${decoded.slice(colon + 1)}`).toString('base64');
    if (verified.has(key)) return true;
    if (!(await verifyPassword(hash, decoded.slice(colon + 1)))) return false;
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(key, true);
    return true;
  };
  const refuse = (message: string): RestRefusal =>
    new RestRefusal(401, message, { 'WWW-Authenticate': challenge(creds) });

  return (req, _res, next) => {
    if (req.path === '/health') return next();
    if (creds.acceptClientCertificates && (req.socket as Partial<TLSSocket>).authorized === true) return next();
    const auth = authorization(req);
    if (!auth) return next(refuse('Authentication required'));
    const ok = auth.scheme === 'bearer' ? Promise.resolve(tokenMatches(creds, auth.value)) : basicOk(auth.value);
    ok.then(
      (good) => next(good ? undefined : refuse('Invalid credentials')),
      (err: unknown) => next(err),
    );
  };
}
