import { FerryError, type RawConfig } from '../../../runtime/api';
import { reconcilerHarness, splittingSource } from './harness';

const source = (tasksMax: number): RawConfig => ({
  name: 'c1',
  'connector.class': 'SplitSource',
  'tasks.max': String(tasksMax),
});

async function started(tasksMax = 2, initial?: 'PAUSED' | 'STOPPED') {
  const released: RawConfig[][] = [];
  const h = await reconcilerHarness([splittingSource(released)]);
  await h.configs.putConnector('c1', source(tasksMax), initial);
  await h.idle('c1');
  return { ...h, released };
}

describe('the reconciler, given stored configs and target states and this worker owning everything', () => {
  it('starts a new connector, stores the task configs it generates, then starts one task per config', async () => {
    const h = await started(2);
    expect(h.configs.get('c1')!.tasks.map((t) => t.index)).toEqual(['0', '1']);
    expect(h.statuses.connector('c1')).toMatchObject({ state: 'RUNNING', worker_id: 'w1:8083', generation: 1 });
    expect(h.taskStatus('c1')).toEqual({ 0: 'RUNNING@w1:8083', 1: 'RUNNING@w1:8083' });
    expect(h.live('c1').map((r) => r.config.index)).toEqual(['0', '1']);
  });

  it('gives a connector created PAUSED no tasks until it is resumed', async () => {
    const h = await started(2, 'PAUSED');
    expect(h.statuses.connector('c1')?.state).toBe('PAUSED');
    expect(h.configs.get('c1')!.tasks).toEqual([]);
    expect(h.runners).toEqual([]);
    await h.configs.putTarget('c1', 'STARTED');
    await h.idle('c1');
    expect(h.taskStatus('c1')).toEqual({ 0: 'RUNNING@w1:8083', 1: 'RUNNING@w1:8083' });
  });

  it('pauses running tasks (runners stopped, tasks kept) and resumes them with new runners', async () => {
    const h = await started(2);
    const first = h.live('c1');
    await h.configs.putTarget('c1', 'PAUSED');
    await h.idle('c1');
    expect(first.every((r) => r.stopped)).toBe(true);
    expect(h.statuses.connector('c1')?.state).toBe('PAUSED');
    expect(h.taskStatus('c1')).toEqual({ 0: 'PAUSED@w1:8083', 1: 'PAUSED@w1:8083' });
    await h.configs.putTarget('c1', 'STARTED');
    await h.idle('c1');
    expect(h.live('c1')).toHaveLength(2);
    expect(h.live('c1').some((r) => first.includes(r))).toBe(false);
    expect(h.taskStatus('c1')).toEqual({ 0: 'RUNNING@w1:8083', 1: 'RUNNING@w1:8083' });
  });

  it('stops a STOPPED connector: tasks stopped, their statuses removed, task configs emptied, nothing released', async () => {
    const h = await started(2);
    await h.configs.putTarget('c1', 'STOPPED');
    await h.idle('c1');
    expect(h.live('c1')).toEqual([]);
    expect(h.statuses.connector('c1')?.state).toBe('STOPPED');
    expect(h.taskStatus('c1')).toEqual({});
    expect(h.configs.get('c1')!.tasks).toEqual([]);
    // Its MQTT sessions (the plugin's external state) are kept, so a resume loses nothing.
    expect(h.released).toEqual([]);
  });

  it('releases what removed tasks held when tasks.max shrinks, and stops only those tasks', async () => {
    const h = await started(3);
    const before = h.live('c1');
    await h.configs.putConnector('c1', source(1));
    await h.idle('c1');
    expect(h.configs.get('c1')!.tasks).toHaveLength(1);
    expect(h.taskStatus('c1')).toEqual({ 0: 'RUNNING@w1:8083' });
    expect(h.released.map((cs) => cs.map((c) => c.index))).toEqual([['1', '2']]);
    // Task 0's config did not change: its runner kept running.
    expect(before[0]!.stopped).toBe(false);
  });

  it('lets each task a shrink removes drain while it still runs, and releases only those that drained', async () => {
    const h = await started(3);
    const before = h.live('c1');
    before[2]!.drains = false; // its drain timed out: what its session still holds must not be discarded
    await h.configs.putConnector('c1', source(1));
    await h.idle('c1');
    expect(before.map((r) => r.retiredWhileRunning)).toEqual([false, true, true]);
    expect(before.map((r) => r.stopped)).toEqual([false, true, true]);
    expect(h.released.map((cs) => cs.map((c) => c.index))).toEqual([['1']]);
  });

  it('drops a deleted connector: tasks stopped, task statuses tombstoned, runtime forgotten', async () => {
    const h = await started(2);
    await h.configs.remove('c1');
    await h.idle('c1');
    expect(h.live('c1')).toEqual([]);
    expect(h.taskStatus('c1')).toEqual({});
    expect(h.runtimes.has('c1')).toBe(false);
  });

  it('marks a task whose start fails FAILED with the reason, and a non-retriable failure stays FAILED', async () => {
    const released: RawConfig[][] = [];
    const h = await reconcilerHarness([splittingSource(released)]);
    h.failStarts.set('c1-1', new FerryError('TASK_FAILED', 'cannot reach the source'));
    await h.configs.putConnector('c1', source(2));
    await h.idle('c1');
    expect(h.taskStatus('c1')).toEqual({ 0: 'RUNNING@w1:8083', 1: 'FAILED@w1:8083' });
    expect(h.statuses.tasksOf('c1').get(1)?.trace).toContain('cannot reach the source');
    expect(h.statuses.connector('c1')?.state).toBe('RUNNING');
  });

  it('restarts only the failed task on an onlyFailed restart, passing through RESTARTING', async () => {
    const released: RawConfig[][] = [];
    const h = await reconcilerHarness([splittingSource(released)]);
    h.failStarts.set('c1-1', new FerryError('TASK_FAILED', 'boom'));
    await h.configs.putConnector('c1', source(2));
    await h.idle('c1');
    const task0 = h.live('c1')[0]!;
    h.failStarts.clear();
    const writesBefore = h.statusWrites.length;
    await h.configs.requestRestart('c1', true, true);
    await h.idle('c1');
    expect(h.taskStatus('c1')).toEqual({ 0: 'RUNNING@w1:8083', 1: 'RUNNING@w1:8083' });
    expect(task0.stopped).toBe(false);
    const task1States = h.statusWrites
      .slice(writesBefore)
      .filter((w) => w.key === 'status-task-c1-1')
      .map((w) => (w.value as { state: string }).state);
    expect(task1States).toEqual(['RESTARTING', 'RUNNING']);
    // The connector was not FAILED, so onlyFailed left it alone.
    expect(h.statusWrites.slice(writesBefore).some((w) => w.key === 'status-connector-c1')).toBe(false);
  });

  it('counts each transition by kind, from and to', async () => {
    const h = await started(1);
    await h.configs.putTarget('c1', 'PAUSED');
    await h.idle('c1');
    const text = await h.metrics.registry.metrics();
    expect(text).toContain('ferry_state_transitions_total{kind="task",from="UNASSIGNED",to="RUNNING"} 1');
    expect(text).toContain('ferry_state_transitions_total{kind="task",from="RUNNING",to="PAUSED"} 1');
    expect(text).toContain('ferry_state_transitions_total{kind="connector",from="RUNNING",to="PAUSED"} 1');
  });
});

describe('the reconciler, given the assignment', () => {
  it('runs only the tasks this worker owns, and not the connector instance it does not own', async () => {
    const released: RawConfig[][] = [];
    const h = await reconcilerHarness([splittingSource(released)]);
    h.membership.owns = (_c, task) => task === 1;
    // Another worker (the connector's owner) stored the task configs.
    await h.configs.putConnector('c1', source(2));
    await h.configs.putTasks('c1', [{ index: '0' }, { index: '1' }]);
    await h.idle('c1');
    expect(h.live('c1').map((r) => r.task)).toEqual([1]);
    expect(h.statuses.connector('c1')).toBeUndefined();
    expect(h.taskStatus('c1')).toEqual({ 1: 'RUNNING@w1:8083' });
  });

  it('stops a task that moves away without touching its status (its new owner writes it)', async () => {
    const h = await started(2);
    const moved = h.live('c1').find((r) => r.task === 0)!;
    h.membership.owns = (_c, task) => task !== 0;
    await h.reconciler.reconcileAll();
    expect(moved.stopped).toBe(true);
    expect(h.live('c1').map((r) => r.task)).toEqual([1]);
    expect(h.taskStatus('c1')).toEqual({ 0: 'RUNNING@w1:8083', 1: 'RUNNING@w1:8083' });
  });

  it('forgets a connector whose instance moved away, and starts it afresh when it comes back', async () => {
    const h = await started(1);
    h.membership.owns = (_c, task) => task !== undefined;
    await h.reconciler.reconcileAll();
    expect(h.runtimes.get('c1')!.instance).toBeUndefined();
    expect(h.runtimes.get('c1')!.state).toBe('UNASSIGNED');
    h.membership.owns = () => true;
    await h.reconciler.reconcileAll();
    expect(h.runtimes.get('c1')!.instance).toBeDefined();
    expect(h.statuses.connector('c1')?.state).toBe('RUNNING');
  });

  it('tells the membership when the units change, and does nothing once the worker stops running', async () => {
    const h = await started(1);
    expect(h.membership.unitsChangedCalls).toBeGreaterThan(0);
    h.stopRunning();
    const calls = h.membership.unitsChangedCalls;
    await h.configs.putConnector('c1', source(3));
    await h.idle('c1');
    expect(h.membership.unitsChangedCalls).toBe(calls);
    expect(h.configs.get('c1')!.tasks).toHaveLength(1);
  });
});
