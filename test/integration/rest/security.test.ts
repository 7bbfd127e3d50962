/**
 * REST security on real `ferry worker` processes against the real local stack: authentication (Basic with bcrypt and
 * scrypt hashes, bearer tokens), /health left open, request guards (media type, body size, Host), forwarding between
 * two authenticated workers, and the loopback default bind. HTTPS is in https.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { hashPasswordScrypt } from '../../../runtime/rest/passwords';
import { basic, bearer, call, counterConfig, json, taskRunningOn } from './security-calls';
import { freshCluster, startWorker, uniqueId, type WorkerHandle } from '../../helpers';

jest.setTimeout(300_000);

const FERRY_BIN = path.join(__dirname, '..', '..', '..', 'bin', 'ferry.js');
const OPERATOR_TOKEN = `op-${randomBytes(12).toString('hex')}`;
const INTERNAL_TOKEN = `int-${randomBytes(12).toString('hex')}`;

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
      const onB = await taskRunningOn(a, b, name, { headers: bearer(OPERATOR_TOKEN) });
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
