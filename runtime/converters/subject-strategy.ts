/** How a subject name is derived, as Confluent's SubjectNameStrategy implementations. */
export type SubjectNameStrategy = 'TopicNameStrategy' | 'RecordNameStrategy' | 'TopicRecordNameStrategy';

const STRATEGIES: readonly SubjectNameStrategy[] = [
  'TopicNameStrategy',
  'RecordNameStrategy',
  'TopicRecordNameStrategy',
];
const CONFLUENT_PACKAGE = 'io.confluent.kafka.serializers.subject.';

/** Accepts short names and Confluent's class names; undefined when unknown. */
export function parseSubjectNameStrategy(text: string | undefined): SubjectNameStrategy | undefined {
  if (text === undefined || text.trim() === '') return 'TopicNameStrategy';
  const t = text.trim();
  const short = t.startsWith(CONFLUENT_PACKAGE) ? t.slice(CONFLUENT_PACKAGE.length) : t;
  return STRATEGIES.find((s) => s === short);
}

export const SUBJECT_NAME_STRATEGIES = STRATEGIES;

/** The subject for a record of `topic` whose Avro schema's full name is `recordName`. */
export function subjectName(strategy: SubjectNameStrategy, topic: string, isKey: boolean, recordName: string): string {
  switch (strategy) {
    case 'TopicNameStrategy':
      return `${topic}-${isKey ? 'key' : 'value'}`;
    case 'RecordNameStrategy':
      return recordName;
    case 'TopicRecordNameStrategy':
      return `${topic}-${recordName}`;
  }
}
