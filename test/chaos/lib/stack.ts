import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Kafka from 'node-rdkafka';

const run = promisify(execFile);
const STACK_SH = path.join(__dirname, '..', '..', '..', 'deploy', 'local', 'stack.sh');

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

type Service = 'kafka' | 'mqtt';

/**
 * One broker the suite may stop, kill and start: started with deploy/local/stack.sh in a data folder and on ports of
 * its own, so a fault row never touches the shared stack (9092 / 1884) other work depends on. A shared broker is
 * wrapped too, but refuses every fault.
 */
export class Broker {
  private constructor(
    readonly service: Service,
    readonly address: string,
    private readonly env: NodeJS.ProcessEnv | undefined,
    private readonly dir: string | undefined,
  ) {}

  static shared(service: Service, address: string): Broker {
    return new Broker(service, address, undefined, undefined);
  }

  static async private(service: Service): Promise<Broker> {
    const dir = mkdtempSync(path.join(tmpdir(), `ferry-chaos-${service}-`));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, FERRY_STACK_DIR: dir };
    if (service === 'kafka') {
      env.FERRY_KAFKA_PORT = String(port);
      env.FERRY_KAFKA_CONTROLLER_PORT = String(await freePort());
      env.FERRY_KAFKA_HEAP = '-Xmx384m -Xms128m';
    } else {
      env.FERRY_MQTT_PORT = String(port);
    }
    const address = service === 'kafka' ? `127.0.0.1:${port}` : `mqtt://127.0.0.1:${port}`;
    const b = new Broker(service, address, env, dir);
    try {
      await b.up();
    } catch (err) {
      await b.destroy();
      throw err;
    }
    return b;
  }

  get isPrivate(): boolean {
    return this.env !== undefined;
  }

  private own(): NodeJS.ProcessEnv {
    if (!this.env)
      throw new Error(
        `refusing to stop the shared ${this.service} at ${this.address}: rows with broker faults need a private one`,
      );
    return this.env;
  }

  async up(): Promise<void> {
    await run('bash', [STACK_SH, 'up', this.service], { env: this.own(), timeout: 240_000 });
  }

  /** Graceful stop: Mosquitto saves its persistence file, Kafka closes its logs. */
  async down(): Promise<void> {
    await run('bash', [STACK_SH, 'down', this.service], { env: this.own(), timeout: 90_000 });
  }

  /** SIGKILL, as a crash would. */
  kill(): void {
    this.own();
    const pid = Number(readFileSync(path.join(this.dir!, 'run', `${this.service}.pid`), 'utf8').trim());
    if (pid > 0) process.kill(pid, 'SIGKILL');
  }

  async destroy(): Promise<void> {
    if (!this.env) return;
    await this.down().catch(() => undefined);
    rmSync(this.dir!, { recursive: true, force: true });
  }
}

export async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = Kafka.AdminClient.create({ 'bootstrap.servers': bootstrap });
  try {
    await new Promise<void>((resolve, reject) =>
      admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 30_000, (err) =>
        err ? reject(new Error(`creating ${topic}: ${err.message}`)) : resolve(),
      ),
    );
  } finally {
    admin.disconnect();
  }
}
