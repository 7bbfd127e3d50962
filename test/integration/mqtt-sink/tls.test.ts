import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { MqttSinkTask } from '../../../connectors/mqtt-sink';
import { eventually, freePort, uniqueId } from '../../helpers';
import { SinkHarness, sinkRecord } from './harness';

const run = promisify(execFile);

/**
 * A Mosquitto of this test's own with a TLS listener, its certificate issued by a throw-away CA for the name
 * "localhost" only — so connecting to 127.0.0.1 is a host name mismatch.
 */
class TlsBroker {
  private proc: ChildProcess | undefined;
  readonly dir = mkdtempSync(path.join(tmpdir(), 'ferry-mqtt-tls-'));
  port = 0;

  get ca(): string {
    return path.join(this.dir, 'ca.pem');
  }

  async start(): Promise<void> {
    const d = (f: string): string => path.join(this.dir, f);
    const ssl = (...args: string[]) => run('openssl', args, { cwd: this.dir });
    await ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      d('ca.key'),
      '-out',
      d('ca.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=Ferry Test CA',
    );
    await ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      d('server.key'),
      '-out',
      d('server.csr'),
      '-subj',
      '/CN=localhost',
    );
    writeFileSync(d('ext.cnf'), 'subjectAltName=DNS:localhost\n');
    await ssl(
      'x509',
      '-req',
      '-in',
      d('server.csr'),
      '-CA',
      d('ca.pem'),
      '-CAkey',
      d('ca.key'),
      '-CAcreateserial',
      '-out',
      d('server.pem'),
      '-days',
      '1',
      '-extfile',
      d('ext.cnf'),
    );
    this.port = await freePort();
    writeFileSync(
      d('mosquitto.conf'),
      [
        `listener ${this.port} 127.0.0.1`,
        'allow_anonymous true',
        `user ${process.env.USER ?? 'root'}`,
        `cafile ${d('ca.pem')}`,
        `certfile ${d('server.pem')}`,
        `keyfile ${d('server.key')}`,
        'persistence false',
        'log_dest stderr',
        'log_type error',
      ].join('\n') + '\n',
    );
    this.proc = spawn('/usr/sbin/mosquitto', ['-c', d('mosquitto.conf')], { stdio: 'ignore' });
    await eventually(
      () => {
        (() => this.probe())();
        return (() => this.proc?.exitCode === null && this.listening)();
      },
      { what: 'the TLS broker', timeoutMs: 15_000 },
    );
  }

  private listening = false;
  private probe(): void {
    const s = connect(this.port, '127.0.0.1', () => {
      this.listening = true;
      s.destroy();
    });
    s.on('error', () => undefined);
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('MQTT sink over TLS', () => {
  let broker: TlsBroker;
  beforeAll(async () => {
    broker = new TlsBroker();
    await broker.start();
  });
  afterAll(async () => {
    await broker.stop();
  });

  async function publishOnce(config: Record<string, unknown>): Promise<{ h: SinkHarness; error?: unknown }> {
    const values = {
      topics: 'orders',
      'mqtt.topic': `${uniqueId('tls')}/t`,
      'mqtt.ssl.ca': broker.ca,
      'mqtt.connect.timeout.ms': 3000,
      'mqtt.reconnect.backoff.ms': 100,
      ...config,
    };
    const h = new SinkHarness(uniqueId('sinktls'), values);
    const task = new MqttSinkTask();
    try {
      await task.start(h);
      await task.put([sinkRecord({ offset: 0, value: { ok: true } })]);
      await task.flush(AbortSignal.timeout(10_000));
      return { h };
    } catch (error) {
      return { h, error };
    } finally {
      await task.stop();
    }
  }

  it('publishes over TLS when the certificate matches the host', async () => {
    const { h, error } = await publishOnce({ 'mqtt.server.uri': `mqtts://localhost:${broker.port}` });
    expect(error).toBeUndefined();
    expect(h.acks.get('orders/0/0')).toBe(1);
  });

  it('refuses a certificate for another host name unless host name verification is off', async () => {
    const strict = await publishOnce({ 'mqtt.server.uri': `ssl://127.0.0.1:${broker.port}` });
    expect((strict.error as Error).message).toMatch(/does not match certificate's altnames/);
    expect(strict.h.acks.size).toBe(0);
    const relaxed = await publishOnce({
      'mqtt.server.uri': `ssl://127.0.0.1:${broker.port}`,
      'mqtt.ssl.verify.hostname': false,
    });
    expect(relaxed.error).toBeUndefined();
    expect(relaxed.h.acks.get('orders/0/0')).toBe(1);
  });

  it('refuses a broker whose certificate is not signed by the configured CA', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'ferry-mqtt-otherca-'));
    try {
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        path.join(other, 'k'),
        '-out',
        path.join(other, 'ca.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=Other CA',
      ]);
      const res = await publishOnce({
        'mqtt.server.uri': `mqtts://localhost:${broker.port}`,
        'mqtt.ssl.ca': path.join(other, 'ca.pem'),
      });
      expect((res.error as Error).message).toMatch(/certificate/);
      expect(res.h.acks.size).toBe(0);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
