export type { Transformation, Predicate, TransformDefinition, PredicateDefinition } from './types';
export { SettingsReader } from './types';
export { TRANSFORM_DEFINITIONS, PREDICATE_DEFINITIONS, findTransform, findPredicate } from './registry';
export { parseTransformChain, applyChain, aliasList, settingsOf, type TransformStep, type ParsedChain } from './chain';
export { compileDateFormat, type DateFormat } from './date-format';
export { castValue } from './cast';
