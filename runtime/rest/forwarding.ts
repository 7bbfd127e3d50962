import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TlsMaterial } from './server';

/** What a forwarded call answers: enough for the caller to report the other worker's refusal. */
export interface ForwardedResponse {
  readonly status: number;
  readonly body: string;
}

/** Sends a request to another worker of the cluster, addressed by its worker id (its advertised `host:port`). */
export type ForwardRequest = (
  workerId: string,
  method: string,
  path: string,
  signal: AbortSignal,
) => Promise<ForwardedResponse>;

const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Worker-to-worker calls. They speak the scheme this worker's own listener speaks (a cluster is configured alike),
 * carry rest.auth.internal.token when set, and over HTTPS trust rest.ssl.ca.file and present this worker's own
 * certificate, so a cluster whose listeners require client certificates can still forward.
 */
export function createForwarder(opts: { tls?: TlsMaterial; internalToken?: string }): ForwardRequest {
  const { tls, internalToken } = opts;
  return (workerId, method, path, signal) =>
    new Promise((resolve, reject) => {
      const url = new URL(`${tls ? 'https' : 'http'}://${workerId}${path}`);
      const headers: Record<string, string> = {};
      if (internalToken !== undefined) headers.Authorization = `Bearer ${internalToken}`;
      const options = { method, headers, signal };
      const onResponse = (res: import('node:http').IncomingMessage): void => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < MAX_ANSWER_BYTES) body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      };
      const req = tls
        ? httpsRequest(url, { ...options, ...(tls.ca ? { ca: tls.ca } : {}), key: tls.key, cert: tls.cert }, onResponse)
        : httpRequest(url, options, onResponse);
      req.on('error', reject);
      req.end();
    });
}
