import { ConfigError, type ConfigIssue, type RawConfig } from '../api';
import { allowedRealPath, FileRefusedError, MAX_PROVIDER_FILE_BYTES, readCappedFile } from './file-reader';
import { parseProperties } from './properties';
import { rememberResolved } from './secret-values';

/** `${provider:path:key}` or `${provider:key}`, as Kafka's ConfigTransformer. */
const PLACEHOLDER = /\$\{([A-Za-z0-9_.-]+):([^}]*)\}/g;
const PROVIDERS = new Set(['env', 'file']);
/** Distinct files one config may name: each is read whole (up to the cap), so their number is bounded too. */
export const MAX_PROVIDER_FILES = 16;

/** What the worker lets placeholders read (worker settings `config.providers.*`). Empty lists: nothing. */
export interface ConfigProviderPolicy {
  /** Files and folders `${file:…}` may read (`config.providers.file.allowed.paths`). */
  readonly fileAllowedPaths: readonly string[];
  /** Variables `${env:…}` may read (`config.providers.env.allowed.names`); an entry ending in `*` is a prefix. */
  readonly envAllowedNames: readonly string[];
  readonly maxFileBytes?: number;
}

/** Whether a value holds a `${env:…}` or `${file:…}` placeholder. */
export function hasPlaceholders(value: string): boolean {
  PLACEHOLDER.lastIndex = 0;
  for (const m of value.matchAll(PLACEHOLDER)) if (PROVIDERS.has(m[1] as string)) return true;
  return false;
}

function lookupJson(doc: unknown, key: string): unknown {
  // Own keys only: `constructor` or `__proto__` must not reach into the prototype.
  if (doc !== null && typeof doc === 'object' && Object.hasOwn(doc, key)) return (doc as Record<string, unknown>)[key];
  // Nested keys with dots: `db.password` → doc.db.password.
  let cur: unknown = doc;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

type FileData = { kind: 'properties'; map: Map<string, string> } | { kind: 'json'; doc: unknown };

/** `${file:/path:key}` split into path and key; undefined when there is no key. */
function splitFileRef(rest: string): { path: string; name: string } | undefined {
  const colon = rest.lastIndexOf(':');
  if (colon <= 0) return undefined;
  return { path: rest.slice(0, colon), name: rest.slice(colon + 1) };
}

/**
 * Resolves `${env:VAR}` and `${file:/path:key}` (a .properties or .json file) in connector configs, within what
 * the worker allows: a variable on the env allow-list, a regular file of bounded size inside an allowed path.
 * Both lists are empty by default, so a worker whose operator did not opt in reads nothing for a REST caller.
 *
 * Errors name the config key and the variable or file, never a value or a file's content; every value it
 * substitutes is remembered so that output paths can scrub it (secret-values.ts).
 */
export class ConfigProviders {
  private readonly maxFileBytes: number;

  constructor(
    private readonly policy: ConfigProviderPolicy,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.maxFileBytes = policy.maxFileBytes ?? MAX_PROVIDER_FILE_BYTES;
  }

  private envAllowed(name: string): boolean {
    return this.policy.envAllowedNames.some((e) => (e.endsWith('*') ? name.startsWith(e.slice(0, -1)) : e === name));
  }

  /** Reads the files a config names (in parallel, none twice); a refused or unreadable one maps to its reason. */
  private async readFiles(raw: RawConfig): Promise<Map<string, FileData | string>> {
    const paths = new Set<string>();
    for (const value of Object.values(raw)) {
      if (!value.includes('${')) continue;
      for (const m of value.matchAll(PLACEHOLDER)) {
        const ref = m[1] === 'file' ? splitFileRef(m[2] as string) : undefined;
        if (ref) paths.add(ref.path);
      }
    }
    const out = new Map<string, FileData | string>();
    let budget = MAX_PROVIDER_FILES;
    await Promise.all(
      [...paths].map(async (p) => {
        if (budget-- <= 0) {
          out.set(p, `more than ${MAX_PROVIDER_FILES} different files in one config`);
          return;
        }
        out.set(p, await this.readFile(p));
      }),
    );
    return out;
  }

  private async readFile(file: string): Promise<FileData | string> {
    // Refused before anything touches the file: a caller learns nothing about files outside the list.
    const real = await allowedRealPath(file, this.policy.fileAllowedPaths);
    if (real === undefined) {
      return this.policy.fileAllowedPaths.length === 0
        ? `file placeholders are off on this worker (config.providers.file.allowed.paths is not set)`
        : `file '${file}' is not inside config.providers.file.allowed.paths`;
    }
    let text: string;
    try {
      text = (await readCappedFile(real, this.maxFileBytes)).toString('utf8');
    } catch (err) {
      return err instanceof FileRefusedError ? err.message.replace(real, file) : `file '${file}' cannot be read`;
    }
    if (!file.toLowerCase().endsWith('.json')) return { kind: 'properties', map: parseProperties(text) };
    try {
      return { kind: 'json', doc: JSON.parse(text) as unknown };
    } catch {
      // JSON.parse's message quotes the text around the error: not passed on.
      return `file '${file}' is not valid JSON`;
    }
  }

  /**
   * A copy of `raw` with every placeholder resolved. Throws a ConfigError naming each key whose placeholder cannot
   * be resolved (not allowed, missing, unreadable); unknown providers are left as written, as Kafka does.
   */
  async resolve(raw: RawConfig): Promise<RawConfig> {
    if (!Object.values(raw).some((v) => v.includes('${'))) return raw;
    const files = await this.readFiles(raw);
    const issues: ConfigIssue[] = [];
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (!value.includes('${')) {
        out[key] = value;
        continue;
      }
      out[key] = value.replace(PLACEHOLDER, (whole, provider: string, rest: string) => {
        const v =
          provider === 'env'
            ? this.envValue(key, rest, issues)
            : provider === 'file'
              ? this.fileValue(key, rest, files, issues)
              : whole;
        if (v === undefined) return whole;
        rememberResolved(v);
        return v;
      });
    }
    if (issues.length > 0) throw new ConfigError(issues, 'Cannot resolve config placeholders');
    return out;
  }

  private envValue(key: string, name: string, issues: ConfigIssue[]): string | undefined {
    // Same answer for a variable that is set and one that is not: the allow-list decides before the lookup.
    if (!this.envAllowed(name)) {
      issues.push({
        key,
        message:
          this.policy.envAllowedNames.length === 0
            ? 'env placeholders are off on this worker (config.providers.env.allowed.names is not set)'
            : `environment variable '${name}' is not in config.providers.env.allowed.names`,
      });
      return undefined;
    }
    const v = this.env[name];
    if (v === undefined) issues.push({ key, message: `environment variable '${name}' is not set` });
    return v;
  }

  private fileValue(
    key: string,
    rest: string,
    files: Map<string, FileData | string>,
    issues: ConfigIssue[],
  ): string | undefined {
    const ref = splitFileRef(rest);
    if (!ref) {
      issues.push({ key, message: 'file placeholder must be ${file:/path:key}' });
      return undefined;
    }
    const data = files.get(ref.path);
    if (data === undefined || typeof data === 'string') {
      issues.push({ key, message: data ?? `file '${ref.path}' cannot be read` });
      return undefined;
    }
    const v = data.kind === 'properties' ? data.map.get(ref.name) : lookupJson(data.doc, ref.name);
    if (v === undefined || v === null) {
      issues.push({ key, message: `key '${ref.name}' not found in file '${ref.path}'` });
      return undefined;
    }
    return typeof v === 'string' ? v : JSON.stringify(v);
  }
}
