/** The spec's limit: a topic is a UTF-8 string with a two-byte length. */
const MAX_TOPIC_BYTES = 65535;

function checkCommon(topic: string, what: string): string | undefined {
  if (topic.length === 0) return `${what} must not be empty`;
  if (topic.includes('\u0000')) return `${what} must not contain the NUL character`;
  if (Buffer.byteLength(topic, 'utf8') > MAX_TOPIC_BYTES) return `${what} is longer than ${MAX_TOPIC_BYTES} bytes`;
  return undefined;
}

/**
 * Checks an MQTT subscription filter: `+` only as a whole level, `#` only as the whole last level, and shared
 * subscriptions `$share/<group>/<filter>`. Returns the problem, or undefined when the filter is valid.
 */
export function validateTopicFilter(filter: string): string | undefined {
  const common = checkCommon(filter, 'a topic filter');
  if (common) return common;
  let rest = filter;
  if (filter.startsWith('$share/')) {
    const slash = filter.indexOf('/', '$share/'.length);
    const group = slash < 0 ? filter.slice('$share/'.length) : filter.slice('$share/'.length, slash);
    if (slash < 0) return `shared subscription "${filter}" needs the form $share/<group>/<filter>`;
    if (group.length === 0) return `shared subscription "${filter}" has an empty group name`;
    if (/[+#]/.test(group)) return `shared subscription group "${group}" must not contain + or #`;
    rest = filter.slice(slash + 1);
    if (rest.length === 0) return `shared subscription "${filter}" has an empty topic filter`;
  }
  const levels = rest.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] ?? '';
    if (level.includes('#')) {
      if (level !== '#') return `"${filter}": # must be a whole topic level`;
      if (i !== levels.length - 1) return `"${filter}": # is only allowed as the last level`;
    }
    if (level.includes('+') && level !== '+') return `"${filter}": + must be a whole topic level`;
  }
  return undefined;
}

/**
 * Checks a topic to publish to: not empty, no wildcard (`+`, `#`), no NUL, at most 65,535 bytes. Returns the problem,
 * or undefined when the topic is valid.
 */
export function validatePublishTopic(topic: string): string | undefined {
  const common = checkCommon(topic, 'a publish topic');
  if (common) return common;
  if (topic.includes('+') || topic.includes('#')) return `publish topic "${topic}" must not contain + or #`;
  return undefined;
}
