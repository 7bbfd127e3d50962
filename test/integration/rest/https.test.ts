/**
 * The REST API over HTTPS on real `ferry worker` processes: a CA, server and client certificates generated here with
 * openssl, client certificates required, and a task restart forwarded between two HTTPS workers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, freePort, freshCluster, startWorker, uniqueId, type WorkerHandle } from '../../helpers';
import { call, counterConfig, taskRunningOn } from './security-calls';

jest.setTimeout(300_000);

describe('HTTPS with a generated CA and required client certificates', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-rest-https-'));
  const file = (n: string): string => path.join(dir, n);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'pipe' });
  };
  const cluster = freshCluster('rest-tls');
  let w: WorkerHandle;
  let url: string;
  const others: WorkerHandle[] = [];
  const ca = (): Buffer => readFileSync(file('ca.pem'));
  const clientCert = (): { ca: Buffer; cert: Buffer; key: Buffer } => ({
    ca: ca(),
    cert: readFileSync(file('client.pem')),
    key: readFileSync(file('client.key')),
  });

  /** Starts an HTTPS worker of `cluster` and waits until it answers /health to a client with a certificate. */
  const startTlsWorker = async (): Promise<{ w: WorkerHandle; url: string }> => {
    const port = await freePort();
    const at = `https://127.0.0.1:${port}`;
    const worker = await startWorker(cluster, {
      port,
      waitHealthy: false,
      env: {
        FERRY_REST_SSL_KEY_FILE: file('server.key'),
        FERRY_REST_SSL_CERT_FILE: file('server.pem'),
        FERRY_REST_SSL_CA_FILE: file('ca.pem'),
        FERRY_REST_SSL_CLIENT_AUTHENTICATION: 'required',
      },
    });
    await eventually(async () => (await call(at, 'GET', '/health', { tls: clientCert() })).status === 200, {
      what: `the HTTPS worker healthy; its output:\n${worker.output().slice(-2000)}`,
      timeoutMs: 90_000,
    });
    return { w: worker, url: at };
  };

  beforeAll(async () => {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=ferry-test-ca',
    );
    // The server certificate names what the workers advertise (127.0.0.1): forwarding checks it too.
    writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    for (const [n, serial, ext] of [
      ['server', '2', ['-extfile', file('server.ext')]],
      ['client', '3', []],
    ] as const) {
      openssl('req', ...ec, '-keyout', file(`${n}.key`), '-out', file(`${n}.csr`), '-subj', `/CN=ferry-test-${n}`);
      openssl(
        'x509',
        '-req',
        '-in',
        file(`${n}.csr`),
        '-CA',
        file('ca.pem'),
        '-CAkey',
        file('ca.key'),
        '-set_serial',
        serial,
        '-days',
        '1',
        '-out',
        file(`${n}.pem`),
        ...ext,
      );
    }
    ({ w, url } = await startTlsWorker());
  });
  afterAll(async () => {
    await Promise.all([w, ...others].map((x) => x.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the API over HTTPS to a client whose certificate chains to the CA', async () => {
    const r = await call(url, 'GET', '/connectors', { tls: clientCert() });
    expect({ status: r.status, body: r.body as unknown }).toEqual({ status: 200, body: [] });
    expect(w.output()).toMatch(/"url":"https:\/\/127\.0\.0\.1:\d+"/);
  });

  it('refuses a client without a certificate in the handshake, and plain HTTP', async () => {
    await expect(call(url, 'GET', '/connectors', { tls: { ca: ca() } })).rejects.toThrow();
    await expect(call(url, 'GET', '/health', { tls: { ca: ca() } })).rejects.toThrow();
    const plain = await call(url.replace('https:', 'http:'), 'GET', '/connectors').catch((err: Error) => err);
    // Node's TLS server drops the connection or answers 400: either way, no API over plain HTTP.
    expect(plain instanceof Error ? 'refused' : plain.status).not.toBe(200);
  });

  it('forwards a task restart to another HTTPS worker, presenting its own certificate', async () => {
    const other = await startTlsWorker();
    others.push(other.w);
    const name = uniqueId('tlsfwd');
    const created = await call(url, 'POST', '/connectors', {
      tls: clientCert(),
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name, config: counterConfig(uniqueId('t'), 2) }),
    });
    expect(created.status).toBe(201);
    const onOther = await taskRunningOn(w, other.w, name, { url, tls: clientCert() });
    const restarted = await call(url, 'POST', `/connectors/${name}/tasks/${onOther.id}/restart`, { tls: clientCert() });
    // Over plain HTTP, or without a certificate the other worker accepts, this would be a 409 naming that worker.
    expect({ status: restarted.status, body: restarted.body as unknown }).toEqual({ status: 204, body: undefined });
    await call(url, 'DELETE', `/connectors/${name}`, { tls: clientCert() });
  });
});
