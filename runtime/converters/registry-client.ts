import { FerryError, RecordError, TaskFailedError, UnavailableError } from '../api';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const DEFAULT_TIMEOUT_MS = 10_000;

export interface RegistryClientOptions {
  /** Base URL of the Confluent-compatible API, e.g. `http://127.0.0.1:8081/apis/ccompat/v7`. */
  readonly url: string;
  /** `user:password` for HTTP basic auth; never logged. */
  readonly userInfo?: string;
  readonly timeoutMs?: number;
}

/**
 * The few calls of the Confluent schema-registry API the Avro converter needs. Written on fetch rather than through
 * @kafkajs/confluent-schema-registry because that client changes subject compatibility when it registers and
 * retries internally; here every failure is classified once: unreachable or 5xx → UnavailableError (the pipeline
 * retries), a schema the registry refuses → RecordError, bad credentials → TaskFailedError.
 */
export class RegistryClient {
  private readonly baseUrl: string;
  private readonly authHeader: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: RegistryClientOptions) {
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.authHeader =
      options.userInfo !== undefined && options.userInfo !== ''
        ? `Basic ${Buffer.from(options.userInfo, 'utf8').toString('base64')}`
        : undefined;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Registers (or finds) `schema` under `subject`; the registry answers the same id for an identical schema. */
  async register(subject: string, schema: string): Promise<number> {
    const body = await this.call('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema });
    return idOf(body, subject);
  }

  /** The id of `schema` under `subject`, or undefined when that subject does not hold it. */
  async lookup(subject: string, schema: string): Promise<number | undefined> {
    const body = await this.call('POST', `/subjects/${encodeURIComponent(subject)}`, { schema }, true);
    return body === undefined ? undefined : idOf(body, subject);
  }

  /** Latest version of a subject, or undefined when the subject does not exist. */
  async latest(subject: string): Promise<{ id: number; schema: string } | undefined> {
    const body = await this.call('GET', `/subjects/${encodeURIComponent(subject)}/versions/latest`, undefined, true);
    if (body === undefined) return undefined;
    return {
      id: idOf(body, subject),
      schema: ((s: unknown) => (typeof s === 'string' ? s : ''))((body as { schema?: unknown }).schema),
    };
  }

  /** The schema text registered with `id`. */
  async schemaById(id: number): Promise<string> {
    const body = await this.call('GET', `/schemas/ids/${id}`, undefined, true);
    if (body === undefined) throw new RecordError(`schema id ${id} is not known to the schema registry`);
    const schema = (body as { schema?: unknown }).schema;
    if (typeof schema !== 'string') throw new UnavailableError(`schema registry answered no schema for id ${id}`);
    return schema;
  }

  private async call(method: string, path: string, body: unknown, notFoundIsUndefined = false): Promise<unknown> {
    const headers: Record<string, string> = { Accept: CONTENT_TYPE };
    if (body !== undefined) headers['Content-Type'] = CONTENT_TYPE;
    if (this.authHeader !== undefined) headers['Authorization'] = this.authHeader;
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new UnavailableError(`schema registry at ${this.baseUrl} is unreachable: ${causeText(err)}`, {
        cause: err,
      });
    }
    const text = await res.text().catch(() => '');
    if (res.ok) {
      try {
        return JSON.parse(text);
      } catch {
        throw new UnavailableError(`schema registry answered ${method} ${path} with invalid JSON`);
      }
    }
    if (res.status === 404 && notFoundIsUndefined) return undefined;
    const detail = registryMessage(text);
    if (res.status === 401 || res.status === 403) {
      throw new TaskFailedError(`schema registry refused the credentials (${res.status}); check basic.auth.user.info`);
    }
    if (res.status >= 500 || res.status === 429 || res.status === 408) {
      throw new UnavailableError(`schema registry answered ${res.status} to ${method} ${path}: ${detail}`);
    }
    throw new RecordError(`schema registry refused ${method} ${path} (${res.status}): ${detail}`);
  }
}

function idOf(body: unknown, subject: string): number {
  const id = (body as { id?: unknown } | null)?.id;
  if (typeof id !== 'number') throw new FerryError('UNAVAILABLE', `schema registry answered no id for ${subject}`);
  return id;
}

function registryMessage(text: string): string {
  try {
    const o = JSON.parse(text) as { message?: unknown; detail?: unknown };
    const m = typeof o.message === 'string' ? o.message : typeof o.detail === 'string' ? o.detail : text;
    return m.slice(0, 500);
  } catch {
    return text.slice(0, 500);
  }
}

function causeText(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
