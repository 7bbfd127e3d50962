import type { TransformDefinition, Transformation } from './types';

/** Connect's Filter: drops every record it applies to (use it with a predicate). */
const filter: Transformation = { apply: () => null };

export const filterDefinitions: TransformDefinition[] = [
  {
    className: 'org.apache.kafka.connect.transforms.Filter',
    aliases: ['Filter'],
    description: 'Drops records; combine with a predicate to drop some.',
    configKeys: {},
    create: () => filter,
  },
];
