import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadRestCredentials } from '../../../runtime/rest/auth';
import { CONSOLE_HEADERS, consoleDir } from '../../../runtime/rest/console';
import { RestHarness } from './harness';

const TOKEN = 'console-unit-token-0123456789';

describe('the console at /ui', () => {
  it('has its files in the checkout, and none of them uses inline script, eval or another origin', () => {
    const dir = consoleDir();
    expect(dir).toBeDefined();
    const files = [
      ...readdirSync(dir!),
      ...readdirSync(path.join(dir!, 'pages')).map((f) => path.join('pages', f)),
    ].filter((f) => /\.(js|html|css)$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['index.html', 'app.js', 'style.css', path.join('pages', 'form.js')]));
    for (const f of files) {
      const text = readFileSync(path.join(dir!, f), 'utf8');
      expect([
        f,
        /\binnerHTML\b|\beval\(|new Function\(|https?:\/\/(?!www\.w3\.org\/2000\/svg)/.exec(text)?.[0],
      ]).toEqual([f, undefined]);
    }
    expect(readFileSync(path.join(dir!, 'index.html'), 'utf8')).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|style=/);
  });

  describe('with authentication on', () => {
    let h: RestHarness;
    beforeAll(async () => {
      const credentials = loadRestCredentials({ bearerTokens: [TOKEN] }, false);
      h = await new RestHarness().start({ credentials });
    });
    afterAll(() => h.stop());

    it('serves the page and its modules without a credential, with the security headers', async () => {
      for (const p of ['/ui/', '/ui/app.js', '/ui/pages/form.js', '/ui/style.css']) {
        const r = await h.call('GET', p);
        expect([p, r.status]).toEqual([p, 200]);
        for (const [k, v] of Object.entries(CONSOLE_HEADERS)) expect([p, k, r.headers.get(k)]).toEqual([p, k, v]);
      }
      expect((await h.call('GET', '/ui/app.js')).headers.get('content-type')).toMatch(/^text\/javascript/);
      expect((await h.call('GET', '/ui/')).headers.get('content-type')).toMatch(/^text\/html/);
      const csp = CONSOLE_HEADERS['Content-Security-Policy']!;
      expect(csp).toMatch(/script-src 'self';/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(csp).not.toMatch(/unsafe/);
    });

    it('still asks a credential of every API call and of paths that only look like /ui', async () => {
      for (const p of ['/', '/connectors', '/openapi.json', '/uix', '/ui-not/app.js']) {
        expect([p, (await h.call('GET', p)).status]).toEqual([p, 401]);
      }
    });

    it('answers 404 for unknown files and paths outside its folder, and redirects /ui to /ui/', async () => {
      for (const p of ['/ui/nope.js', '/ui/..%2fapp.ts', '/ui/..%2f..%2fconsole.ts', '/ui/.hidden']) {
        const r = await h.call('GET', p);
        expect([p, r.status]).toEqual([p, 404]);
        expect(r.body).toEqual({ error_code: 404, message: expect.any(String) });
      }
      const r = await fetch(`${h.url}/ui`, { redirect: 'manual' });
      expect(r.status).toBe(301);
      expect(r.headers.get('location')).toBe('/ui/');
    });
  });
});
