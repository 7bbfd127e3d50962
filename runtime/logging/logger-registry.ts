import type { Logger as PinoLogger } from 'pino';
import { FerryError } from '../api';

/** Connect's (log4j) level names, as `/admin/loggers` shows and accepts them. */
export const CONNECT_LEVELS = ['OFF', 'FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE', 'ALL'] as const;
export type ConnectLevel = (typeof CONNECT_LEVELS)[number];

const TO_PINO: Readonly<Record<ConnectLevel, string>> = {
  OFF: 'silent',
  FATAL: 'fatal',
  ERROR: 'error',
  WARN: 'warn',
  INFO: 'info',
  DEBUG: 'debug',
  TRACE: 'trace',
  ALL: 'trace',
};

export const ROOT_LOGGER = 'root';

/** `{"level":"INFO","last_modified":<ms since epoch, or null if never set through the API>}` */
export interface LoggerLevel {
  readonly level: string;
  readonly last_modified: number | null;
}

function connectLevel(pinoLevel: string): string {
  return pinoLevel === 'silent' ? 'OFF' : pinoLevel.toUpperCase();
}

/** Parses a level as Connect does (case-insensitive log4j names); BAD_REQUEST for anything else. */
export function parseConnectLevel(level: unknown): ConnectLevel {
  const up = typeof level === 'string' ? level.trim().toUpperCase() : '';
  if (!(CONNECT_LEVELS as readonly string[]).includes(up)) {
    throw new FerryError(
      'BAD_REQUEST',
      `Invalid log level '${String(level)}'; expected one of ${CONNECT_LEVELS.join(', ')}`,
    );
  }
  return up as ConnectLevel;
}

/**
 * Named loggers in Connect's dotted hierarchy (`ferry.worker`, `ferry.connector.<name>`), each a pino child of
 * the root with a `logger` binding. Setting a level applies to the name and every name below it, as log4j does
 * through `/admin/loggers`. Children made from a named logger (e.g. per task) inherit its level live, because a
 * pino child reads its level from its parent until one is set on the child itself.
 */
export class LoggerRegistry {
  private readonly named = new Map<string, PinoLogger>();
  private readonly modified = new Map<string, number>();

  constructor(private readonly root: PinoLogger) {}

  /** The logger of that name (created on first use), or a child of it carrying `bindings`. */
  logger(name: string, bindings?: Record<string, unknown>): PinoLogger {
    const named = name === ROOT_LOGGER ? this.root : (this.named.get(name) ?? this.create(name));
    return bindings === undefined ? named : named.child(bindings);
  }

  /** Every known logger with its effective level, root first. */
  levels(): Record<string, LoggerLevel> {
    const out: Record<string, LoggerLevel> = { [ROOT_LOGGER]: this.levelInfo(ROOT_LOGGER, this.root) };
    for (const name of [...this.named.keys()].sort()) out[name] = this.levelInfo(name, this.named.get(name)!);
    return out;
  }

  /** The level of one logger, or undefined if no logger has that name. */
  level(name: string): LoggerLevel | undefined {
    if (name === ROOT_LOGGER) return this.levelInfo(name, this.root);
    const l = this.named.get(name);
    return l === undefined ? undefined : this.levelInfo(name, l);
  }

  /**
   * Sets the level of `name` and every logger below it (root: all loggers); returns the names changed, sorted.
   * An unknown name is created, so loggers made later under it start at this level.
   */
  setLevel(name: string, level: unknown): string[] {
    const parsed = parseConnectLevel(level);
    const pinoLevel = TO_PINO[parsed];
    const now = Date.now();
    if (name !== ROOT_LOGGER && !this.named.has(name)) this.create(name);
    const changed: string[] = [];
    if (name === ROOT_LOGGER) {
      this.root.level = pinoLevel;
      this.modified.set(ROOT_LOGGER, now);
      changed.push(ROOT_LOGGER);
    }
    for (const [n, l] of this.named) {
      if (name === ROOT_LOGGER || n === name || n.startsWith(`${name}.`)) {
        l.level = pinoLevel;
        this.modified.set(n, now);
        changed.push(n);
      }
    }
    return changed.sort();
  }

  private create(name: string): PinoLogger {
    const l = this.root.child({ logger: name });
    // A logger created below one whose level was set through the API starts at that level, as in log4j.
    let parent = name;
    while (parent.includes('.')) {
      parent = parent.slice(0, parent.lastIndexOf('.'));
      const p = this.named.get(parent);
      if (p !== undefined && this.modified.has(parent)) {
        l.level = p.level;
        break;
      }
    }
    this.named.set(name, l);
    return l;
  }

  private levelInfo(name: string, l: PinoLogger): LoggerLevel {
    return { level: connectLevel(l.level), last_modified: this.modified.get(name) ?? null };
  }
}
