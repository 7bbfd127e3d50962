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
