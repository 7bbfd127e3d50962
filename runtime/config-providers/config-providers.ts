import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigIssue, type RawConfig } from '../api';

/** `${provider:path:key}` or `${provider:key}`, as Kafka's ConfigTransformer. */
const PLACEHOLDER = /\$\{([A-Za-z0-9_.-]+):([^}]*)\}/g;
const PROVIDERS = new Set(['env', 'file']);

/** Whether a value holds a `${env:…}` or `${file:…}` placeholder. */
export function hasPlaceholders(value: string): boolean {
  PLACEHOLDER.lastIndex = 0;
  for (const m of value.matchAll(PLACEHOLDER)) if (PROVIDERS.has(m[1] as string)) return true;
  return false;
}

/** Parses a Java .properties file: `key=value`, `key: value`, `key value`, comments, continuations, escapes. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] as string).replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    // An odd number of trailing backslashes continues the line.
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + (lines[++i] as string).replace(/^\s+/, '');
    }
    const m = /^((?:\\.|[^=:\s\\])*)\s*[=:\s]?\s*(.*)$/.exec(line);
    if (!m) continue;
    out.set(unescape(m[1] as string), unescape(m[2] as string));
  }
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'f' ? '\f' : c;
  });
}

function lookupJson(doc: unknown, key: string): unknown {
  if (doc !== null && typeof doc === 'object' && key in doc) return (doc as Record<string, unknown>)[key];
  // Nested keys with dots: `db.password` → doc.db.password.
  let cur: unknown = doc;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(part in cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

type FileData = { kind: 'properties'; map: Map<string, string> } | { kind: 'json'; doc: unknown };

/**
 * Resolves `${env:VAR}` and `${file:/path:key}` (a .properties or .json file) in every value. Throws a ConfigError
 * naming each config key whose placeholder cannot be resolved; messages never contain resolved values.
 */
export function resolveConfigProviders(raw: RawConfig, env: NodeJS.ProcessEnv = process.env): RawConfig {
  const issues: ConfigIssue[] = [];
  const files = new Map<string, FileData | Error>();
  const readFile = (path: string): FileData | Error => {
    let data = files.get(path);
    if (data === undefined) {
      try {
        const text = readFileSync(path, 'utf8');
        data = path.toLowerCase().endsWith('.json')
          ? { kind: 'json', doc: JSON.parse(text) as unknown }
          : { kind: 'properties', map: parseProperties(text) };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        data = new Error(
          code === 'ENOENT'
            ? `file '${path}' does not exist`
            : code
              ? `file '${path}' cannot be read (${code})`
              : `file '${path}' is not valid JSON`,
        );
      }
      files.set(path, data);
    }
    return data;
  };

  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!value.includes('${')) {
      out[key] = value;
      continue;
    }
    out[key] = value.replace(PLACEHOLDER, (whole, provider: string, rest: string) => {
      if (provider === 'env') {
        const v = env[rest];
        if (v === undefined) issues.push({ key, message: `environment variable '${rest}' is not set` });
        return v ?? whole;
      }
      if (provider === 'file') {
        const colon = rest.lastIndexOf(':');
        if (colon <= 0) {
          issues.push({ key, message: 'file placeholder must be ${file:/path:key}' });
          return whole;
        }
        const path = rest.slice(0, colon);
        const name = rest.slice(colon + 1);
        const data = readFile(path);
        if (data instanceof Error) {
          issues.push({ key, message: data.message });
          return whole;
        }
        const v = data.kind === 'properties' ? data.map.get(name) : lookupJson(data.doc, name);
        if (v === undefined || v === null) {
          issues.push({ key, message: `key '${name}' not found in file '${path}'` });
          return whole;
        }
        return typeof v === 'string' ? v : JSON.stringify(v);
      }
      // Unknown providers are left as written, as Kafka does for unconfigured ones.
      return whole;
    });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'Cannot resolve config placeholders');
  return out;
}
