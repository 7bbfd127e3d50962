import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { uniqueId } from '../../helpers/ids';
import { freshCluster, rest, startWorker, type WorkerHandle } from '../../helpers/worker';
import { Generator, type FuzzRequest, type Planted } from './fuzz-generator';

/**
 * Issue #21's fuzz test: thousands of generated requests over every REST endpoint, with hostile names, values,
 * content types and bodies. Whatever comes in, the worker answers below 500, stays up, and never sends back a
 * planted secret (a file's content, an environment value) — even though both are on the providers' allow-lists,
 * so placeholders naming them do resolve. Deterministic: one seed drives every choice. Bounded in count and time.
 */
const SEED = 0x2155eed;
const SINGLE_REQUESTS = 2500;
const CLUSTER_REQUESTS = 1200;
const PARALLEL = 6;
const PHASE_LIMIT_MS = 120_000;
const TEST_LIMIT_MS = 420_000;

interface Outcome {
  sent: number;
  failures: string[];
}

/** Sends `count` generated requests (PARALLEL at a time) round-robin over `workers`, checking every answer. */
async function fuzz(
  gen: Generator,
  workers: readonly WorkerHandle[],
  count: number,
  planted: Planted,
): Promise<Outcome> {
  const failures: string[] = [];
  const deadline = Date.now() + PHASE_LIMIT_MS;
  let sent = 0;
  const reqs: FuzzRequest[] = Array.from({ length: count }, () => gen.next());
  const one = async (req: FuzzRequest, w: WorkerHandle): Promise<void> => {
    let res: Response;
    try {
      res = await fetch(`${w.url}${req.path}`, {
        method: req.method,
        headers: req.contentType ? { 'Content-Type': req.contentType } : {},
        ...(req.body !== undefined && !['GET', 'HEAD'].includes(req.method) ? { body: req.body } : {}),
        signal: AbortSignal.timeout(90_000),
      });
    } catch (err) {
      // The client refusing to send a malformed URL is not the worker's doing; no answer at all is.
      const e = err as Error;
      if (
        e.name === 'TimeoutError' ||
        /ECONNREFUSED|ECONNRESET|socket|closed/i.test(`${e.message} ${String((e as { cause?: unknown }).cause)}`)
      )
        failures.push(`${req.method} ${req.path.slice(0, 120)}: no answer (${e.message})`);
      return;
    }
    const text = await res.text().catch(() => '');
    const all = `${text} ${[...res.headers.entries()].join(' ')}`;
    if (res.status >= 500)
      failures.push(`${req.method} ${req.path.slice(0, 120)} → ${res.status} ${text.slice(0, 200)}`);
    for (const t of planted.tokens)
      if (all.includes(t))
        failures.push(`${req.method} ${req.path.slice(0, 120)} echoed a planted secret: ${text.slice(0, 200)}`);
  };
  for (let i = 0; i < reqs.length && Date.now() < deadline; i += PARALLEL) {
    await Promise.all(reqs.slice(i, i + PARALLEL).map((r, j) => one(r, workers[(i + j) % workers.length]!)));
    sent += Math.min(PARALLEL, reqs.length - i);
  }
  process.stdout.write(`fuzz: ${sent} requests sent, ${failures.length} failures\n`);
  return { sent, failures };
}

/** Deletes whatever the fuzzing created, so its tasks stop before the workers do. */
async function cleanUp(w: WorkerHandle): Promise<void> {
  const list = await rest(w.url, 'GET', '/connectors');
  if (!Array.isArray(list.body)) return;
  for (const name of list.body as string[]) await rest(w.url, 'DELETE', `/connectors/${encodeURIComponent(name)}`);
}

describe('REST fuzzing (issue #21)', () => {
  const id = uniqueId('fuzz');
  let dir: string;
  let planted: Planted;
  const workers: WorkerHandle[] = [];

  const env = (): NodeJS.ProcessEnv => ({
    FERRY_CONFIG_PROVIDERS_FILE_ALLOWED_PATHS: dir,
    FERRY_CONFIG_PROVIDERS_ENV_ALLOWED_NAMES: 'FERRY_FUZZ_PLANTED',
    FERRY_FUZZ_PLANTED: `env-${planted.tokens[0]}`,
    FERRY_FUZZ_HIDDEN: `hidden-${planted.tokens[1]}`,
  });

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ferry-fuzz-'));
    const tokens = [0, 1, 2, 3].map(() => randomBytes(8).toString('hex'));
    planted = { tokens, file: path.join(dir, 'planted.properties'), json: path.join(dir, 'planted.json') };
    writeFileSync(planted.file, `k=file-${tokens[2]}\n`);
    writeFileSync(planted.json, JSON.stringify({ db: { password: `json-${tokens[3]}` } }));
  });
  afterAll(async () => {
    for (const w of workers) await w.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'one worker: no 5xx, no planted secret in any answer or log line, and it stays up',
    async () => {
      const w = await startWorker(freshCluster('fuzz1'), { env: env() });
      workers.push(w);
      const out = await fuzz(new Generator(SEED, id, planted), [w], SINGLE_REQUESTS, planted);
      expect(out.sent).toBeGreaterThan(0);
      expect(out.failures.slice(0, 20)).toEqual([]);
      expect((await rest(w.url, 'GET', '/health')).status).toBe(200);
      expect(w.proc.exitCode).toBeNull();
      await cleanUp(w);
      for (const t of planted.tokens) expect(w.output()).not.toContain(t);
    },
    TEST_LIMIT_MS,
  );

  it(
    'a 2-worker cluster: the same, and both workers stay up',
    async () => {
      const cluster = freshCluster('fuzz2');
      const a = await startWorker(cluster, { env: env() });
      workers.push(a);
      const b = await startWorker(cluster, { env: env() });
      workers.push(b);
      const out = await fuzz(new Generator(SEED + 1, `${id}-cl`, planted), [a, b], CLUSTER_REQUESTS, planted);
      expect(out.sent).toBeGreaterThan(0);
      expect(out.failures.slice(0, 20)).toEqual([]);
      for (const w of [a, b]) {
        expect((await rest(w.url, 'GET', '/health')).status).toBe(200);
        expect(w.proc.exitCode).toBeNull();
      }
      await cleanUp(a);
      for (const w of [a, b]) for (const t of planted.tokens) expect(w.output()).not.toContain(t);
    },
    TEST_LIMIT_MS,
  );
});
