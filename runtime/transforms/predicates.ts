import type { PredicateDefinition } from './types';

export const predicateDefinitions: PredicateDefinition[] = [
  {
    className: 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches',
    aliases: ['TopicNameMatches'],
    description: 'True when the whole topic name matches the regex.',
    configKeys: { pattern: { type: 'string', minLength: 1, description: 'Regular expression for the topic.' } },
    create: (settings) => {
      const re = settings.regex('pattern', { required: true });
      return { test: (r) => re !== undefined && re.test(r.topic) };
    },
  },
  {
    className: 'org.apache.kafka.connect.transforms.predicates.HasHeaderKey',
    aliases: ['HasHeaderKey'],
    description: 'True when the record has a header with that name.',
    configKeys: { name: { type: 'string', minLength: 1, description: 'Header name.' } },
    create: (settings) => {
      const name = settings.string('name', { required: true });
      return { test: (r) => r.headers.some((h) => h.key === name) };
    },
  },
  {
    className: 'org.apache.kafka.connect.transforms.predicates.RecordIsTombstone',
    aliases: ['RecordIsTombstone'],
    description: 'True when the record value is null.',
    configKeys: {},
    create: () => ({ test: (r) => r.value === null || r.value === undefined }),
  },
];
