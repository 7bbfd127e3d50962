import type { TopicCreator } from '../../runtime/tasks/topic-creator';
import { silentLogger } from './logger';

/**
 * The part of a task runner's dependencies that only says which task it runs: task 0 of `connector` on worker `w`,
 * with an empty configuration, for tests that build a SourceTaskRunner or SinkTaskRunner by hand.
 */
export function runnerTask<P>(plugin: P, connector = 'c') {
  return {
    connector,
    taskId: 0,
    workerId: 'w',
    plugin,
    config: {},
    rawConfig: {},
    settings: {} as unknown,
  };
}

/**
 * The quiet rest of a SourceTaskRunner's dependencies for tests that build one by hand: topics that need no
 * creation, a silent logger, metrics that go nowhere, and an offset flush timer that never fires within a test (the
 * test calls flushOffsets() or stop() itself).
 */
export function quietSourceRunnerDeps() {
  return {
    topics: { ensure: () => null } as unknown as TopicCreator,
    logger: silentLogger,
    metrics: { count: () => undefined, gauge: () => undefined },
    flushIntervalMs: 3_600_000,
    topicCreation: { partitions: -1, replicationFactor: -1 },
    onTopicUsed: () => undefined,
  };
}
