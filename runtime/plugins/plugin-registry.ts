import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { ConnectorPlugin, Logger } from '../api';

/** What `loadPluginPath` did, for the caller's startup log and for tests. */
export interface PluginLoadReport {
  /** Class names registered from the plugin path. */
  readonly loaded: string[];
  /** Modules (or folders) that could not be loaded, with the reason. */
  readonly failed: { path: string; error: string }[];
}

/**
 * A module counts as a plugin when it has the shape of ConnectorPlugin. Plugins loaded from `plugin.path` are
 * untrusted input: checking the shape here turns a wrong export into a logged skip instead of a crash later.
 */
export function isConnectorPlugin(value: unknown): value is ConnectorPlugin {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  const config = p.config as Record<string, unknown> | undefined;
  return (
    typeof p.className === 'string' &&
    p.className.length > 0 &&
    (p.type === 'source' || p.type === 'sink') &&
    typeof p.version === 'string' &&
    typeof p.createConnector === 'function' &&
    typeof p.createTask === 'function' &&
    typeof config === 'object' &&
    config !== null &&
    typeof config.properties === 'object' &&
    config.properties !== null &&
    (p.aliases === undefined || (Array.isArray(p.aliases) && p.aliases.every((a) => typeof a === 'string')))
  );
}

/** Every plugin object a module exports: `module.exports = plugin`, `exports.default`, named exports or arrays of them. */
function pluginsExportedBy(mod: unknown): ConnectorPlugin[] {
  const found = new Set<ConnectorPlugin>();
  const visit = (v: unknown, depth: number): void => {
    if (isConnectorPlugin(v)) {
      found.add(v);
      return;
    }
    if (depth > 1 || v === null || (typeof v !== 'object' && typeof v !== 'function')) return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
      return;
    }
    for (const key of Object.keys(v)) visit((v as Record<string, unknown>)[key], depth + 1);
  };
  visit(mod, 0);
  return [...found];
}

/** The simple name (`a.b.FooConnector` → `FooConnector`) and the pruned one (`Foo`), as Connect derives aliases. */
function derivedAliases(name: string): string[] {
  const simple = name.slice(name.lastIndexOf('.') + 1);
  const out = [simple];
  if (simple.endsWith('Connector') && simple.length > 'Connector'.length)
    out.push(simple.slice(0, -'Connector'.length));
  return out;
}

/**
 * The connector plugins a worker knows: the built-ins plus those found on `plugin.path`. Lookup accepts the class
 * name, a declared alias, or a derived short name (simple name, or simple name without `Connector`) when that short
 * name is unique, as Connect resolves aliases.
 */
export class PluginRegistry {
  private readonly plugins: ConnectorPlugin[] = [];
  private readonly exact = new Map<string, ConnectorPlugin>();
  private short = new Map<string, ConnectorPlugin | null>();

  constructor(builtins: readonly ConnectorPlugin[]) {
    for (const p of builtins) {
      const clash = this.clashOf(p);
      if (clash !== undefined) throw new Error(`Built-in plugin ${p.className}: name ${clash} is already registered`);
      this.add(p);
    }
  }

  /**
   * Loads every JS module in each folder: files ending in .js/.cjs, and sub-folders (required as packages). A module
   * that throws, exports no plugin or reuses a registered name is logged and skipped; loading never throws.
   */
  loadPluginPath(dirs: readonly string[], logger: Logger): PluginLoadReport {
    const report: PluginLoadReport = { loaded: [], failed: [] };
    const load = createRequire(__filename);
    for (const dir of dirs) {
      const root = resolve(dir);
      let entries: string[];
      try {
        entries = readdirSync(root).sort();
      } catch (err) {
        const error = (err as Error).message;
        logger.warn({ path: root, error }, 'plugin.path folder cannot be read; skipped');
        report.failed.push({ path: root, error });
        continue;
      }
      for (const entry of entries) {
        if (entry.startsWith('.')) continue;
        const path = join(root, entry);
        let isDir: boolean;
        try {
          isDir = statSync(path).isDirectory();
        } catch {
          continue;
        }
        if (!isDir && !/\.c?js$/.test(entry)) continue;
        let mod: unknown;
        try {
          mod = load(path);
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          logger.error({ path, error }, 'plugin module failed to load; skipped');
          report.failed.push({ path, error });
          continue;
        }
        const found = pluginsExportedBy(mod);
        if (found.length === 0) {
          logger.warn({ path }, 'module exports no connector plugin; skipped');
          report.failed.push({ path, error: 'exports no connector plugin' });
          continue;
        }
        for (const p of found) {
          const clash = this.clashOf(p);
          if (clash !== undefined) {
            const error = `name ${clash} is already registered`;
            logger.error({ path, plugin: p.className, error }, 'plugin skipped');
            report.failed.push({ path, error });
            continue;
          }
          this.add(p);
          report.loaded.push(p.className);
          logger.info({ path, plugin: p.className, version: p.version, type: p.type }, 'plugin loaded');
        }
      }
    }
    return report;
  }

  /** By class name, declared alias, or unique derived short name. */
  find(classOrAlias: string): ConnectorPlugin | undefined {
    return this.exact.get(classOrAlias) ?? this.short.get(classOrAlias) ?? undefined;
  }

  /** All connector plugins, sorted by class name as Connect lists them. */
  connectorPlugins(): ConnectorPlugin[] {
    return [...this.plugins].sort((a, b) => a.className.localeCompare(b.className));
  }

  private clashOf(p: ConnectorPlugin): string | undefined {
    return [p.className, ...(p.aliases ?? [])].find((n) => this.exact.has(n));
  }

  private add(p: ConnectorPlugin): void {
    this.plugins.push(p);
    for (const n of [p.className, ...(p.aliases ?? [])]) this.exact.set(n, p);
    // Derived names are recomputed from scratch: a name two plugins derive belongs to neither (null).
    const short = new Map<string, ConnectorPlugin | null>();
    for (const q of this.plugins) {
      const names = new Set([q.className, ...(q.aliases ?? [])].flatMap(derivedAliases));
      for (const n of names) {
        if (this.exact.has(n)) continue;
        const prev = short.get(n);
        short.set(n, prev === undefined || prev === q ? q : null);
      }
    }
    this.short = short;
  }
}
