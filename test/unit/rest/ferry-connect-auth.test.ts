import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { loadRestCredentials } from '../../../runtime/rest/auth';
import { RestHarness } from './harness';

const SCRIPT = resolve(__dirname, '../../../deploy/scripts/ferry-connect');
const TOKEN = 'tok-"quoted\\-0123456789';

/** Runs the script against `url` with extra environment; returns its exit code and output. */
function run(url: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((done, fail) => {
    const child = spawn('bash', [SCRIPT, ...args], { env: { ...process.env, FERRY_CONNECT_URL: url, ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out }));
    child.stdin.end(
      JSON.stringify({ name: 'a1', config: { 'connector.class': 'CounterSourceConnector', topic: 't' } }),
    );
  });
}

describe('deploy/scripts/ferry-connect against a worker that requires authentication', () => {
  let h: RestHarness;
  beforeAll(async () => {
    h = await new RestHarness().start({
      credentials: loadRestCredentials({ bearerTokens: [TOKEN] }, false),
    });
  });
  afterAll(() => h.stop());

  it('sends FERRY_CONNECT_TOKEN (quotes and backslashes intact) on reads, writes with a body and body-less writes', async () => {
    const env = { FERRY_CONNECT_TOKEN: TOKEN };
    expect(await run(h.url, ['create', '-'], env)).toMatchObject({ code: 0 });
    expect(await run(h.url, ['pause', 'a1'], env)).toMatchObject({ code: 0 });
    const list = await run(h.url, ['list'], env);
    expect([list.code, JSON.parse(list.out) as unknown]).toEqual([0, ['a1']]);
    // This app has no /metrics route: authenticated, the request gets as far as the 404.
    expect((await run(h.url, ['metrics'], env)).out).toContain('HTTP 404 Not Found');
  });

  it('fails with the 401 body without a credential', async () => {
    const r = await run(h.url, ['list'], {});
    expect(r.code).toBe(1);
    expect(r.out).toContain('failed with HTTP 401');
    expect(r.out).toContain('Authentication required');
  });
});
