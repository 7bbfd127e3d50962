import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, stackEnv, uniqueId } from '../../helpers';
import { REPO_ROOT, readRepoFile } from './tools';

/**
 * What the image runs, run here without Docker against the local stack: the image's entrypoint script (with the
 * image's /opt/ferry pointed at this checkout and its compiled dist/), the Dockerfile's own HEALTHCHECK command, the
 * TCP check the Kubernetes liveness probe makes, and the SIGTERM that `docker stop` / the kubelet send.
 */

/** The JSON array of the Dockerfile's `HEALTHCHECK ... CMD [...]`. */
function dockerHealthcheck(): string[] {
  const text = readRepoFile('deploy/docker/Dockerfile').replace(/\\\n/g, ' ');
  const m = /^HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$/m.exec(text);
  if (!m?.[1]) throw new Error('deploy/docker/Dockerfile has no exec-form HEALTHCHECK CMD');
  return JSON.parse(m[1]) as string[];
}

function healthcheckExitCode(env: NodeJS.ProcessEnv): number | null {
  const [cmd = '', ...args] = dockerHealthcheck();
  return spawnSync(cmd === 'node' ? process.execPath : cmd, args, { env, timeout: 10_000 }).status;
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('image entrypoint, health check and stop signal (run without Docker)', () => {
  const { kafka, registry } = stackEnv();
  let dir: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ferry-entrypoint-'));
  });

  afterAll(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a worker advertising the host name, passes the HEALTHCHECK and stops cleanly on SIGTERM', async () => {
    const script = path.join(dir, 'entrypoint.sh');
    writeFileSync(script, readRepoFile('deploy/docker/entrypoint.sh').replace(/\/opt\/ferry\//g, `${REPO_ROOT}/`));
    const port = await freePort();
    const group = uniqueId('deploy-entrypoint');
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('FERRY_')) delete env[k];
    Object.assign(env, {
      FERRY_KAFKA_BOOTSTRAP: kafka,
      FERRY_SCHEMA_REGISTRY_URL: registry,
      // Loopback only; with a non-wildcard bind the worker would advertise 127.0.0.1, so the host name seen below
      // can only come from the entrypoint.
      FERRY_REST_HOST: '127.0.0.1',
      FERRY_REST_PORT: String(port),
      FERRY_GROUP_ID: group,
      FERRY_CONFIG_TOPIC: `${group}-configs`,
      FERRY_OFFSETS_TOPIC: `${group}-offsets`,
      FERRY_STATUS_TOPIC: `${group}-status`,
      FERRY_LOG_LEVEL: 'info',
    });

    let output = '';
    const proc = spawn('sh', [script, 'worker'], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout.on('data', (b: Buffer) => (output += b.toString()));
    proc.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.once('exit', (code, signal) => resolve({ code, signal })),
    );

    // Poll with the image's own HEALTHCHECK command, as Docker would, until it reports healthy (or the worker dies).
    let healthy = false;
    for (let i = 0; i < 120 && !healthy && proc.exitCode === null; i++) {
      healthy = healthcheckExitCode(env) === 0;
      if (!healthy) await sleep(500);
    }
    expect({ healthy, output: healthy ? '' : output }).toEqual({ healthy: true, output: '' });

    // The worker id other workers and status show: this host's name, set by the entrypoint.
    const listening = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; workerId?: string })
      .find((l) => l.msg === 'REST API listening');
    expect(listening?.workerId).toBe(`${hostname()}:${port}`);

    // What the Kubernetes liveness probe checks.
    await expect(tcpOpen(port)).resolves.toBe(true);

    // `exec` in the entrypoint makes the worker this very process, so the signal reaches it, not a shell.
    proc.kill('SIGTERM');
    await expect(exited).resolves.toEqual({ code: 0, signal: null });
    expect(healthcheckExitCode(env)).not.toBe(0);
  });
});
