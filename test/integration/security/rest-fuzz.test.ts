import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { uniqueId } from '../../helpers/ids';
import { stackEnv } from '../../helpers/stack';
import { freshCluster, rest, startWorker, type WorkerHandle } from '../../helpers/worker';

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

/** mulberry32: small, fast, and the same sequence everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FuzzRequest {
  method: string;
  path: string;
  body?: string;
  contentType?: string;
}

interface Planted {
  readonly tokens: string[];
  readonly file: string;
  readonly json: string;
}

class Generator {
  private readonly r: () => number;
  private readonly names: string[];

  constructor(
    seed: number,
    private readonly id: string,
    private readonly planted: Planted,
  ) {
    this.r = prng(seed);
    const p = planted;
    this.names = [
      `${id}-a`,
      `${id}-b`,
      `${id}-c`,
      'x'.repeat(300),
      'y'.repeat(5000),
      'z'.repeat(70_000),
      'ctl\u0000\u0001\u001b[31m\r\nname',
      'slash/in/name',
      '../../etc/passwd',
      '..',
      '.',
      ' ',
      '',
      'üñïçødé-名前-😀',
      '\ud800broken-surrogate',
      `\${file:${p.file}:k}`,
      `\${file:${p.json}:db.password}`,
      '${env:FERRY_FUZZ_PLANTED}',
      '${env:FERRY_FUZZ_HIDDEN}',
      '${file:/etc/passwd:root}',
      '__consumer_offsets',
      '%2e%2e',
      'name with spaces',
      '"quoted"',
      '<script>alert(1)</script>',
    ];
  }

  private int(n: number): number {
    return Math.floor(this.r() * n);
  }
  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  private chance(p: number): boolean {
    return this.r() < p;
  }

  name(): string {
    // Most requests go to a few real names, so per-connector endpoints meet connectors that exist.
    return this.chance(0.5) ? this.pick(this.names.slice(0, 3)) : this.pick(this.names);
  }

  private segment(name: string): string {
    if (this.chance(0.85)) return encodeURIComponent(name.replace(/[\ud800-\udfff]/g, '?'));
    return this.pick(['%', '%zz', '%00', name.slice(0, 50).replace(/[^\x20-\x7e]/g, '')]);
  }

  value(): unknown {
    const p = this.planted;
    const strings = [
      `\${file:${p.file}:k}`,
      `prefix-\${file:${p.file}:k}-suffix`,
      `\${file:${p.json}:db.password}`,
      `\${file:${p.json}:db}`,
      '${env:FERRY_FUZZ_PLANTED}',
      'iot.${env:FERRY_FUZZ_PLANTED}',
      '${env:FERRY_FUZZ_HIDDEN}',
      '${file:/etc/passwd:root}',
      '${file:/dev/zero:x}',
      '${file:/proc/self/environ:x}',
      '${file:relative:x}',
      '${vault:x}',
      '${',
      '${mqtt.topic[99]}',
      '[hidden]',
      '',
      ' ',
      '-1',
      '0',
      '99999999999999999999',
      'NaN',
      '1e400',
      'true',
      'mqtt://127.0.0.1:1',
      'mqtt://user:pw@127.0.0.1:1884',
      'http://127.0.0.1:1/registry',
      '/dev/zero',
      '/etc/passwd',
      'a'.repeat(100_000),
      '\u0000\u0007\u001b',
      'üñï😀',
      '#',
      '+/#',
      '$share/g/#',
      '__consumer_offsets',
      '_schemas',
    ];
    if (this.chance(0.05)) return this.pick([null, 1, 2.5, true, [], {}, ['a'], { a: 1 }]);
    return this.pick(strings);
  }

  config(name: string | undefined): Record<string, unknown> {
    const { mqtt } = stackEnv();
    const cls = this.pick([
      'MqttSourceConnector',
      'MqttSinkConnector',
      'CounterSource',
      'NoSuchConnector',
      'io.ferry.connect.mqtt.MqttSourceConnector',
    ]);
    const base: Record<string, unknown> = {
      'connector.class': cls,
      'mqtt.server.uri': mqtt,
      'mqtt.topics': `${this.id}/in/#`,
      'mqtt.topic': `${this.id}/out`,
      topics: `${this.id}.out`,
      'kafka.topic': `${this.id}.in`,
      'counter.topic': `${this.id}.counter`,
      'counter.interval.ms': '1000',
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'tasks.max': '1',
    };
    if (name !== undefined) base.name = name;
    const keys = [
      ...Object.keys(base),
      'tasks.max',
      'mqtt.password',
      'mqtt.username',
      'mqtt.client.id.prefix',
      'mqtt.value.schema.file',
      'mqtt.value.format',
      'mqtt.ssl.ca',
      'mqtt.qos',
      'transforms',
      'transforms.t.type',
      'errors.tolerance',
      'errors.deadletterqueue.topic.name',
      'value.converter.schema.registry.url',
      'value.converter.basic.auth.user.info',
      'producer.override.bootstrap.servers',
      'kafka.key',
      '${file:/etc/passwd:root}',
      'k'.repeat(10_000),
      '\u0000',
    ];
    for (let i = this.int(4); i > 0; i--) base[this.pick(keys)] = this.value();
    return base;
  }

  private body(obj: unknown): Pick<FuzzRequest, 'body' | 'contentType'> {
    const roll = this.r();
    if (roll < 0.8) return { body: JSON.stringify(obj), contentType: 'application/json' };
    if (roll < 0.85)
      return {
        body: JSON.stringify(obj),
        contentType: this.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']),
      };
    if (roll < 0.88) return { body: JSON.stringify(obj) };
    if (roll < 0.93)
      return {
        body: this.pick(['{"a":', 'not json', '{"a":1}}', '\u0000', '[', '{"name": "x", "config": ']),
        contentType: 'application/json',
      };
    if (roll < 0.96) return { body: `${'['.repeat(20_000)}${']'.repeat(20_000)}`, contentType: 'application/json' };
    return {
      body: JSON.stringify(this.pick([null, 1, 'str', [], [obj], { config: null }, { name: 5 }])),
      contentType: 'application/json',
    };
  }

  next(): FuzzRequest {
    const n = this.name();
    const c = `/connectors/${this.segment(n)}`;
    const task = this.pick(['0', '1', '-1', '99999999999999999999', 'abc', '0x1', '1.5', '%20']);
    const plugin = this.segment(this.pick(['MqttSourceConnector', 'MqttSinkConnector', 'CounterSource', 'Nope', n]));
    const roll = this.int(30);
    switch (roll) {
      case 0:
        return {
          method: 'GET',
          path: this.pick([
            '/',
            '/health',
            '/connectors',
            '/connectors?expand=status&expand=info',
            '/connectors?expand=nope',
            '/connector-plugins',
            '/connector-plugins?connectorsOnly=false',
            '/admin/loggers',
            '/metrics',
            '/openapi.json',
          ]),
        };
      case 1:
      case 2:
      case 3:
        return {
          method: 'POST',
          path: '/connectors',
          ...this.body(
            this.chance(0.7)
              ? {
                  name: n,
                  config: this.config(undefined),
                  ...(this.chance(0.2) ? { initial_state: this.pick(['PAUSED', 'STOPPED', 'RUNNING', 'nope']) } : {}),
                }
              : this.config(n),
          ),
        };
      case 4:
      case 5:
      case 6:
        return { method: 'PUT', path: `${c}/config`, ...this.body(this.config(this.chance(0.8) ? n : this.name())) };
      case 7:
      case 8:
        return {
          method: 'PATCH',
          path: `${c}/config`,
          ...this.body({
            [this.pick(['mqtt.server.uri', 'mqtt.password', 'tasks.max', 'name', 'kafka.topic'])]: this.value(),
          }),
        };
      case 9:
      case 10:
        return { method: 'PUT', path: `/connector-plugins/${plugin}/config/validate`, ...this.body(this.config(n)) };
      case 11:
        return { method: 'GET', path: `/connector-plugins/${plugin}/config` };
      case 12:
        return { method: 'GET', path: `${c}${this.pick(['', '/config', '/status', '/tasks', '/topics', '/offsets'])}` };
      case 13:
        return { method: 'GET', path: `${c}/tasks/${task}/status` };
      case 14:
        return { method: 'POST', path: `${c}/tasks/${task}/restart` };
      case 15:
        return {
          method: 'POST',
          path: `${c}/restart${this.pick(['', '?includeTasks=true', '?includeTasks=true&onlyFailed=true', '?includeTasks=maybe'])}`,
        };
      case 16:
        return { method: 'PUT', path: `${c}/${this.pick(['pause', 'resume'])}` };
      case 17:
        return { method: 'PUT', path: `${c}/stop` };
      case 18:
        return { method: 'PUT', path: `${c}/topics/reset` };
      case 19:
        return {
          method: 'PATCH',
          path: `${c}/offsets`,
          ...this.body(
            this.pick([
              { offsets: [{ partition: { kafka_topic: 't', kafka_partition: 0 }, offset: { kafka_offset: 1 } }] },
              { offsets: [] },
              { offsets: [{ partition: this.value(), offset: this.value() }] },
              { offsets: 'x' },
            ]),
          ),
        };
      case 20:
        return { method: 'DELETE', path: `${c}/offsets` };
      case 21:
        return { method: 'DELETE', path: c };
      case 22:
        return {
          method: 'GET',
          path: `/admin/loggers/${this.segment(this.pick(['ferry', 'root', 'org.apache.kafka', n]))}`,
        };
      case 23:
        return {
          method: 'PUT',
          path: `/admin/loggers/${this.segment(this.pick(['ferry.fuzz', 'root', n]))}${this.pick(['', '?scope=cluster', '?scope=worker'])}`,
          ...this.body({ level: this.pick(['INFO', 'WARN', 'nope', 'trace', '', null, 5]) }),
        };
      case 24:
        return {
          method: this.pick(['DELETE', 'PATCH', 'POST', 'OPTIONS', 'HEAD']),
          path: this.pick(['/connectors', '/connector-plugins', `${c}/status`, '/health']),
        };
      case 25:
        return {
          method: 'GET',
          path: this.pick([
            '/connectors/',
            '//connectors',
            '/connectors/%',
            '/nope',
            `/connectors/${this.segment(n)}/tasks/${task}/nope`,
            '/../etc/passwd',
          ]),
        };
      default:
        return {
          method: 'PUT',
          path: `/connector-plugins/${plugin}/config/validate`,
          ...this.body(this.config(this.chance(0.5) ? n : undefined)),
        };
    }
  }
}

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
