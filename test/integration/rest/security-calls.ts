/** Requests and fixtures shared by the REST security tests (security.test.ts, https.test.ts). */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { eventually, type WorkerHandle } from '../../helpers';

const STRING = 'org.apache.kafka.connect.storage.StringConverter';

export interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON bodies
  body: any;
}

export interface CallOptions {
  headers?: Record<string, string>;
  body?: string;
  /** HTTPS: the CA to trust and, optionally, a client certificate. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
}

/** One request with full control of the headers (fetch cannot set Host or present a client certificate). */
export function call(url: string, method: string, p: string, opts: CallOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage): void => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          /* not JSON: keep the text */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    };
    const options = { method, headers: opts.headers ?? {} };
    const req = opts.tls
      ? httpsRequest(`${url}${p}`, { ...options, ...opts.tls }, onResponse)
      : httpRequest(`${url}${p}`, options, onResponse);
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });
export const basic = (user: string, password: string): Record<string, string> => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
export const json = (auth: Record<string, string>): Record<string, string> => ({
  ...auth,
  'Content-Type': 'application/json',
});

export function counterConfig(topic: string, tasks: number): Record<string, string> {
  return {
    'connector.class': 'CounterSource',
    'tasks.max': String(tasks),
    'counter.tasks': String(tasks),
    'counter.topic': topic,
    'counter.batch': '1',
    'counter.interval.ms': '200',
    'key.converter': STRING,
    'value.converter': STRING,
  };
}

/**
 * Waits until each of two workers runs one of the connector's two tasks, asking `a`; returns the task `b` runs, so
 * that a restart asked of `a` has to be forwarded.
 */
export async function taskRunningOn(
  a: WorkerHandle,
  b: WorkerHandle,
  name: string,
  opts: CallOptions & { url?: string },
): Promise<{ id: number; state: string; worker_id: string }> {
  let seen: unknown;
  return eventually(
    async () => {
      const s = await call(opts.url ?? a.url, 'GET', `/connectors/${name}/status`, opts);
      seen = s.body;
      const tasks = (s.body?.tasks ?? []) as { id: number; state: string; worker_id: string }[];
      const running = tasks.filter((t) => t.state === 'RUNNING');
      if (running.length !== 2 || new Set(running.map((t) => t.worker_id)).size !== 2) return undefined;
      return running.find((t) => t.worker_id === `127.0.0.1:${b.port}`);
    },
    { what: 'one task RUNNING on each worker', timeoutMs: 120_000 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last status: ${JSON.stringify(seen)}`);
  });
}
