import { castDefinitions } from './cast';
import { extractFieldDefinitions } from './extract-field';
import { filterDefinitions } from './filter';
import { flattenDefinitions } from './flatten';
import { headerTransformDefinitions } from './header-transforms';
import { hoistFieldDefinitions } from './hoist-field';
import { insertFieldDefinitions } from './insert-field';
import { maskFieldDefinitions } from './mask-field';
import { predicateDefinitions } from './predicates';
import { replaceFieldDefinitions } from './replace-field';
import { routerDefinitions } from './routers';
import { timestampConverterDefinitions } from './timestamp-converter';
import type { PredicateDefinition, TransformDefinition } from './types';
import { valueToKeyDefinitions } from './value-to-key';

/** Every transformation Ferry ships, under Connect's class names. */
export const TRANSFORM_DEFINITIONS: readonly TransformDefinition[] = [
  ...insertFieldDefinitions,
  ...replaceFieldDefinitions,
  ...maskFieldDefinitions,
  ...valueToKeyDefinitions,
  ...extractFieldDefinitions,
  ...hoistFieldDefinitions,
  ...castDefinitions,
  ...timestampConverterDefinitions,
  ...routerDefinitions,
  ...flattenDefinitions,
  ...headerTransformDefinitions,
  ...filterDefinitions,
];

export const PREDICATE_DEFINITIONS: readonly PredicateDefinition[] = predicateDefinitions;

function index<T extends { className: string; aliases: readonly string[] }>(defs: readonly T[]): Map<string, T> {
  const m = new Map<string, T>();
  for (const d of defs) for (const n of [d.className, ...d.aliases]) m.set(n, d);
  return m;
}
const transformsByName = index(TRANSFORM_DEFINITIONS);
const predicatesByName = index(PREDICATE_DEFINITIONS);

/** The transformation a class name or alias names (case-sensitive, like Java class names). */
export function findTransform(name: string): TransformDefinition | undefined {
  return transformsByName.get(name.trim());
}

export function findPredicate(name: string): PredicateDefinition | undefined {
  return predicatesByName.get(name.trim());
}
