/**
 * REST security on real `ferry worker` processes against the real local stack: authentication (Basic with bcrypt and
 * scrypt hashes, bearer tokens), /health left open, request guards (media type, body size, Host), forwarding between
 * two authenticated workers, HTTPS with a CA generated here and required client certificates, and the loopback
 * default bind.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { hashPasswordScrypt } from '../../../runtime/rest/passwords';
import { eventually, freePort, freshCluster, startWorker, uniqueId, type WorkerHandle } from '../../helpers';

jest.setTimeout(300_000);

const FERRY_BIN = path.join(__dirname, '..', '..', '..', 'bin', 'ferry.js');
const STRING = 'org.apache.kafka.connect.storage.StringConverter';
const OPERATOR_TOKEN = `op-${randomBytes(12).toString('hex')}`;
const INTERNAL_TOKEN = `int-${randomBytes(12).toString('hex')}`;

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON bodies
  body: any;
}

interface CallOptions {
  headers?: Record<string, string>;
  body?: string;
  /** HTTPS: the CA to trust and, optionally, a client certificate. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
}

/** One request with full control of the headers (fetch cannot set Host or present a client certificate). */
function call(url: string, method: string, p: string, opts: CallOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage): void => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          /* not JSON: keep the text */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    };
    const options = { method, headers: opts.headers ?? {} };
    const req = opts.tls
      ? httpsRequest(`${url}${p}`, { ...options, ...opts.tls }, onResponse)
      : httpRequest(`${url}${p}`, options, onResponse);
    req.on('error', reject);
    req.end(opts.body);
  });
}

const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });
const basic = (user: string, password: string): Record<string, string> => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
const json = (auth: Record<string, string>): Record<string, string> => ({
  ...auth,
  'Content-Type': 'application/json',
});

function counterConfig(topic: string, tasks: number): Record<string, string> {
  return {
    'connector.class': 'CounterSource',
    'tasks.max': String(tasks),
    'counter.tasks': String(tasks),
    'counter.topic': topic,
    'counter.batch': '1',
    'counter.interval.ms': '200',
    'key.converter': STRING,
    'value.converter': STRING,
  };
}

describe('REST security on a real worker', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-rest-security-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('authentication and request guards', () => {
    let w: WorkerHandle;
    beforeAll(async () => {
      const htpasswd = path.join(dir, 'users.htpasswd');
      writeFileSync(
        htpasswd,
        [
          '# written by htpasswd -B (bcrypt, $2y$) and ferry hash-password (scrypt)',
          `alice:${bcrypt.hashSync('alice-pw-1', 5).replace(/^\$2b\$/, '$2y$')}`,
          // The command line operators use for an scrypt line (password on stdin, never in argv).
          execFileSync(process.execPath, [FERRY_BIN, 'hash-password', 'bob'], { input: 'bob-pw-2\n' })
            .toString()
            .trim(),
          `carol:${await hashPasswordScrypt('carol-pw-3', randomBytes(16), 12)}`,
        ].join('\n'),
      );
      const tokens = path.join(dir, 'tokens');
      writeFileSync(tokens, `${OPERATOR_TOKEN}\n`);
      w = await startWorker(freshCluster('rest-auth'), {
        env: {
          FERRY_REST_AUTH_BASIC_FILE: htpasswd,
          FERRY_REST_AUTH_BEARER_TOKENS_FILE: tokens,
          FERRY_REST_MAX_BODY_BYTES: '4096',
          FERRY_REST_ALLOWED_HOSTS: '127.0.0.1,localhost',
        },
      });
    });
    afterAll(() => w.stop());

    it('answers 401 with a challenge and Connect’s error body without a valid credential, and keeps /health open', async () => {
      for (const auth of [{}, basic('alice', 'wrong'), basic('mallory', 'alice-pw-1'), bearer(`${OPERATOR_TOKEN}0`)]) {
        const r = await call(w.url, 'GET', '/connectors', { headers: auth });
        expect(r.status).toBe(401);
        expect(r.headers['www-authenticate']).toBe('Basic realm="ferry", charset="UTF-8", Bearer realm="ferry"');
        expect(r.body).toEqual({ error_code: 401, message: expect.any(String) });
      }
      const create = await call(w.url, 'POST', '/connectors', {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: uniqueId('anon'), config: counterConfig(uniqueId('t'), 1) }),
      });
      expect(create.status).toBe(401);
      expect((await call(w.url, 'GET', '/health')).status).toBe(200);
    });

    it('accepts a bcrypt user, an scrypt user and a bearer token', async () => {
      for (const auth of [
        basic('alice', 'alice-pw-1'),
        basic('bob', 'bob-pw-2'),
        basic('carol', 'carol-pw-3'),
        bearer(OPERATOR_TOKEN),
      ]) {
        const r = await call(w.url, 'GET', '/connectors', { headers: auth });
        expect({ status: r.status, body: r.body as unknown }).toEqual({ status: 200, body: [] });
      }
      const name = uniqueId('authd');
      const create = await call(w.url, 'POST', '/connectors', {
        headers: json(basic('bob', 'bob-pw-2')),
        body: JSON.stringify({ name, config: counterConfig(uniqueId('t'), 1) }),
      });
      expect(create.status).toBe(201);
      const del = await call(w.url, 'DELETE', `/connectors/${name}`, { headers: bearer(OPERATOR_TOKEN) });
      expect(del.status).toBe(204);
    });

    it('answers 415 to a write body that is not application/json, and lets body-less writes through', async () => {
      const name = uniqueId('form');
      for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
        const r = await call(w.url, 'POST', '/connectors', {
          headers: { ...bearer(OPERATOR_TOKEN), 'Content-Type': type },
          body: JSON.stringify({ name, config: counterConfig(uniqueId('t'), 1) }),
        });
        expect(r.status).toBe(415);
        expect(r.body).toEqual({ error_code: 415, message: expect.stringMatching(/application\/json/) });
      }
      expect((await call(w.url, 'GET', `/connectors/${name}`, { headers: bearer(OPERATOR_TOKEN) })).status).toBe(404);
      const created = await call(w.url, 'PUT', `/connectors/${name}/config`, {
        headers: json(bearer(OPERATOR_TOKEN)),
        body: JSON.stringify(counterConfig(uniqueId('t'), 1)),
      });
      expect(created.status).toBe(201);
      const pause = await call(w.url, 'PUT', `/connectors/${name}/pause`, { headers: bearer(OPERATOR_TOKEN) });
      expect(pause.status).toBe(202);
      await call(w.url, 'DELETE', `/connectors/${name}`, { headers: bearer(OPERATOR_TOKEN) });
    });

    it('answers 413 beyond rest.max.body.bytes', async () => {
      const config = { ...counterConfig(uniqueId('t'), 1), padding: 'x'.repeat(8000) };
      const r = await call(w.url, 'POST', '/connectors', {
        headers: json(bearer(OPERATOR_TOKEN)),
        body: JSON.stringify({ name: uniqueId('big'), config }),
      });
      expect(r.status).toBe(413);
      expect(r.body).toEqual({
        error_code: 413,
        message: 'Request body larger than 4096 bytes (rest.max.body.bytes)',
      });
    });

    it('answers 421 to a Host outside rest.allowed.hosts, before asking for credentials', async () => {
      const r = await call(w.url, 'GET', '/connectors', {
        headers: { ...bearer(OPERATOR_TOKEN), Host: `rebound.example:${w.port}` },
      });
      expect(r.status).toBe(421);
      expect(r.body).toEqual({ error_code: 421, message: expect.stringMatching(/rest\.allowed\.hosts/) });
      const local = await call(w.url, 'GET', '/connectors', {
        headers: { ...bearer(OPERATOR_TOKEN), Host: 'localhost' },
      });
      expect(local.status).toBe(200);
    });

    it('never logs a password or token', () => {
      const out = w.output();
      for (const secret of ['alice-pw-1', 'bob-pw-2', 'carol-pw-3', OPERATOR_TOKEN]) expect(out).not.toContain(secret);
      expect(out).not.toMatch(/listens beyond loopback/);
    });
  });

  describe('forwarding between two workers with authentication on', () => {
    const workers: WorkerHandle[] = [];
    afterAll(async () => {
      await Promise.all(workers.map((w) => w.stop()));
    });

    it('a task restart asked of the worker that does not run the task reaches the one that does', async () => {
      const cluster = freshCluster('rest-fwd');
      const env = { FERRY_REST_AUTH_BEARER_TOKENS: OPERATOR_TOKEN, FERRY_REST_AUTH_INTERNAL_TOKEN: INTERNAL_TOKEN };
      workers.push(await startWorker(cluster, { env }));
      workers.push(await startWorker(cluster, { env }));
      const [a, b] = workers as [WorkerHandle, WorkerHandle];
      expect((await call(b.url, 'GET', '/connectors')).status).toBe(401);
      const name = uniqueId('fwd');
      const created = await call(a.url, 'POST', '/connectors', {
        headers: json(bearer(OPERATOR_TOKEN)),
        body: JSON.stringify({ name, config: counterConfig(uniqueId('t'), 2) }),
      });
      expect(created.status).toBe(201);
      const idOf = (w: WorkerHandle): string => `127.0.0.1:${w.port}`;
      // Wait until each worker runs one of the two tasks, so that one of them is elsewhere from a's point of view.
      let seen: unknown;
      const onB = await eventually(
        async () => {
          const s = await call(a.url, 'GET', `/connectors/${name}/status`, { headers: bearer(OPERATOR_TOKEN) });
          seen = s.body;
          const tasks = (s.body?.tasks ?? []) as { id: number; state: string; worker_id: string }[];
          const running = tasks.filter((t) => t.state === 'RUNNING');
          if (running.length !== 2 || new Set(running.map((t) => t.worker_id)).size !== 2) return undefined;
          return running.find((t) => t.worker_id === idOf(b));
        },
        { what: 'one task RUNNING on each worker', timeoutMs: 120_000 },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; last status: ${JSON.stringify(seen)}`);
      });
      const anonymous = await call(a.url, 'POST', `/connectors/${name}/tasks/${onB.id}/restart`);
      expect(anonymous.status).toBe(401);
      const restarted = await call(a.url, 'POST', `/connectors/${name}/tasks/${onB.id}/restart`, {
        headers: bearer(OPERATOR_TOKEN),
      });
      // Without the internal credential b would answer 401 and a would report a 409 naming b.
      expect({ status: restarted.status, body: restarted.body as unknown }).toEqual({ status: 204, body: undefined });
      for (const w of workers) expect(w.output()).not.toContain(INTERNAL_TOKEN);
      await call(a.url, 'DELETE', `/connectors/${name}`, { headers: bearer(OPERATOR_TOKEN) });
    });
  });

  describe('HTTPS with a generated CA and required client certificates', () => {
    const pki = path.join(dir, 'pki');
    const file = (n: string): string => path.join(pki, n);
    const openssl = (...args: string[]): void => {
      execFileSync('openssl', args, { stdio: 'pipe' });
    };
    let w: WorkerHandle;
    let url: string;
    const ca = (): Buffer => readFileSync(file('ca.pem'));
    const clientCert = (): { ca: Buffer; cert: Buffer; key: Buffer } => ({
      ca: ca(),
      cert: readFileSync(file('client.pem')),
      key: readFileSync(file('client.key')),
    });

    beforeAll(async () => {
      execFileSync('mkdir', ['-p', pki]);
      const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
      openssl(
        'req',
        '-x509',
        ...ec,
        '-keyout',
        file('ca.key'),
        '-out',
        file('ca.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=ferry-test-ca',
      );
      writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
      for (const [n, ext] of [
        ['server', ['-extfile', file('server.ext')]],
        ['client', []],
      ] as const) {
        openssl('req', ...ec, '-keyout', file(`${n}.key`), '-out', file(`${n}.csr`), '-subj', `/CN=ferry-test-${n}`);
        openssl(
          'x509',
          '-req',
          '-in',
          file(`${n}.csr`),
          '-CA',
          file('ca.pem'),
          '-CAkey',
          file('ca.key'),
          '-set_serial',
          n === 'server' ? '2' : '3',
          '-days',
          '1',
          '-out',
          file(`${n}.pem`),
          ...ext,
        );
      }
      const port = await freePort();
      url = `https://127.0.0.1:${port}`;
      w = await startWorker(freshCluster('rest-tls'), {
        port,
        waitHealthy: false,
        env: {
          FERRY_REST_SSL_KEY_FILE: file('server.key'),
          FERRY_REST_SSL_CERT_FILE: file('server.pem'),
          FERRY_REST_SSL_CA_FILE: file('ca.pem'),
          FERRY_REST_SSL_CLIENT_AUTHENTICATION: 'required',
        },
      });
      await eventually(async () => (await call(url, 'GET', '/health', { tls: clientCert() })).status === 200, {
        what: `the HTTPS worker healthy; its output:\n${w.output().slice(-2000)}`,
        timeoutMs: 90_000,
      });
    });
    afterAll(() => w.stop());

    it('serves the API over HTTPS to a client whose certificate chains to the CA', async () => {
      const r = await call(url, 'GET', '/connectors', { tls: clientCert() });
      expect({ status: r.status, body: r.body as unknown }).toEqual({ status: 200, body: [] });
      expect(w.output()).toMatch(/"url":"https:\/\/127\.0\.0\.1:\d+"/);
    });

    it('refuses a client without a certificate in the handshake, and plain HTTP', async () => {
      await expect(call(url, 'GET', '/connectors', { tls: { ca: ca() } })).rejects.toThrow();
      await expect(call(url, 'GET', '/health', { tls: { ca: ca() } })).rejects.toThrow();
      const plain = await call(url.replace('https:', 'http:'), 'GET', '/connectors').catch((err: Error) => err);
      // Node's TLS server drops the connection or answers 400: either way, no API over plain HTTP.
      expect(plain instanceof Error ? 'refused' : plain.status).not.toBe(200);
    });
  });

  describe('bind address', () => {
    /** A non-loopback IPv4 address of this machine, if it has one. */
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;

    it('listens on loopback only when rest.host.name is not set', async () => {
      const w = await startWorker(freshCluster('rest-bind'), { env: { FERRY_REST_HOST: undefined } });
      try {
        expect((await call(w.url, 'GET', '/connectors')).status).toBe(200);
        expect(w.output()).toMatch(/"url":"http:\/\/127\.0\.0\.1:\d+"/);
        expect(w.output()).not.toMatch(/listens beyond loopback/);
        if (external !== undefined) {
          await expect(call(`http://${external}:${w.port}`, 'GET', '/connectors')).rejects.toThrow(/ECONNREFUSED/);
        }
      } finally {
        await w.stop();
      }
    });

    it('warns at startup when it listens on every interface without authentication', async () => {
      const w = await startWorker(freshCluster('rest-open'), { env: { FERRY_REST_HOST: '0.0.0.0' } });
      try {
        expect(w.output()).toMatch(/listens beyond loopback without authentication/);
        if (external !== undefined)
          expect((await call(`http://${external}:${w.port}`, 'GET', '/connectors')).status).toBe(200);
      } finally {
        await w.stop();
      }
    });
  });
});
