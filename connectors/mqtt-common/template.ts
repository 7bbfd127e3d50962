import { ConfigError, RecordError } from '../../runtime/api';
import { placeholderText } from './json-text';

/** Where one placeholder takes its value from: `${value.a[2].b}` is root `value`, path `['a', 2, 'b']`. */
export interface TemplatePath {
  /** One of the roots the config key allows, e.g. `value`, `header`, `mqtt.topic`. */
  readonly root: string;
  /** Field names and array indexes below the root (topic levels for `mqtt.topic[1]`, counting from 0). */
  readonly path: readonly (string | number)[];
  /** The expression as written between `${` and `}`. */
  readonly text: string;
}

/** A compiled template: compile once per config, render once per record. */
export interface Template {
  readonly source: string;
  /** No placeholder: every record renders the same text. */
  readonly isConstant: boolean;
  readonly placeholders: readonly TemplatePath[];
  /** Set when the whole template is one placeholder, so a caller can use the raw value (e.g. a boolean). */
  readonly single: TemplatePath | undefined;
  /**
   * Renders the template, asking `lookup` for each placeholder's value. A value that is undefined or null throws a
   * {@link RecordError} naming the placeholder. Strings are inserted as they are, bytes as UTF-8, numbers and
   * booleans as written, structs/maps/arrays as JSON.
   */
  render(lookup: (path: TemplatePath) => unknown): string;
}

type Part = string | TemplatePath;

/**
 * Compiles a template with `${...}` placeholders. `roots` lists the roots this config key allows (a root may contain
 * dots, e.g. `kafka.topic`); below a root, `.name`, `[index]` and `["name with . or ]"]` select fields, elements and
 * topic levels. `$${` writes a literal `${`. An unknown root or a malformed expression throws a {@link ConfigError}
 * naming `key`.
 */
export function compileTemplate(source: string, roots: readonly string[], key: string): Template {
  const parts: Part[] = [];
  const placeholders: TemplatePath[] = [];
  const byLength = [...roots].sort((a, b) => b.length - a.length);
  const fail = (message: string): never => {
    throw new ConfigError([{ key, message: `${message} in template "${source}"` }]);
  };
  let literal = '';
  let i = 0;
  while (i < source.length) {
    const dollar = source.indexOf('$', i);
    if (dollar < 0) {
      literal += source.slice(i);
      break;
    }
    literal += source.slice(i, dollar);
    if (source.startsWith('$${', dollar)) {
      literal += '${';
      i = dollar + 3;
      continue;
    }
    if (source[dollar + 1] !== '{') {
      literal += '$';
      i = dollar + 1;
      continue;
    }
    const end = closingBrace(source, dollar + 2);
    if (end < 0) fail(`unterminated placeholder at position ${dollar}`);
    const text = source.slice(dollar + 2, end).trim();
    const placeholder = parseExpression(text, byLength, roots, fail);
    if (literal.length > 0) parts.push(literal);
    literal = '';
    parts.push(placeholder);
    placeholders.push(placeholder);
    i = end + 1;
  }
  if (literal.length > 0 || parts.length === 0) parts.push(literal);
  const only = parts.length === 1 ? parts[0] : undefined;
  return new CompiledTemplate(source, parts, placeholders, typeof only === 'object' ? only : undefined);
}

class CompiledTemplate implements Template {
  readonly isConstant: boolean;
  constructor(
    readonly source: string,
    private readonly parts: readonly Part[],
    readonly placeholders: readonly TemplatePath[],
    readonly single: TemplatePath | undefined,
  ) {
    this.isConstant = placeholders.length === 0;
  }

  render(lookup: (path: TemplatePath) => unknown): string {
    let out = '';
    for (const part of this.parts) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      const value = lookup(part);
      if (value === undefined || value === null) throw new RecordError(`no value for \${${part.text}}`);
      out += placeholderText(value);
    }
    return out;
  }
}

/** The `}` closing a placeholder whose expression starts at `from`; braces inside quoted names don't count. */
function closingBrace(source: string, from: number): number {
  let quote: string | undefined;
  for (let j = from; j < source.length; j++) {
    const c = source[j];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '}') {
      return j;
    }
  }
  return -1;
}

function parseExpression(
  text: string,
  byLength: readonly string[],
  roots: readonly string[],
  fail: (message: string) => never,
): TemplatePath {
  if (text.length === 0) fail('empty placeholder ${}');
  const root = byLength.find(
    (r) => text === r || (text.startsWith(r) && (text[r.length] === '.' || text[r.length] === '[')),
  );
  if (root === undefined) {
    fail(`unknown placeholder \${${text}} (allowed: ${roots.map((r) => `\${${r}}`).join(', ')})`);
  }
  const r = root;
  const path: (string | number)[] = [];
  let i = r.length;
  while (i < text.length) {
    const c = text[i];
    if (c === '.') {
      let j = i + 1;
      while (j < text.length && text[j] !== '.' && text[j] !== '[') j++;
      const name = text.slice(i + 1, j);
      if (name.length === 0 || name.includes(']')) fail(`malformed placeholder \${${text}}`);
      path.push(name);
      i = j;
    } else if (c === '[') {
      const close = text[i + 1] === '"' || text[i + 1] === "'" ? text.indexOf(`${text[i + 1]}]`, i + 2) : -1;
      if (close >= 0) {
        path.push(text.slice(i + 2, close));
        i = close + 2;
        continue;
      }
      const end = text.indexOf(']', i);
      const index = end < 0 ? '' : text.slice(i + 1, end);
      if (!/^\d+$/.test(index)) fail(`malformed index in placeholder \${${text}} (use [0], [1]… or ["name"])`);
      path.push(Number(index));
      i = end + 1;
    } else {
      fail(`malformed placeholder \${${text}}`);
    }
  }
  return { root: r, path, text };
}

/**
 * Follows `path` into a value: struct fields and map entries (plain objects or `Map`) by name, array elements by
 * index. Undefined when any step is missing.
 */
export function resolvePath(value: unknown, path: readonly (string | number)[]): unknown {
  let cur = value;
  for (const step of path) {
    if (cur === undefined || cur === null) return undefined;
    if (cur instanceof Map) {
      cur = cur.has(step) ? cur.get(step) : cur.get(String(step));
    } else if (Array.isArray(cur)) {
      cur = typeof step === 'number' ? cur[step] : undefined;
    } else if (typeof cur === 'object' && !Buffer.isBuffer(cur)) {
      cur = Object.prototype.hasOwnProperty.call(cur, step) ? (cur as Record<string, unknown>)[step] : undefined;
    } else {
      return undefined;
    }
  }
  return cur;
}
