import type { SourceConnectorPlugin } from '../../../runtime/api';
import { parseWorkerConfig } from '../../../runtime/config';
import { Metrics } from '../../../runtime/metrics';
import { PluginRegistry } from '../../../runtime/plugins';
import { SourceTaskRunner, type SourceRunnerDeps } from '../../../runtime/tasks';
import { Worker } from '../../../runtime/worker';
import { quiet } from './harness';

describe('memoised stop()', () => {
  it('Worker: every caller gets the same promise, and the worker stops once', async () => {
    const metrics = new Metrics();
    const worker = new Worker({
      config: parseWorkerConfig(
        { 'bootstrap.servers': '127.0.0.1:1', 'schema.registry.url': 'http://127.0.0.1:1' },
        {},
      ),
      registry: new PluginRegistry([]),
      pipeline: {} as never,
      logger: quiet,
      metrics,
      version: 'test',
    });
    const first = worker.stop();
    const second = worker.stop();
    expect(second).toBe(first);
    await first;
    expect(worker.stop()).toBe(first);
    expect(worker.health().status).toBe('unhealthy');
    const text = await metrics.registry.metrics();
    expect(text).toContain('ferry_state_transitions_total{kind="worker",from="created",to="stopped"} 1');
    // A stopped worker never starts.
    await worker.start();
    expect(worker.health().status).toBe('unhealthy');
  });

  it('SourceTaskRunner: a second caller waits for the same stop; the task and pipeline close once', async () => {
    const calls = { taskStop: 0, pipelineClose: 0 };
    let releaseTaskStop: () => void = () => undefined;
    const plugin: SourceConnectorPlugin = {
      className: 'S',
      type: 'source',
      version: '1',
      config: { type: 'object', properties: {} },
      createConnector: () => ({
        start: () => Promise.resolve(),
        taskConfigs: () => [],
        stop: () => Promise.resolve(),
      }),
      createTask: () => ({
        start: () => Promise.resolve(),
        stop: () => {
          calls.taskStop++;
          return new Promise<void>((r) => (releaseTaskStop = r));
        },
      }),
    };
    const deps = {
      connector: 'c',
      taskId: 0,
      workerId: 'w:1',
      plugin,
      config: {},
      rawConfig: {},
      pipeline: {
        close: () => {
          calls.pipelineClose++;
          return Promise.resolve();
        },
      },
      producer: {},
      topics: {},
      offsets: { write: () => Promise.resolve(), get: () => null },
      logger: quiet,
      metrics: { count: () => undefined, gauge: () => undefined },
      flushIntervalMs: 60_000,
      topicCreation: { partitions: -1, replicationFactor: -1 },
      onTopicUsed: () => undefined,
      onFailure: () => undefined,
    } as unknown as SourceRunnerDeps;
    const runner = new SourceTaskRunner(deps);
    await runner.start();
    const first = runner.stop(1000);
    let secondDone = false;
    const second = runner.stop(1000).then(() => (secondDone = true));
    await new Promise((r) => setImmediate(r));
    // The task's stop is still running: the second caller must not have returned early.
    expect(secondDone).toBe(false);
    releaseTaskStop();
    await Promise.all([first, second]);
    expect(runner.stop(1000)).toBe(first);
    expect(calls).toEqual({ taskStop: 1, pipelineClose: 1 });
  });
});
