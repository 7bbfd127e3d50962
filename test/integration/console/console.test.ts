/**
 * The web console at /ui in Debian's headless chromium, against a real `ferry worker` with real Kafka, registry and
 * Mosquitto: connectors made from the generated form, counters moving with MQTT traffic, the actions with their
 * confirmations, a failed task's trace, and the sign-in form when authentication is on.
 *
 * FERRY_CONSOLE_SCREENSHOTS=<dir> also saves a PNG of each page there (docs/console/ holds the published ones).
 */
import mqtt from 'mqtt';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { hashPasswordScrypt } from '../../../runtime/rest/passwords';
import { launchBrowser, type Browser } from '../../helpers/browser';
import {
  createTopic,
  eventually,
  freshCluster,
  rest,
  stackEnv,
  startFreshWorker,
  startWorker,
  uniqueId,
  type WorkerHandle,
} from '../../helpers';

jest.setTimeout(300_000);

const SHOTS = process.env.FERRY_CONSOLE_SCREENSHOTS;

async function snap(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** The id the form gives a config key's input (runtime/rest/console/pages/form.js). */
const field = (key: string): string => `#field-${key.replace(/[^A-Za-z0-9_-]/g, '_')}`;

const text = async (page: Page, selector: string): Promise<string> =>
  (
    (await page
      .locator(selector)
      .first()
      .textContent({ timeout: 5000 })
      .catch(() => '')) ?? ''
  ).trim();

const count = async (page: Page, selector: string): Promise<number> =>
  Number((await text(page, selector)).replace(/,/g, '')) || 0;

async function waitText(page: Page, selector: string, want: string | RegExp, what: string): Promise<void> {
  await eventually(
    async () => {
      const t = await text(page, selector);
      return typeof want === 'string' ? t === want : want.test(t);
    },
    { what, timeoutMs: 90_000, intervalMs: 250 },
  );
}

/** Chooses a plugin on the New connector page and fills its form; `extra` goes to the free key=value box. */
async function fillForm(page: Page, plugin: string, values: Record<string, string>, extra = ''): Promise<void> {
  await page.goto(`${new URL(page.url()).origin}/ui/#/new`);
  await page.selectOption('#plugin', plugin);
  await page.locator('#connector-form').waitFor();
  for (const [k, v] of Object.entries(values)) {
    const el = page.locator(field(k));
    if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(v);
    else await el.fill(v);
  }
  if (extra) await page.fill('#field-extra', extra);
}

/** The write calls the pages made (method, path, status), for a failure's message. */
const writes: string[] = [];
function recordWrites(page: Page): void {
  page.on('response', (r) => {
    const m = r.request().method();
    if (m !== 'GET') writes.push(`${m} ${new URL(r.url()).pathname} ${r.status()}`);
  });
}

/** Waits for the page to reach a URL; a timeout says what the page showed and which writes it made. */
async function landOn(page: Page, url: RegExp): Promise<void> {
  await page.waitForURL(url).catch(async (err: Error) => {
    const said = await text(page, '#notice');
    throw new Error(`${err.message}\nat ${page.url()}, the page said: ${said}; writes: ${writes.slice(-6).join(', ')}`);
  });
}

async function confirm(page: Page, action: string): Promise<void> {
  await page.click(`#action-${action}`);
  await page.locator('#confirm[open]').waitFor();
  await page.click('#confirm-ok');
}

describe('web console at /ui', () => {
  const { kafka, mqtt: mqttUrl } = stackEnv();
  let w: WorkerHandle;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
    ({ w } = await startFreshWorker('console'));
    page = await browser.context.newPage();
    recordWrites(page);
  });
  afterAll(async () => {
    await browser?.close();
    await w?.stop();
  });

  it('serves its files without inline script, with CSP and no-sniff, and redirects /ui to /ui/', async () => {
    const index = await fetch(`${w.url}/ui/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toMatch(/script-src 'self';/);
    expect(index.headers.get('content-security-policy')).not.toMatch(/unsafe-inline/);
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await index.text();
    expect(html).toMatch(/<script type="module" src="app.js"><\/script>/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const bare = await fetch(`${w.url}/ui`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/ui/');
    expect((await fetch(`${w.url}/ui/../package.json`)).status).toBe(404);
  });

  it('creates a source and a sink from the form, shows counters moving, pauses, resumes and deletes', async () => {
    const root = uniqueId('console').replace(/[^a-zA-Z0-9-]/g, '-');
    const topic = `${root}.data`;
    await createTopic(kafka, topic);
    const source = `${root}-src`;
    const sink = `${root}-sink`;
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${w.url}/ui/`);
    await page.locator('h1', { hasText: 'Connectors' }).waitFor();

    // An empty required field is reported next to it, from the plugin's own validation.
    await fillForm(page, 'MqttSourceConnector', { name: source });
    await page.click('#form-submit');
    await waitText(page, `${field('mqtt.server.uri')}-error`, /Missing required configuration/, 'the inline error');
    expect(await page.locator(field('mqtt.server.uri')).getAttribute('aria-invalid')).toBe('true');
    await snap(page, 'form-errors');

    await page.fill(field('mqtt.server.uri'), mqttUrl);
    await page.fill(field('mqtt.topics'), `${root}/#`);
    await page.fill(field('kafka.topic'), topic);
    await page.click('#form-submit');
    await landOn(page, new RegExp(`#/connectors/${source}$`));
    await waitText(page, 'h1 .state', 'RUNNING', 'the source RUNNING');
    await waitText(page, '#tasks tr[data-task="0"] .state', 'RUNNING', 'the source task RUNNING');

    await fillForm(page, 'MqttSinkConnector', {
      name: sink,
      topics: topic,
      'mqtt.server.uri': mqttUrl,
      'mqtt.topic': `${root}-out/copy`,
    });
    await page.click('#form-submit');
    await landOn(page, new RegExp(`#/connectors/${sink}$`));
    await waitText(page, '#tasks tr[data-task="0"] .state', 'RUNNING', 'the sink task RUNNING');

    // Traffic: the list's counters move (the source subscribes after RUNNING, so publish until the first one counts).
    await page.click('header a[href="#/connectors"]');
    const row = (name: string, cell: string): string => `tr[data-connector="${name}"] td.${cell}`;
    const pub = await mqtt.connectAsync(mqttUrl, { clientId: uniqueId('console-pub') });
    try {
      await eventually(
        async () => {
          await pub.publishAsync(`${root}/warm`, '{"warm":true}', { qos: 1 });
          return (await count(page, row(source, 'in-total'))) > 0;
        },
        { what: 'the source counting its first message', timeoutMs: 90_000, intervalMs: 1000 },
      );
      const before = await count(page, row(source, 'in-total'));
      for (let i = 0; i < 20; i++) await pub.publishAsync(`${root}/t${i % 3}`, JSON.stringify({ i }), { qos: 1 });
      await eventually(async () => (await count(page, row(source, 'in-total'))) >= before + 20, {
        what: 'the source in-count up by 20',
        timeoutMs: 60_000,
      });
      await eventually(async () => (await count(page, row(source, 'out-total'))) >= before + 20, {
        what: 'the source written-count up by 20',
        timeoutMs: 60_000,
      });
      await eventually(async () => (await count(page, row(sink, 'out-total'))) >= before + 20, {
        what: 'the sink published-count up by 20',
        timeoutMs: 60_000,
      });
      await snap(page, 'connectors');

      await page.click(`#link-${source}`);
      await waitText(page, '#fig-in .value', /^[1-9]/, 'the detail page counts');
      // Offsets are read when the page opens and every 30 s; the button reads them now.
      await eventually(
        async () => {
          await page.click('#refresh-offsets');
          return (await text(page, '#offsets')).includes(`"mqtt.filter":"${root}/#"`);
        },
        { what: "the source's offsets on its page", timeoutMs: 60_000, intervalMs: 1000 },
      );
      await snap(page, 'connector-detail');
      await page.goto(`${w.url}/ui/#/connectors/${sink}`);
      await waitText(page, '#fig-lag .value', /^\d/, 'the sink consumer lag');
      await snap(page, 'connector-detail-sink');
    } finally {
      await pub.endAsync();
    }

    await page.click('header a[href="#/cluster"]');
    await page.locator('#spread').waitFor();
    expect(await text(page, '#worker-count')).toBe('1');
    await snap(page, 'cluster');

    // Pause and resume from the detail page, through the confirmation dialog.
    await page.goto(`${w.url}/ui/#/connectors/${source}`);
    await page.click('#action-pause');
    await page.locator('#confirm[open]').waitFor();
    await page.click('#confirm button[value="cancel"]');
    await page.waitForTimeout(500);
    expect((await rest(w.url, 'GET', `/connectors/${source}/status`)).body.connector.state).toBe('RUNNING');
    await confirm(page, 'pause');
    await waitText(page, 'h1 .state', 'PAUSED', 'the source PAUSED');
    expect((await rest(w.url, 'GET', `/connectors/${source}/status`)).body.connector.state).toBe('PAUSED');
    await confirm(page, 'resume');
    await waitText(page, 'h1 .state', 'RUNNING', 'the source RUNNING again');

    // Delete both.
    for (const name of [source, sink]) {
      await page.goto(`${w.url}/ui/#/connectors/${name}`);
      await page.locator('h1', { hasText: name }).waitFor();
      await confirm(page, 'delete');
      await landOn(page, /#\/connectors$/);
      await eventually(async () => (await rest(w.url, 'GET', `/connectors/${name}`)).status === 404, {
        what: `${name} deleted`,
      });
    }
    await eventually(async () => (await page.locator(`tr[data-connector="${source}"]`).count()) === 0, {
      what: 'the list without the deleted connectors',
    });
    expect(errors).toEqual([]);
  });

  it("shows a failed task's trace and masks secrets; the edit form fixes it; keyboard alone deletes it", async () => {
    const name = uniqueId('console-fail').replace(/[^a-zA-Z0-9-]/g, '-');
    await page.goto(`${w.url}/ui/`);
    await fillForm(
      page,
      'io.ferry.test.CounterSourceConnector',
      { name, 'counter.topic': `${name}.out`, 'counter.max': '5', 'counter.secret': 'console-s3cret' },
      'counter.fail.on.start=true',
    );
    await page.click('#form-submit');
    await landOn(page, new RegExp(`#/connectors/${name}$`));
    await waitText(page, '#tasks tr[data-task="0"] .state', 'FAILED', 'the task FAILED');
    await page.click('#trace-0 summary');
    await waitText(page, '#trace-0 pre', /counter told to fail on start/, 'the trace');
    await snap(page, 'connector-failed');
    // The trace stays open across the page's polling redraws.
    await page.waitForTimeout(4000);
    expect(await page.locator('#trace-0[open]').count()).toBe(1);
    // The secret is shown as the API shows it, and is nowhere in the page.
    expect(await text(page, '#config tr:has(th:text-is("counter.secret")) td')).toBe('[hidden]');
    expect(await page.content()).not.toContain('console-s3cret');

    // Edit: the form comes filled in (the secret as [hidden], the extra key in its box); a bad value is refused
    // inline; the fixed config is saved and the task runs.
    await page.click('#action-edit');
    await landOn(page, new RegExp(`#/edit/${name}$`));
    await page.locator('#connector-form').waitFor();
    expect(await page.inputValue(field('counter.secret'))).toBe('[hidden]');
    expect(await page.inputValue('#field-extra')).toBe('counter.fail.on.start=true');
    await page.fill('#field-extra', 'counter.fail.on.start=false');
    await page.fill(field('counter.batch'), '0');
    await page.click('#form-submit');
    await waitText(
      page,
      `${field('counter.batch')}-error`,
      /counter\.batch|>= 1|at least|minimum/i,
      'the inline error',
    );
    await page.fill(field('counter.batch'), '2');
    await page.click('#form-submit');
    await landOn(page, new RegExp(`#/connectors/${name}$`));
    await waitText(page, '#tasks tr[data-task="0"] .state', 'RUNNING', 'the edited task RUNNING');
    const config = (await rest(w.url, 'GET', `/connectors/${name}/config`)).body;
    expect(config).toMatchObject({
      'counter.fail.on.start': 'false',
      'counter.batch': '2',
      'counter.secret': '[hidden]',
    });

    // Keyboard only: Enter on Delete opens the dialog, Escape cancels it; then Tab to OK and Enter deletes.
    await page.focus('#action-delete');
    await page.keyboard.press('Enter');
    await page.locator('#confirm[open]').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('#confirm:not([open])').waitFor({ state: 'attached' });
    expect((await rest(w.url, 'GET', `/connectors/${name}`)).status).toBe(200);
    await page.focus('#action-delete');
    await page.keyboard.press('Enter');
    await page.locator('#confirm[open]').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.locator('#confirm-ok:focus').count()).toBe(1);
    await page.keyboard.press('Enter');
    await landOn(page, /#\/connectors$/);
    expect((await rest(w.url, 'GET', `/connectors/${name}`)).status).toBe(404);
  });
});

const TOKEN = 'console-operator-token-5f0c2a91';

describe('web console with authentication on', () => {
  let w: WorkerHandle;
  let browser: Browser;
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-console-auth-'));

  beforeAll(async () => {
    const htpasswd = path.join(dir, 'users.htpasswd');
    writeFileSync(htpasswd, `alice:${await hashPasswordScrypt('alice-pw-1', randomBytes(16), 12)}\n`);
    browser = await launchBrowser();
    w = await startWorker(freshCluster('console-auth'), {
      env: { FERRY_REST_AUTH_BASIC_FILE: htpasswd, FERRY_REST_AUTH_BEARER_TOKENS: TOKEN },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await w?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page without a credential, then asks for one and sends it with every API call', async () => {
    expect((await fetch(`${w.url}/ui/`)).status).toBe(200);
    expect((await fetch(`${w.url}/connectors`)).status).toBe(401);
    expect((await fetch(`${w.url}/metrics`)).status).toBe(401);
    const page = await browser.context.newPage();
    await page.goto(`${w.url}/ui/`);
    await page.locator('#signin-user').waitFor();
    await snap(page, 'sign-in');
    await page.fill('#signin-user', 'alice');
    await page.fill('#signin-password', 'wrong');
    await page.click('#signin-submit');
    await waitText(page, 'form.signin .error', /refused/, 'the refusal');
    await page.fill('#signin-user', 'alice');
    await page.fill('#signin-password', 'alice-pw-1');
    await page.click('#signin-submit');
    await page.locator('h1', { hasText: 'Connectors' }).waitFor();
    await waitText(page, '#who', 'Signed in as alice', 'the signed-in user');
    await page.click('header a[href="#/cluster"]');
    await page.locator('#workers').waitFor();
    await page.click('#signout');
    await page.locator('#signin-user').waitFor();
    // Nothing entered: the form says what it needs and sends nothing.
    await page.click('#signin-submit');
    await waitText(page, '#signin-missing', /user and a password, or a token/, 'the missing-credential hint');
    // A bearer token works too (deployments that configure tokens only).
    await page.fill('#signin-token', TOKEN);
    await page.click('#signin-submit');
    await page.locator('#workers').waitFor();
    await waitText(page, '#who', 'Signed in as a token', 'the token sign-in');
    await page.close();
  });
});
