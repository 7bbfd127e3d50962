import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createRootLogger, LoggerRegistry } from '../../../runtime/logging';
import { createRestApp, startRestServer, type RestDeps, type RestServer } from '../../../runtime/rest';
import { MemoryHerder } from './memory-herder';

export interface Reply {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

/** The REST app on an ephemeral loopback port over a MemoryHerder, with its log captured. */
export class RestHarness {
  readonly herder = new MemoryHerder();
  readonly logText: string[] = [];
  readonly root = createRootLogger(
    'debug',
    new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.logText.push(chunk.toString());
        cb();
      },
    }),
  );
  readonly loggers = new LoggerRegistry(this.root);
  server?: RestServer;

  async start(deps: Partial<RestDeps> = {}): Promise<this> {
    const app = createRestApp(this.herder, {
      loggers: this.loggers,
      logger: this.loggers.logger('ferry.rest'),
      ...deps,
    });
    this.server = await startRestServer(app, '127.0.0.1', 0);
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.server.address() as AddressInfo).port}`;
  }

  /** A request; a string body is sent as is (for malformed JSON), anything else as JSON. */
  async call(method: string, path: string, body?: unknown): Promise<Reply> {
    const init: RequestInit = { method, headers: { 'Content-Type': 'application/json' } };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(this.url + path, init);
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text, headers: res.headers };
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }
}

/** A create request for the fixture source connector, with `extra` config. */
export const source = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  config: { 'connector.class': 'CounterSourceConnector', topic: 'counter', 'tasks.max': '2', ...extra },
});
