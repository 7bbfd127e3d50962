import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RestHarness } from './harness';

const SCRIPT = resolve(__dirname, '../../../deploy/scripts/ferry-connect');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the script with bash + curl against `url`, optionally feeding stdin. */
function run(url: string, args: string[], stdin?: string, path = process.env.PATH): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn('bash', [SCRIPT, ...args], { env: { ...process.env, PATH: path, FERRY_CONNECT_URL: url } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

const json = (r: Run): unknown => JSON.parse(r.stdout);

describe('deploy/scripts/ferry-connect', () => {
  let h: RestHarness;
  let dir: string;
  const file = (name: string, body: unknown): string => {
    const p = join(dir, name);
    writeFileSync(p, JSON.stringify(body));
    return p;
  };
  beforeAll(async () => {
    h = await new RestHarness().start();
    dir = mkdtempSync(join(tmpdir(), 'ferry-connect-'));
  });
  afterAll(async () => {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const ferry = (args: string[], stdin?: string): Promise<Run> => run(h.url, args, stdin);

  it('walks a connector through every operation', async () => {
    expect(json(await ferry(['list']))).toEqual([]);

    const created = await ferry([
      'create',
      file('s1.json', {
        name: 's1',
        config: { 'connector.class': 'CounterSourceConnector', topic: 'c', 'tasks.max': '2' },
      }),
    ]);
    expect(created.code).toBe(0);
    expect(json(created)).toMatchObject({ name: 's1', type: 'source' });
    // Pretty-printed, not one line.
    expect(created.stdout.split('\n').length).toBeGreaterThan(5);

    // Connector names are letters, digits, '.', '_' and '-' (docs/rest-api.md), so a name needs no URL escaping.
    const flat = await ferry(
      ['create', '-'],
      JSON.stringify({ name: 'my-sink.1', 'connector.class': 'LogSink', topics: 'a' }),
    );
    expect([flat.code, flat.stderr]).toEqual([0, '']);
    expect(json(await ferry(['get', 'my-sink.1']))).toMatchObject({ name: 'my-sink.1', type: 'sink' });

    expect(json(await ferry(['list']))).toEqual(['my-sink.1', 's1']);
    expect(Object.keys(json(await ferry(['list', '--status', '--info'])) as object)).toEqual(['my-sink.1', 's1']);
    expect(json(await ferry(['config', 's1']))).toMatchObject({ topic: 'c' });
    expect(
      json(await ferry(['put-config', 's1', file('put.json', { 'connector.class': 'CounterSource', topic: 'd' })])),
    ).toMatchObject({
      config: { topic: 'd' },
    });
    expect(json(await ferry(['patch-config', 's1', '-'], '{"tasks.max": 2}'))).toMatchObject({
      config: { 'tasks.max': '2' },
    });
    expect(json(await ferry(['status', 's1']))).toMatchObject({ connector: { state: 'RUNNING' } });
    expect(json(await ferry(['tasks', 's1']))).toHaveLength(2);
    expect(json(await ferry(['task-status', 's1', '1']))).toMatchObject({ id: 1, state: 'RUNNING' });
    expect(json(await ferry(['topics', 's1']))).toEqual({ s1: { topics: ['c'] } });
    expect((await ferry(['reset-topics', 's1'])).code).toBe(0);

    for (const op of ['pause', 'resume']) {
      const r = await ferry([op, 's1']);
      expect([op, r.code, r.stdout]).toEqual([op, 0, '']);
    }
    expect((await ferry(['restart', 's1'])).code).toBe(0);
    expect(json(await ferry(['restart', 's1', '--include-tasks']))).toMatchObject({
      tasks: [{ state: 'RESTARTING' }, { state: 'RESTARTING' }],
    });
    expect((await ferry(['restart-task', 's1', '0'])).code).toBe(0);

    const offsets = file('offsets.json', { offsets: [{ partition: { p: 'a' }, offset: { n: 1 } }] });
    const running = await ferry(['alter-offsets', 's1', offsets]);
    expect(running.code).toBe(1);
    expect(running.stderr).toContain('HTTP 400');
    expect(running.stderr).toContain('STOPPED');
    expect((await ferry(['stop', 's1'])).code).toBe(0);
    expect(json(await ferry(['alter-offsets', 's1', offsets]))).toEqual({
      message: 'The offsets for this connector have been altered successfully',
    });
    expect(json(await ferry(['offsets', 's1']))).toEqual({ offsets: [{ partition: { p: 'a' }, offset: { n: 1 } }] });
    expect(json(await ferry(['reset-offsets', 's1']))).toMatchObject({ message: expect.stringMatching(/reset/) });

    expect((await ferry(['delete', 's1'])).code).toBe(0);
    const gone = await ferry(['get', 's1']);
    expect(gone.code).toBe(1);
    expect(gone.stdout).toBe('');
    expect(gone.stderr).toContain('Connector s1 not found');
  });

  it('plugins, validate, loggers, health', async () => {
    expect(json(await ferry(['plugins']))).toHaveLength(2);
    expect(json(await ferry(['plugins', '--all']))).toHaveLength(3);
    expect((json(await ferry(['plugin-config', 'CounterSource'])) as unknown[]).length).toBeGreaterThan(3);
    const v = await ferry(['validate', 'CounterSource', '-'], '{"name":"v","tasks.max":"x"}');
    expect(v.code).toBe(0);
    expect(json(v)).toMatchObject({ name: 'CounterSourceConnector', error_count: 2 });
    expect(json(await ferry(['set-level', 'ferry.rest', 'debug']))).toEqual(['ferry.rest']);
    expect(json(await ferry(['loggers', 'ferry.rest']))).toMatchObject({ level: 'DEBUG' });
    expect(json(await ferry(['loggers']))).toHaveProperty('root');
    expect(json(await ferry(['health']))).toMatchObject({ status: 'healthy' });
    expect(json(await ferry(['info']))).toMatchObject({ version: '0.1.0' });
  });

  it('exits non-zero with the error body on stderr for HTTP errors', async () => {
    const dup = file('dup.json', { name: 'd1', config: { 'connector.class': 'LogSink', topics: 't' } });
    expect((await ferry(['create', dup])).code).toBe(0);
    const again = await ferry(['create', dup]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('HTTP 409');
    expect(again.stderr).toContain('Connector d1 already exists');
    const bad = await ferry(['create', '-'], '{"name": "x", "config": {');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Malformed JSON');
    expect((await ferry(['plugin-config', 'Nope'])).code).toBe(1);
  });

  it('needs only bash, curl and coreutils: pretty-prints with python3 when jq is absent', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    for (const tool of ['bash', 'curl', 'basename', 'mktemp', 'rm', 'cat', 'grep', 'sed', 'head']) {
      symlinkSync(execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
    }
    // The interpreter itself, not a version-manager shim that needs more of PATH.
    const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    symlinkSync(python, join(bin, 'python3'));
    const r = await run(h.url, ['info'], undefined, bin);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout)).toMatchObject({ kafka_cluster_id: 'cluster-1' });
    expect(r.stdout).toContain('\n    "version"');
  });

  it('refuses bad usage and reports an unreachable worker', async () => {
    const unknown = await ferry(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command: frobnicate');
    expect((await ferry(['get'])).code).toBe(2);
    expect((await ferry(['restart', 'x', '--later'])).code).toBe(2);
    const help = await ferry(['help']);
    expect([help.code, help.stdout.includes('FERRY_CONNECT_URL')]).toEqual([0, true]);
    const down = await run('http://127.0.0.1:9', ['list']);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('cannot reach the worker');
  });
});
