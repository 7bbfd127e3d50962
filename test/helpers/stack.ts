import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const STACK = path.join(__dirname, '..', '..', 'deploy', 'local', 'stack.sh');

/** Endpoints of the shared stack started by the global setup. */
export function stackEnv(): { kafka: string; registry: string; mqtt: string } {
  const kafka = process.env.FERRY_KAFKA_BOOTSTRAP;
  const registry = process.env.FERRY_SCHEMA_REGISTRY_URL;
  const mqtt = process.env.FERRY_MQTT_URL;
  if (!kafka || !registry || !mqtt)
    throw new Error('the local stack is not up: run the integration tests through jest');
  return { kafka, registry, mqtt };
}

/** A TCP port that was free a moment ago on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export type Service = 'kafka' | 'mqtt' | 'registry';

/**
 * A broker of our own for a test that stops, kills or restarts it: own ports and data folder, so fault tests never
 * disturb other tests or the stack a developer is using.
 */
export class DedicatedService {
  private constructor(
    readonly service: Service,
    readonly port: number,
    private readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async start(service: Service): Promise<DedicatedService> {
    const dir = mkdtempSync(path.join(tmpdir(), `ferry-${service}-`));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, FERRY_STACK_DIR: dir };
    if (service === 'kafka') {
      env.FERRY_KAFKA_PORT = String(port);
      env.FERRY_KAFKA_CONTROLLER_PORT = String(await freePort());
      env.FERRY_KAFKA_SASL_PORT = String(await freePort());
      env.FERRY_KAFKA_HEAP = '-Xmx384m -Xms128m';
    } else if (service === 'mqtt') {
      env.FERRY_MQTT_PORT = String(port);
    } else {
      env.FERRY_REGISTRY_PORT = String(port);
      env.FERRY_REGISTRY_MANAGEMENT_PORT = String(await freePort());
    }
    const svc = new DedicatedService(service, port, dir, env);
    await svc.up();
    return svc;
  }

  get url(): string {
    if (this.service === 'kafka') return `127.0.0.1:${this.port}`;
    if (this.service === 'mqtt') return `mqtt://127.0.0.1:${this.port}`;
    return `http://127.0.0.1:${this.port}/apis/ccompat/v7`;
  }

  /** Kafka only: the SASL/SCRAM listener (user FERRY_KAFKA_SASL_USER, see deploy/local/stack.sh). */
  get saslUrl(): string {
    return `127.0.0.1:${this.env.FERRY_KAFKA_SASL_PORT ?? ''}`;
  }

  /** Start (again) with the same data folder: what the broker persisted survives. */
  async up(): Promise<void> {
    await run('bash', [STACK, 'up', this.service], { env: this.env, timeout: 180_000 });
  }

  /** Stop gracefully. */
  async down(): Promise<void> {
    await run('bash', [STACK, 'down', this.service], { env: this.env, timeout: 60_000 });
  }

  /** SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGSTOP: the broker keeps its connections open and answers nothing, as a hung or cut-off host would. */
  async freeze(): Promise<void> {
    await this.signal('SIGSTOP');
  }

  /** SIGCONT after {@link freeze}. */
  async thaw(): Promise<void> {
    await this.signal('SIGCONT');
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const { stdout } = await run('bash', ['-c', `cat "${this.dir}/run/${this.service}.pid" 2>/dev/null || true`]);
    const pid = Number(stdout.trim());
    if (pid > 0) {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  }

  /** Stop and remove the data folder. */
  async destroy(): Promise<void> {
    await this.thaw().catch(() => undefined);
    await this.down().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
