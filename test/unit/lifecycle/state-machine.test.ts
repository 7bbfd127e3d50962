import {
  IllegalTransitionError,
  StateMachine,
  allPairs,
  checkTransition,
  type MachineSpec,
} from '../../../runtime/lifecycle';
import { CONNECTOR_STATES, TASK_STATES, WORKER_STATES } from '../../../runtime/worker';
import { recordingLogger, type LogLine } from '../../helpers/logger';

const machines: [string, MachineSpec<string>][] = [
  ['task', TASK_STATES],
  ['connector', CONNECTOR_STATES],
  ['worker', WORKER_STATES],
];

describe.each(machines)('the %s transition table', (_kind, spec) => {
  const pairs = allPairs(spec);

  it('lists the initial state and only known target states', () => {
    const states = Object.keys(spec.transitions);
    expect(states).toContain(spec.initial);
    for (const targets of Object.values(spec.transitions)) for (const t of targets) expect(states).toContain(t);
  });

  it.each(pairs.filter((p) => p.allowed).map((p) => [p.from, p.to]))('allows %s → %s', (from, to) => {
    const lines: LogLine[] = [];
    const counted: unknown[] = [];
    expect(() =>
      checkTransition(spec, from, to, { connector: 'c', task: 0 }, recordingLogger(lines), (l) => counted.push(l)),
    ).not.toThrow();
    expect(lines).toHaveLength(1);
    expect(lines[0]!.obj).toMatchObject({ connector: 'c', task: 0 });
    // A re-statement of the same state is not a transition: logged at debug, not counted.
    expect(counted).toEqual(from === to ? [] : [{ kind: spec.kind, from, to }]);
  });

  const refused = pairs.filter((p) => !p.allowed).map((p) => [p.from, p.to]);
  if (refused.length > 0)
    it.each(refused)('refuses %s → %s with a typed error, logging and counting nothing', (from, to) => {
      const lines: LogLine[] = [];
      const counted: unknown[] = [];
      let thrown: unknown;
      try {
        checkTransition(spec, from, to, { connector: 'c' }, recordingLogger(lines), (l) => counted.push(l));
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(IllegalTransitionError);
      expect(thrown).toMatchObject({ code: 'INTERNAL', kind: spec.kind, from, to, retriable: false });
      expect((thrown as Error).message).toContain(`${from} → ${to}`);
      expect(lines).toEqual([]);
      expect(counted).toEqual([]);
    });
});

describe('the task and connector tables', () => {
  it('let RESTARTING only end a restart, never be left for anything but RUNNING, PAUSED or FAILED', () => {
    expect([...TASK_STATES.transitions.RESTARTING].sort()).toEqual(['FAILED', 'PAUSED', 'RUNNING']);
    expect([...CONNECTOR_STATES.transitions.RESTARTING].sort()).toEqual(['FAILED', 'PAUSED', 'RUNNING']);
  });

  it('restart a FAILED task only through RESTARTING (or drop it on shutdown)', () => {
    expect([...TASK_STATES.transitions.FAILED].sort()).toEqual(['RESTARTING', 'UNASSIGNED']);
  });
});

describe('StateMachine', () => {
  it('starts in the initial state, logs each transition at info with its subject and counts it', () => {
    const lines: LogLine[] = [];
    const counted: unknown[] = [];
    const m = new StateMachine(WORKER_STATES, recordingLogger(lines), { workerId: 'w:1' }, (l) => counted.push(l));
    expect(m.state).toBe('created');
    m.to('starting');
    m.to('running');
    expect(m.is('running')).toBe(true);
    expect(m.is('created', 'starting')).toBe(false);
    expect(lines.map((l) => [l.level, l.obj])).toEqual([
      ['info', { workerId: 'w:1', from: 'created', to: 'starting' }],
      ['info', { workerId: 'w:1', from: 'starting', to: 'running' }],
    ]);
    expect(counted).toEqual([
      { kind: 'worker', from: 'created', to: 'starting' },
      { kind: 'worker', from: 'starting', to: 'running' },
    ]);
  });

  it('refuses an illegal transition and keeps its state', () => {
    const m = new StateMachine(WORKER_STATES, recordingLogger([]));
    expect(() => m.to('running')).toThrow(IllegalTransitionError);
    expect(m.state).toBe('created');
    m.to('stopped');
    expect(() => m.to('starting')).toThrow(IllegalTransitionError);
    expect(m.state).toBe('stopped');
  });
});
