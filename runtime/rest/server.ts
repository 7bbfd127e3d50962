import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { ConfigError, type ConfigIssue } from '../api';
import type { RestTlsSettings } from '../config';

/** A listening REST server. */
export interface RestServer {
  readonly server: Server;
  /** The bound port (useful when 0 asked for a free one). */
  readonly port: number;
  /** `http` or `https`. */
  readonly scheme: string;
  /** Stops accepting, drops idle and open keep-alive connections; idempotent. */
  close(): Promise<void>;
}

/** The PEM material of the HTTPS listener, read once at startup; a missing file names its setting. */
export interface TlsMaterial {
  readonly key: Buffer;
  readonly cert: Buffer;
  readonly ca?: Buffer;
  readonly clientAuth: RestTlsSettings['clientAuth'];
}

export function loadTlsMaterial(tls: RestTlsSettings): TlsMaterial {
  const issues: ConfigIssue[] = [];
  const read = (key: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      issues.push({ key, message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
      return Buffer.alloc(0);
    }
  };
  const key = read('rest.ssl.key.file', tls.keyFile);
  const cert = read('rest.ssl.cert.file', tls.certFile);
  const ca = tls.caFile !== undefined ? read('rest.ssl.ca.file', tls.caFile) : undefined;
  if (issues.length > 0) throw new ConfigError(issues, 'Invalid REST TLS settings');
  return { key, cert, ...(ca ? { ca } : {}), clientAuth: tls.clientAuth };
}

/** Listens on host:port, over HTTPS when TLS material is given; rejects if the port cannot be bound, naming it. */
export function startRestServer(app: Express, host: string, port: number, tls?: TlsMaterial): Promise<RestServer> {
  let server: Server;
  try {
    server = tls
      ? createHttpsServer(
          {
            key: tls.key,
            cert: tls.cert,
            ...(tls.ca ? { ca: tls.ca } : {}),
            requestCert: tls.clientAuth !== 'none',
            // 'requested': an unverified certificate still connects, but only a verified one counts (see auth).
            rejectUnauthorized: tls.clientAuth === 'required',
          },
          app,
        )
      : createServer(app);
  } catch (err) {
    // A key that does not match its certificate, or a file that is not PEM, fails here.
    return Promise.reject(new Error(`REST server cannot use its TLS key and certificate: ${(err as Error).message}`));
  }
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(new Error(`REST server cannot listen on ${host}:${port}: ${err.message}`, { cause: err })),
    );
    server.listen(port, host, () => {
      let closing: Promise<void> | undefined;
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        scheme: tls ? 'https' : 'http',
        close: () => {
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
          return closing;
        },
      });
    });
  });
}
