// What the list, cluster and detail pages read on every poll.
import { get, metricsText } from '../api.js';

/** `{name → {status, info}}` in one call, and this worker's metrics turned into figures per connector. */
export async function overview(ctx) {
  const [connectors, text] = await Promise.all([get('/connectors?expand=status&expand=info'), metricsText()]);
  const figures = text === undefined ? {} : ctx.history.add(text, Date.now());
  return { connectors, figures };
}

/** RUNNING tasks over all tasks, e.g. "2/2". */
export function taskCount(status) {
  const tasks = status?.tasks ?? [];
  return `${tasks.filter((t) => t.state === 'RUNNING').length}/${tasks.length}`;
}
