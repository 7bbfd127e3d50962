import type { ConfigIssue, ConfigProperty, ConnectRecord } from '../api';

/** One step of a chain, as Connect's Transformation: returns a new record, or null to drop it. */
export interface Transformation {
  apply<R extends ConnectRecord>(record: R): R | null;
}

/** A condition that decides whether a transform applies, as Connect's Predicate. */
export interface Predicate {
  test(record: ConnectRecord): boolean;
}

/** A transformation kind, under Connect's class name (with `$Key`/`$Value` for the two variants). */
export interface TransformDefinition {
  readonly className: string;
  readonly aliases: readonly string[];
  readonly description: string;
  /** Own settings, keyed without the `transforms.<alias>.` prefix. */
  readonly configKeys: Readonly<Record<string, ConfigProperty>>;
  /** Builds the transform; every bad setting is reported through `settings` (no throw). No I/O. */
  create(settings: SettingsReader): Transformation;
}

export interface PredicateDefinition {
  readonly className: string;
  readonly aliases: readonly string[];
  readonly description: string;
  readonly configKeys: Readonly<Record<string, ConfigProperty>>;
  create(settings: SettingsReader): Predicate;
}

/**
 * Typed reads of one transform's or predicate's settings that collect every problem, named with the full key
 * (`transforms.route.regex`), so validation and construction are one code path. A key left unset takes the default
 * its definition's `configKeys` declare, so a default is stated once, beside the key's description.
 */
export class SettingsReader {
  readonly issues: ConfigIssue[] = [];

  constructor(
    private readonly settings: Readonly<Record<string, string>>,
    /** e.g. `transforms.route.` */
    readonly prefix: string,
    private readonly keys: Readonly<Record<string, ConfigProperty>> = {},
  ) {}

  /** The default `configKeys` declare for `name`, as text. */
  private declared(name: string): string | undefined {
    const d = this.keys[name]?.default;
    return typeof d === 'string' ? d : undefined;
  }

  key(name: string): string {
    return `${this.prefix}${name}`;
  }

  issue(name: string, message: string): void {
    this.issues.push({ key: this.key(name), message });
  }

  raw(name: string): string | undefined {
    return this.settings[name];
  }

  string(name: string, opts: { required?: boolean; default?: string } = {}): string {
    const v = this.settings[name];
    if (v === undefined || v === '') {
      if (opts.required) this.issue(name, 'is required');
      return opts.default ?? this.declared(name) ?? '';
    }
    return v;
  }

  list(name: string, opts: { required?: boolean } = {}): string[] {
    const items = (this.settings[name] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (opts.required && items.length === 0) this.issue(name, 'is required (a comma-separated list)');
    return items;
  }

  boolean(name: string, dflt: boolean): boolean {
    const v = this.settings[name];
    if (v === undefined || v === '') return dflt;
    const l = v.trim().toLowerCase();
    if (l !== 'true' && l !== 'false') {
      this.issue(name, `must be true or false, got '${v}'`);
      return dflt;
    }
    return l === 'true';
  }

  oneOf<T extends string>(name: string, values: readonly T[], opts: { required?: boolean; default?: T } = {}): T {
    const given = this.settings[name];
    const v = given === undefined || given === '' ? this.declared(name) : given;
    if (v === undefined || v === '') {
      if (opts.required) this.issue(name, `is required (one of ${values.join(', ')})`);
      return opts.default ?? (values[0] as T);
    }
    const found = values.find((x) => x.toLowerCase() === v.trim().toLowerCase());
    if (found === undefined) {
      this.issue(name, `must be one of ${values.join(', ')}, got '${v}'`);
      return opts.default ?? (values[0] as T);
    }
    return found;
  }

  /** A regular expression that must match a whole string, as Java's `Matcher.matches()`. */
  regex(name: string, opts: { required?: boolean } = {}): RegExp | undefined {
    const v = this.string(name, opts);
    if (v === '') return undefined;
    try {
      return new RegExp(`^(?:${v})$`);
    } catch (err) {
      this.issue(name, `invalid regex: ${(err as Error).message}`);
      return undefined;
    }
  }
}
