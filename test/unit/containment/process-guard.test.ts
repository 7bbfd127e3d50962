import client from 'prom-client';
import { ProcessGuard, runInTaskScope } from '../../../runtime/containment';

const quiet = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child() {
    return quiet;
  },
};

function setup(): { guard: ProcessGuard; registry: client.Registry; unattributed: Error[] } {
  const registry = new client.Registry();
  const unattributed: Error[] = [];
  const guard = new ProcessGuard({ logger: quiet, registry, onUnattributed: (err) => unattributed.push(err) });
  return { guard, registry, unattributed };
}

describe('ProcessGuard', () => {
  it('fails the task whose asynchronous work threw, and counts it', async () => {
    const { guard, registry, unattributed } = setup();
    const failed: string[] = [];
    const err = await new Promise<Error>((resolve) =>
      runInTaskScope({ connector: 'c', task: 3, fail: (e) => failed.push(e.message) }, () =>
        // The timer callback runs later, outside this call: its scope is what the guard looks up.
        setTimeout(() => {
          const e = new Error('boom');
          guard.uncaughtException(e);
          resolve(e);
        }, 1),
      ),
    );
    expect(failed).toEqual([err.message]);
    expect(unattributed).toEqual([]);
    expect(await registry.metrics()).toMatch(
      /ferry_worker_escaped_errors_total\{kind="exception",attributed="true"\} 1/,
    );
  });

  it('leaves an error outside any task to onUnattributed, and counts it', async () => {
    const { guard, registry, unattributed } = setup();
    guard.unhandledRejection('not an Error');
    expect(unattributed.map((e) => e.message)).toEqual(['non-Error value thrown: not an Error']);
    expect(await registry.metrics()).toMatch(
      /ferry_worker_escaped_errors_total\{kind="rejection",attributed="false"\} 1/,
    );
  });
});
