import net from 'node:net';
import tls from 'node:tls';
import type { ServerAddress } from './session-types';

/** The address of a server as logs and errors show it. */
export function serverLabel(server: ServerAddress): string {
  return `${server.tls ? 'mqtts' : 'mqtt'}://${server.host}:${server.port}`;
}

/**
 * Opens the TCP (or TLS) connection to one server. For TLS, SNI and the certificate's name check follow the server
 * being connected to (failover), never an IP literal. TCP keepalive backs up MQTT's while reads are paused.
 */
export function dial(
  server: ServerAddress,
  tlsOptions: tls.ConnectionOptions | undefined,
  keepaliveSeconds: number,
): net.Socket {
  const socket = server.tls
    ? tls.connect({
        ...tlsOptions,
        host: server.host,
        port: server.port,
        ...(net.isIP(server.host) === 0 ? { servername: server.host } : {}),
      })
    : net.connect({ host: server.host, port: server.port });
  socket.setNoDelay(true);
  socket.setKeepAlive(true, Math.max(1000, keepaliveSeconds * 1000));
  return socket;
}

/** Ends a connection with a last packet (built only if the socket is still writable); destroys it after 1 s. */
export function hangUp(socket: net.Socket, lastPacket: () => Buffer): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve();
    }, 1000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      socket.end(lastPacket());
    } catch {
      socket.destroy();
    }
  });
}
