import { RecordError, type ConnectRecord } from '../api';
import { compileDateFormat, type DateFormat } from './date-format';
import type { SettingsReader, TransformDefinition, Transformation } from './types';

/** Connect's RegexRouter: a topic matching the whole regex is rewritten with the replacement ($1…). */
class RegexRouter implements Transformation {
  private readonly regex: RegExp | undefined;
  private readonly replacement: string;

  constructor(settings: SettingsReader) {
    this.regex = settings.regex('regex', { required: true });
    const r = settings.raw('replacement');
    if (r === undefined) settings.issue('replacement', 'is required');
    this.replacement = r ?? '';
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    const re = this.regex as RegExp;
    if (!re.test(record.topic)) return record;
    return { ...record, topic: record.topic.replace(re, this.replacement) };
  }
}

/** Connect's TimestampRouter: topic from `${topic}` and the record's `${timestamp}` formatted in UTC. */
class TimestampRouter implements Transformation {
  private readonly topicFormat: string;
  private readonly format: DateFormat | undefined;

  constructor(settings: SettingsReader) {
    this.topicFormat = settings.string('topic.format');
    try {
      this.format = compileDateFormat(settings.string('timestamp.format'));
    } catch (err) {
      settings.issue('timestamp.format', (err as Error).message);
    }
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    if (record.timestamp === undefined) {
      throw new RecordError(`TimestampRouter: record for topic '${record.topic}' has no timestamp`);
    }
    const ts = (this.format as DateFormat).format(new Date(record.timestamp));
    return { ...record, topic: this.topicFormat.replace(/\$\{topic\}/g, record.topic).replace(/\$\{timestamp\}/g, ts) };
  }
}

export const routerDefinitions: TransformDefinition[] = [
  {
    className: 'org.apache.kafka.connect.transforms.RegexRouter',
    aliases: ['RegexRouter'],
    description: 'Rewrites the topic with a regular expression and replacement.',
    configKeys: {
      regex: { type: 'string', minLength: 1, description: 'Regular expression the whole topic must match.' },
      replacement: { type: 'string', description: 'Replacement; $1… refer to groups.' },
    },
    create: (settings) => new RegexRouter(settings),
  },
  {
    className: 'org.apache.kafka.connect.transforms.TimestampRouter',
    aliases: ['TimestampRouter'],
    description: 'Rewrites the topic from the original topic and the record timestamp.',
    configKeys: {
      'topic.format': {
        type: 'string',
        description: 'Format with ${topic} and ${timestamp}.',
        default: '${topic}-${timestamp}',
      },
      'timestamp.format': { type: 'string', description: 'SimpleDateFormat pattern (UTC).', default: 'yyyyMMdd' },
    },
    create: (settings) => new TimestampRouter(settings),
  },
];
