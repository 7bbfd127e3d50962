import type { ConfigIssue, ConnectRecord, RawConfig } from '../api';
import { findPredicate, findTransform } from './registry';
import {
  SettingsReader,
  type Predicate,
  type PredicateDefinition,
  type TransformDefinition,
  type Transformation,
} from './types';

/** One configured transform with its optional predicate. */
export interface TransformStep {
  readonly alias: string;
  readonly className: string;
  readonly transform: Transformation;
  readonly predicate?: Predicate;
  readonly negate: boolean;
}

/** The parsed `transforms`/`predicates` configuration: steps to run, or every problem found. */
export interface ParsedChain {
  readonly steps: readonly TransformStep[];
  readonly issues: readonly ConfigIssue[];
}

const RESERVED = new Set(['type', 'predicate', 'negate']);

export function aliasList(raw: RawConfig, key: 'transforms' | 'predicates'): string[] {
  return (raw[key] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Settings under `<group>.<alias>.`, prefix removed, without the chain's own keys. */
export function settingsOf(raw: RawConfig, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!k.startsWith(prefix)) continue;
    const rest = k.slice(prefix.length);
    if (!RESERVED.has(rest)) out[rest] = v;
  }
  return out;
}

function duplicates(aliases: string[], key: string, issues: ConfigIssue[]): void {
  const seen = new Set<string>();
  for (const a of aliases) {
    if (seen.has(a)) issues.push({ key, message: `alias '${a}' is listed twice` });
    seen.add(a);
  }
}

/** Builds the chain from a connector config; never throws for bad config, reports issues instead. */
export function parseTransformChain(raw: RawConfig): ParsedChain {
  const issues: ConfigIssue[] = [];
  const predicates = new Map<string, Predicate>();
  const predicateAliases = aliasList(raw, 'predicates');
  duplicates(predicateAliases, 'predicates', issues);
  for (const alias of predicateAliases) {
    const typeKey = `predicates.${alias}.type`;
    const def = resolve(raw[typeKey], typeKey, 'predicate', findPredicate, issues);
    if (def === undefined) continue;
    const p = build<Predicate>(def, raw, `predicates.${alias}.`, issues);
    if (p !== undefined) predicates.set(alias, p);
  }
  const steps: TransformStep[] = [];
  const transformAliases = aliasList(raw, 'transforms');
  duplicates(transformAliases, 'transforms', issues);
  for (const alias of transformAliases) {
    const prefix = `transforms.${alias}.`;
    const typeKey = `${prefix}type`;
    const def = resolve(raw[typeKey], typeKey, 'transformation', findTransform, issues);
    const predicateAlias = (raw[`${prefix}predicate`] ?? '').trim();
    const negateText = (raw[`${prefix}negate`] ?? 'false').trim().toLowerCase();
    if (negateText !== 'true' && negateText !== 'false') {
      issues.push({ key: `${prefix}negate`, message: `must be true or false, got '${raw[`${prefix}negate`]}'` });
    }
    if (predicateAlias !== '' && !predicateAliases.includes(predicateAlias)) {
      issues.push({
        key: `${prefix}predicate`,
        message: `unknown predicate '${predicateAlias}' (not listed in predicates)`,
      });
    }
    if (predicateAlias === '' && raw[`${prefix}negate`] !== undefined && negateText === 'true') {
      issues.push({ key: `${prefix}negate`, message: 'negate needs a predicate' });
    }
    if (def === undefined) continue;
    const t = build<Transformation>(def, raw, prefix, issues);
    if (t === undefined) continue;
    const predicate = predicates.get(predicateAlias);
    steps.push({
      alias,
      className: def.className,
      transform: t,
      ...(predicate !== undefined ? { predicate } : {}),
      negate: negateText === 'true',
    });
  }
  return { steps: issues.length === 0 ? steps : [], issues };
}

function resolve<D>(
  name: string | undefined,
  key: string,
  what: string,
  find: (n: string) => D | undefined,
  issues: ConfigIssue[],
): D | undefined {
  if (name === undefined || name.trim() === '') {
    issues.push({ key, message: 'is required' });
    return undefined;
  }
  const def = find(name);
  if (def === undefined) issues.push({ key, message: `unknown ${what} '${name}'` });
  return def;
}

function build<T>(
  def: TransformDefinition | PredicateDefinition,
  raw: RawConfig,
  prefix: string,
  issues: ConfigIssue[],
): T | undefined {
  const reader = new SettingsReader(settingsOf(raw, prefix), prefix, def.configKeys);
  let built: unknown;
  try {
    built = def.create(reader);
  } catch (err) {
    reader.issue('type', `cannot be configured: ${(err as Error).message}`);
  }
  issues.push(...reader.issues);
  return reader.issues.length === 0 ? (built as T) : undefined;
}

/** Runs the steps in order; null once a transform drops the record. */
export function applyChain<R extends ConnectRecord>(
  steps: readonly TransformStep[],
  record: R,
  onStep?: (step: TransformStep) => void,
): R | null {
  let r: R | null = record;
  for (const step of steps) {
    if (step.predicate !== undefined && step.predicate.test(r) === step.negate) continue;
    onStep?.(step);
    r = step.transform.apply(r);
    if (r === null) return null;
  }
  return r;
}
