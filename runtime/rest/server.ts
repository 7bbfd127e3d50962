import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/** A listening REST server. */
export interface RestServer {
  readonly server: Server;
  /** The bound port (useful when 0 asked for a free one). */
  readonly port: number;
  /** Stops accepting, drops idle and open keep-alive connections; idempotent. */
  close(): Promise<void>;
}

/** Listens on host:port; rejects if the port cannot be bound (e.g. in use), naming it. */
export function startRestServer(app: Express, host: string, port: number): Promise<RestServer> {
  const server = createServer(app);
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(new Error(`REST server cannot listen on ${host}:${port}: ${err.message}`, { cause: err })),
    );
    server.listen(port, host, () => {
      let closing: Promise<void> | undefined;
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
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
