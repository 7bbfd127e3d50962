import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { eventually, freshCluster, startWorker, uniqueId, type WorkerHandle } from '../../helpers';

const SCRIPT = resolve(__dirname, '../../../deploy/scripts/ferry-connect');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ferry(url: string, args: string[], stdin = ''): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn('bash', [SCRIPT, ...args], { env: { ...process.env, FERRY_CONNECT_URL: url } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** Runs the script and parses its (pretty) JSON output; fails the test with stderr on a non-zero exit. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the assertions
async function ok<T = any>(url: string, args: string[], stdin?: string): Promise<T> {
  const r = await ferry(url, args, stdin);
  if (r.code !== 0) throw new Error(`ferry-connect ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return (r.stdout === '' ? undefined : JSON.parse(r.stdout)) as T;
}

describe('deploy/scripts/ferry-connect against a real worker', () => {
  let w: WorkerHandle;
  const name = uniqueId('script-counter');
  const topic = uniqueId('script-topic');
  const secret = `s3cr3t-${uniqueId('pw')}`;

  beforeAll(async () => {
    w = await startWorker(freshCluster('script'));
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('drives a connector through create, status, pause/resume, restart, stop, offsets and delete', async () => {
    const created = await ok(
      w.url,
      ['create', '-'],
      JSON.stringify({
        name,
        config: {
          'connector.class': 'CounterSource',
          'counter.topic': topic,
          'counter.max': '40',
          'counter.secret': secret,
          'tasks.max': '1',
        },
      }),
    );
    expect(created).toMatchObject({ name, type: 'source', config: { 'counter.secret': '[hidden]' } });

    const dup = await ferry(
      w.url,
      ['create', '-'],
      JSON.stringify({ name, config: { 'connector.class': 'CounterSource', 'counter.topic': topic } }),
    );
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain(`Connector ${name} already exists`);

    await eventually(
      async () => {
        const s = await ok(w.url, ['status', name]);
        return s.connector.state === 'RUNNING' && s.tasks.length === 1 && s.tasks[0].state === 'RUNNING';
      },
      { what: 'RUNNING', timeoutMs: 60_000 },
    );
    expect(await ok(w.url, ['list'])).toContain(name);
    expect((await ok(w.url, ['config', name]))['counter.secret']).toBe('[hidden]');
    expect(await ok(w.url, ['tasks', name])).toHaveLength(1);
    expect(await ok(w.url, ['task-status', name, '0'])).toMatchObject({ id: 0 });

    expect(await ok(w.url, ['pause', name])).toBeUndefined();
    await eventually(async () => (await ok(w.url, ['status', name])).connector.state === 'PAUSED', {
      what: 'PAUSED',
      timeoutMs: 60_000,
    });
    expect(await ok(w.url, ['resume', name])).toBeUndefined();
    await eventually(async () => (await ok(w.url, ['status', name])).connector.state === 'RUNNING', {
      what: 'RUNNING again',
      timeoutMs: 60_000,
    });
    const restarting = await ok(w.url, ['restart', name, '--include-tasks']);
    expect(restarting).toMatchObject({ name, connector: { state: expect.any(String) } });

    // The counter stores its position; once stopped, offsets can be read, altered and reset.
    await eventually(async () => (await ok(w.url, ['offsets', name])).offsets.length > 0, {
      what: 'offsets',
      timeoutMs: 60_000,
    });
    const running = await ferry(w.url, ['reset-offsets', name]);
    expect(running.code).toBe(1);
    expect(running.stderr).toContain('HTTP 400');
    expect(await ok(w.url, ['stop', name])).toBeUndefined();
    await eventually(async () => (await ok(w.url, ['status', name])).connector.state === 'STOPPED', {
      what: 'STOPPED',
      timeoutMs: 60_000,
    });
    const partition = { counter: `${name}-0` };
    expect(
      await ok(w.url, ['alter-offsets', name, '-'], JSON.stringify({ offsets: [{ partition, offset: { n: 5 } }] })),
    ).toEqual({ message: 'The offsets for this connector have been altered successfully' });
    await eventually(
      async () => {
        const o = await ok(w.url, ['offsets', name]);
        return o.offsets.some((e: { offset: { n: number } }) => e.offset.n === 5);
      },
      { what: 'altered offset', timeoutMs: 60_000 },
    );
    expect((await ok(w.url, ['reset-offsets', name])).message).toMatch(/reset successfully/);

    expect(await ok(w.url, ['delete', name])).toBeUndefined();
    const gone = await ferry(w.url, ['get', name]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`Connector ${name} not found`);

    // The secret went through create, status, config and tasks, and never reached the log.
    expect(w.output()).not.toContain(secret);
  });

  it('lists plugins, validates and sets log levels', async () => {
    const plugins = await ok<{ class: string }[]>(w.url, ['plugins']);
    expect(plugins.map((p) => p.class)).toContain('io.ferry.test.CounterSourceConnector');
    expect((await ok<unknown[]>(w.url, ['plugins', '--all'])).length).toBeGreaterThan(plugins.length);
    expect((await ok<{ name: string }[]>(w.url, ['plugin-config', 'CounterSource'])).map((k) => k.name)).toContain(
      'counter.topic',
    );
    const v = await ok(w.url, ['validate', 'CounterSource', '-'], JSON.stringify({ name: 'v', 'tasks.max': 'x' }));
    expect(v.error_count).toBeGreaterThanOrEqual(2);
    expect(await ok(w.url, ['set-level', 'ferry.rest', 'DEBUG'])).toContain('ferry.rest');
    expect(await ok(w.url, ['loggers', 'ferry.rest'])).toMatchObject({ level: 'DEBUG' });
    expect(await ok(w.url, ['health'])).toMatchObject({ status: 'healthy' });
    const bad = await ferry(w.url, ['create', '-'], '{"name": ');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Malformed JSON');
  });
});
