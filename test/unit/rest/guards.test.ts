import { request } from 'node:http';
import { RestHarness } from './harness';

/** A raw request: fetch cannot set the Host header or leave Content-Type out of a body. */
function raw(
  url: string,
  method: string,
  p: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${p}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const CREATE = JSON.stringify({ name: 'g1', config: { 'connector.class': 'CounterSourceConnector', topic: 't' } });

describe('REST request guards', () => {
  describe('media type', () => {
    let h: RestHarness;
    beforeAll(async () => {
      h = await new RestHarness().start();
    });
    afterAll(() => h.stop());

    it.each([
      ['text/plain', 'Unsupported Content-Type "text/plain": the API accepts application/json'],
      ['application/x-www-form-urlencoded', expect.stringMatching(/^Unsupported Content-Type/)],
      ['', 'Request body needs Content-Type: application/json'],
    ])('answers 415 to a write body sent as %j, and stores nothing', async (type, message) => {
      const headers: Record<string, string> = type === '' ? {} : { 'Content-Type': type };
      for (const [method, p] of [
        ['POST', '/connectors'],
        ['PUT', '/connectors/g1/config'],
        ['PATCH', '/connectors/g1/config'],
      ] as const) {
        const r = await raw(h.url, method, p, headers, CREATE);
        expect(r).toEqual({ status: 415, body: { error_code: 415, message } });
      }
      expect(h.herder.entries.size).toBe(0);
    });

    it('accepts application/json with a charset, and body-less writes without a Content-Type', async () => {
      const r = await raw(h.url, 'POST', '/connectors', { 'Content-Type': 'application/json; charset=utf-8' }, CREATE);
      expect(r.status).toBe(201);
      expect((await raw(h.url, 'PUT', '/connectors/g1/pause', {})).status).toBe(202);
      expect((await raw(h.url, 'POST', '/connectors/g1/restart', {})).status).toBe(204);
      expect((await raw(h.url, 'PUT', '/connectors/g1/resume', { 'Content-Length': '0' })).status).toBe(202);
    });
  });

  it('answers 413 beyond the body limit', async () => {
    const h = await new RestHarness().start({ maxBodyBytes: 2048 });
    try {
      const big = JSON.stringify({
        name: 'big',
        config: { 'connector.class': 'CounterSourceConnector', topic: 't', x: 'y'.repeat(4000) },
      });
      const r = await raw(h.url, 'POST', '/connectors', { 'Content-Type': 'application/json' }, big);
      expect(r).toEqual({
        status: 413,
        body: { error_code: 413, message: 'Request body larger than 2048 bytes (rest.max.body.bytes)' },
      });
      expect((await raw(h.url, 'POST', '/connectors', { 'Content-Type': 'application/json' }, CREATE)).status).toBe(
        201,
      );
    } finally {
      await h.stop();
    }
  });

  it('answers 421 to a Host outside rest.allowed.hosts, except on /health', async () => {
    const h = await new RestHarness().start({ allowedHosts: ['localhost', '127.0.0.1:8083'] });
    try {
      const evil = await raw(h.url, 'GET', '/connectors', { Host: 'attacker.example:8083' });
      expect(evil).toEqual({
        status: 421,
        body: { error_code: 421, message: 'Host "attacker.example:8083" is not in rest.allowed.hosts' },
      });
      expect((await raw(h.url, 'GET', '/connectors', { Host: '127.0.0.1:9999' })).status).toBe(421);
      expect((await raw(h.url, 'GET', '/connectors', { Host: 'LOCALHOST:1234' })).status).toBe(200);
      expect((await raw(h.url, 'GET', '/connectors', { Host: '127.0.0.1:8083' })).status).toBe(200);
      expect((await raw(h.url, 'GET', '/health', { Host: 'attacker.example' })).status).toBe(200);
    } finally {
      await h.stop();
    }
  });
});
