import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { ConfigError, type ConfigIssue } from '../../../runtime/api';
import { loadRestCredentials, parseHtpasswd } from '../../../runtime/rest/auth';
import { hashPasswordScrypt, parsePasswordHash, verifyPassword } from '../../../runtime/rest/passwords';
import { RestHarness } from './harness';

const TOKEN = 'tok-0123456789abcdef';
const INTERNAL = 'internal-0123456789abcdef';

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function get(url: string, p: string, authorization?: string): Promise<Response> {
  return fetch(url + p, authorization === undefined ? {} : { headers: { Authorization: authorization } });
}

describe('password hashes', () => {
  it('checks bcrypt ($2y$ as written by htpasswd -B, and $2b$) and scrypt hashes', async () => {
    const b = bcrypt.hashSync('s3cret', 4);
    for (const text of [b, b.replace(/^\$2b\$/, '$2y$')]) {
      const h = parsePasswordHash(text);
      if (typeof h === 'string') throw new Error(h);
      expect(await verifyPassword(h, 's3cret')).toBe(true);
      expect(await verifyPassword(h, 's3cret!')).toBe(false);
    }
    const s = parsePasswordHash(await hashPasswordScrypt('pässword', randomBytes(16), 10));
    if (typeof s === 'string') throw new Error(s);
    expect(await verifyPassword(s, 'pässword')).toBe(true);
    expect(await verifyPassword(s, 'password')).toBe(false);
  });

  it('refuses weak or unknown formats, naming the line and never quoting the hash', () => {
    const issues: ConfigIssue[] = [];
    const users = parseHtpasswd(
      ['# comment', '', 'a:$apr1$abcdefgh$0123456789abcdefghijkl', 'b:plainpassword', 'nocolon'].join('\n'),
      'rest.auth.basic.file',
      issues,
    );
    expect(users.size).toBe(0);
    expect(issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/^line 3 \(user a\): MD5 and SHA-1/),
      'line 4 (user b): not a bcrypt ($2y$/$2b$) or scrypt ($scrypt$) hash',
      'line 5 is not user:hash',
    ]);
    expect(JSON.stringify(issues)).not.toContain('plainpassword');
  });

  it('names the setting of a file it cannot read', () => {
    expect(() => loadRestCredentials({ basicFile: '/nonexistent/ferry-htpasswd', bearerTokens: [] }, false)).toThrow(
      ConfigError,
    );
    try {
      loadRestCredentials({ bearerTokensFile: '/nonexistent/tokens', bearerTokens: [] }, false);
    } catch (err) {
      expect((err as ConfigError).issues).toEqual([
        { key: 'rest.auth.bearer.tokens.file', message: 'cannot read /nonexistent/tokens: ENOENT' },
      ]);
    }
  });
});

describe('REST authentication', () => {
  let h: RestHarness;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-auth-'));
    const htpasswd = path.join(dir, 'htpasswd');
    writeFileSync(
      htpasswd,
      [
        `alice:${bcrypt.hashSync('alice-pw', 4).replace(/^\$2b\$/, '$2y$')}`,
        `bob:${await hashPasswordScrypt('bob-pw', randomBytes(16), 10)}`,
      ].join('\n'),
    );
    const tokens = path.join(dir, 'tokens');
    writeFileSync(tokens, `# operators\n${TOKEN}\n`);
    const credentials = loadRestCredentials(
      { basicFile: htpasswd, bearerTokensFile: tokens, bearerTokens: [], internalToken: INTERNAL },
      false,
    );
    h = await new RestHarness().start({ credentials });
  });
  afterAll(() => h.stop());

  it('answers 401 with a challenge and Connect’s error body without credentials', async () => {
    for (const p of ['/', '/connectors', '/connector-plugins', '/admin/loggers', '/openapi.json', '/nope']) {
      const res = await get(h.url, p);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="ferry", charset="UTF-8", Bearer realm="ferry"');
      expect(await res.json()).toEqual({ error_code: 401, message: 'Authentication required' });
    }
    const post = await fetch(`${h.url}/connectors`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"name":"x","config":{}}',
    });
    expect(post.status).toBe(401);
    expect(h.herder.entries.size).toBe(0);
  });

  it('keeps /health open', async () => {
    expect((await get(h.url, '/health')).status).toBe(200);
  });

  it('accepts bcrypt and scrypt Basic users, file and internal bearer tokens', async () => {
    for (const a of [basic('alice', 'alice-pw'), basic('bob', 'bob-pw'), `Bearer ${TOKEN}`, `bearer ${INTERNAL}`]) {
      const res = await get(h.url, '/connectors', a);
      expect(res.status).toBe(200);
      // Twice: the second check of the same Basic pair comes from the verified cache.
      expect((await get(h.url, '/connectors', a)).status).toBe(200);
    }
  });

  it('refuses wrong passwords, unknown users, wrong tokens and other schemes alike', async () => {
    for (const a of [
      basic('alice', 'bob-pw'),
      basic('carol', 'alice-pw'),
      basic('alice', ''),
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      'Digest username="alice"',
      'Basic',
    ]) {
      const res = await get(h.url, '/connectors', a);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error_code: 401 });
    }
  });

  it('never logs a credential', () => {
    const log = h.logText.join('');
    for (const secret of ['alice-pw', 'bob-pw', TOKEN, INTERNAL, Buffer.from('alice:alice-pw').toString('base64')])
      expect(log).not.toContain(secret);
  });
});
