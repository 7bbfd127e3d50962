import { assign, plan, unitKey, unitsOf, type PlanInput, type Releasing } from '../../../runtime/cluster';

const units = unitsOf([
  { name: 'a', tasks: 2 },
  { name: 'b', tasks: 2 },
  { name: 'c', tasks: 2 },
]);

const base = (over: Partial<PlanInput>): PlanInput => ({
  current: new Map(),
  live: [],
  units,
  releasing: new Map(),
  applied: () => 0,
  nowMs: 1_000,
  revokeTimeoutMs: 10_000,
  ...over,
});

describe('plan (incremental cooperative steps)', () => {
  it('hands out new units at once', () => {
    const p = plan(base({ live: ['w1', 'w2', 'w3'] }));
    expect(p.next.size).toBe(9);
    expect(p.releasing.size).toBe(0);
    expect(p.wakeAtMs).toBe(undefined);
  });

  it("hands a lost worker's units to the others at once", () => {
    const current = assign(new Map(), ['w1', 'w2', 'w3'], units);
    const p = plan(base({ current, live: ['w1', 'w3'] }));
    expect(p.next.size).toBe(9);
    expect([...p.next.values()]).not.toContain('w2');
    expect(p.releasing.size).toBe(0);
  });

  it('on a join first takes the moving units away, then hands them over once their owner acknowledged', () => {
    const current = assign(new Map(), ['w1', 'w2'], units);
    const step1 = plan(base({ current, live: ['w1', 'w2', 'w3'] }));
    // Revoke: 3 units (1 connector, 2 tasks) leave w1/w2 and are owned by nobody yet; nothing else changes.
    expect(step1.next.size).toBe(6);
    expect(step1.releasing.size).toBe(3);
    for (const [k, w] of step1.next) expect(current.get(k)).toBe(w);
    expect(step1.wakeAtMs).toBe(11_000);
    for (const r of step1.releasing.values()) r.generation = 10; // the leader learns it when the record is written

    // Not yet acknowledged: still unowned.
    const waiting = plan(base({ current: step1.next, live: ['w1', 'w2', 'w3'], releasing: step1.releasing }));
    expect(waiting.next.size).toBe(6);

    // Acknowledged (both applied generation 10): handed to w3, and nothing else moves.
    const step2 = plan(
      base({ current: step1.next, live: ['w1', 'w2', 'w3'], releasing: step1.releasing, applied: () => 10 }),
    );
    expect(step2.next.size).toBe(9);
    expect(step2.releasing.size).toBe(0);
    for (const k of step1.releasing.keys()) expect(step2.next.get(k)).toBe('w3');
    for (const [k, w] of step1.next) expect(step2.next.get(k)).toBe(w);
  });

  it('stops waiting for an acknowledgement after the revoke timeout, or when the old owner is gone', () => {
    const one = unitsOf([{ name: 'a', tasks: 2 }]);
    // w1 keeps connector a and task 1; task 0 is on its way from w1 to w2.
    const current = new Map([
      [unitKey({ connector: 'a' }), 'w1'],
      [unitKey({ connector: 'a', task: 1 }), 'w1'],
    ]);
    const a0 = unitKey({ connector: 'a', task: 0 });
    const releasing = new Map<string, Releasing>([[a0, { worker: 'w1', generation: 5, deadlineMs: 2_000 }]]);
    const at = (nowMs: number, live: string[]) => plan(base({ units: one, current, live, releasing, nowMs }));
    expect(at(1_500, ['w1', 'w2']).next.has(a0)).toBe(false);
    expect(at(1_500, ['w1', 'w2']).wakeAtMs).toBe(2_000);
    expect(at(2_000, ['w1', 'w2']).next.get(a0)).toBe('w2');
    expect(at(1_500, ['w2']).next.get(a0)).toBe('w2');
  });

  it('gives a releasing unit straight back to its old owner when the plan keeps it there', () => {
    const key = unitKey({ connector: 'a', task: 0 });
    const releasing = new Map<string, Releasing>([[key, { worker: 'w1', generation: undefined, deadlineMs: 9_999 }]]);
    const p = plan(base({ live: ['w1'], releasing }));
    expect(p.next.get(key)).toBe('w1');
    expect(p.releasing.size).toBe(0);
  });
});
