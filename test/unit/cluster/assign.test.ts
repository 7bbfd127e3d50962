import { assign, parseUnitKey, unitKey, unitsOf, type Unit } from '../../../runtime/cluster';

const workersOf = (m: Map<string, string>): Map<string, { connectors: number; tasks: number }> => {
  const out = new Map<string, { connectors: number; tasks: number }>();
  for (const [k, w] of m) {
    const c = out.get(w) ?? { connectors: 0, tasks: 0 };
    if (parseUnitKey(k)!.task === undefined) c.connectors++;
    else c.tasks++;
    out.set(w, c);
  }
  return out;
};

function expectBalanced(m: Map<string, string>, workers: string[]): void {
  const counts = workersOf(m);
  const tasks = workers.map((w) => counts.get(w)?.tasks ?? 0);
  const connectors = workers.map((w) => counts.get(w)?.connectors ?? 0);
  expect(Math.max(...tasks) - Math.min(...tasks)).toBeLessThanOrEqual(1);
  expect(Math.max(...connectors) - Math.min(...connectors)).toBeLessThanOrEqual(1);
}

function moved(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([k, w]) => before.has(k) && before.get(k) !== w).map(([k]) => k);
}

const threeByTwo = unitsOf([
  { name: 'a', tasks: 2 },
  { name: 'b', tasks: 2 },
  { name: 'c', tasks: 2 },
]);

describe('unit keys', () => {
  it('round-trip connectors and tasks, whatever characters the name has', () => {
    for (const u of [{ connector: 'x' }, { connector: 'a:b/"c"', task: 3 }, { connector: '', task: 0 }] as Unit[])
      expect(parseUnitKey(unitKey(u))).toEqual(u);
    expect(unitKey({ connector: 'a' })).not.toBe(unitKey({ connector: 'a', task: 0 }));
  });

  it('reject keys that are not units', () => {
    for (const k of ['nope', '["x","a"]', '["t","a",-1]', '["t","a",1.5]', '["c"]', '{}'])
      expect(parseUnitKey(k)).toBe(undefined);
  });

  it('unitsOf lists each connector and its tasks', () => {
    expect(unitsOf([{ name: 'a', tasks: 2 }]).map(unitKey)).toEqual([
      unitKey({ connector: 'a' }),
      unitKey({ connector: 'a', task: 0 }),
      unitKey({ connector: 'a', task: 1 }),
    ]);
  });
});

describe('assign', () => {
  it('assigns nothing without workers', () => {
    expect(assign(new Map(), [], threeByTwo).size).toBe(0);
  });

  it('spreads 6 tasks 2/2/2 and 3 connectors 1/1/1, each connector on a different worker', () => {
    const m = assign(new Map(), ['w1', 'w2', 'w3'], threeByTwo);
    expect(m.size).toBe(9);
    const counts = workersOf(m);
    for (const w of ['w1', 'w2', 'w3']) expect(counts.get(w)).toEqual({ connectors: 1, tasks: 2 });
  });

  it("spreads one connector's tasks across workers before doubling up", () => {
    const m = assign(new Map(), ['w1', 'w2', 'w3'], unitsOf([{ name: 'only', tasks: 6 }]));
    const perWorker = workersOf(m);
    expect([...perWorker.values()].map((c) => c.tasks).sort()).toEqual([2, 2, 2]);
  });

  it('is deterministic: the order of workers and units does not matter', () => {
    const prev = new Map([[unitKey({ connector: 'a', task: 0 }), 'w2']]);
    const a = assign(prev, ['w1', 'w2', 'w3'], threeByTwo);
    const b = assign(prev, ['w3', 'w1', 'w2', 'w1'], [...threeByTwo].reverse());
    expect([...b].sort()).toEqual([...a].sort());
  });

  it('keeps a balanced assignment exactly as it is', () => {
    const first = assign(new Map(), ['w1', 'w2', 'w3'], threeByTwo);
    expect(moved(first, assign(first, ['w1', 'w2', 'w3'], threeByTwo))).toEqual([]);
  });

  it('on a join moves only what the new worker needs: 2 of 6 tasks and 1 of 3 connectors for 2 → 3 workers', () => {
    const before = assign(new Map(), ['w1', 'w2'], threeByTwo);
    const after = assign(before, ['w1', 'w2', 'w3'], threeByTwo);
    expectBalanced(after, ['w1', 'w2', 'w3']);
    const m = moved(before, after);
    expect(m).toHaveLength(3);
    for (const k of m) expect(after.get(k)).toBe('w3');
  });

  it("on a leave moves only the lost worker's units", () => {
    const before = assign(new Map(), ['w1', 'w2', 'w3'], threeByTwo);
    const after = assign(before, ['w1', 'w3'], threeByTwo);
    expectBalanced(after, ['w1', 'w3']);
    for (const [k, w] of before) if (w !== 'w2') expect(after.get(k)).toBe(w);
    expect([...after.values()]).not.toContain('w2');
  });

  it('moves the minimum the balance requires over many random joins and leaves', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const all = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
    let workers = ['w1', 'w2'];
    let units = unitsOf([
      { name: 'a', tasks: 5 },
      { name: 'b', tasks: 3 },
      { name: 'c', tasks: 1 },
      { name: 'd', tasks: 0 },
    ]);
    let current = assign(new Map(), workers, units);
    for (let round = 0; round < 200; round++) {
      const r = rand(4);
      if (r === 0 && workers.length < all.length) workers = [...workers, all.find((w) => !workers.includes(w))!];
      else if (r === 1 && workers.length > 1) workers = workers.filter((_, i) => i !== rand(workers.length));
      else if (r === 2) units = unitsOf([{ name: `n${round}`, tasks: rand(4) }, ...connectorsOf(units)]);
      else units = unitsOf(connectorsOf(units).slice(1));
      const next = assign(current, workers, units);
      expect(next.size).toBe(units.length);
      expectBalanced(next, workers);
      for (const w of next.values()) expect(workers).toContain(w);
      // Minimal moves: per group, what kept owners hold beyond their share must move, nothing more.
      for (const isTask of [false, true]) {
        const keys = units.map(unitKey).filter((k) => (parseUnitKey(k)!.task !== undefined) === isTask);
        const held = new Map(workers.map((w) => [w, 0]));
        for (const k of keys) {
          const w = current.get(k);
          if (w !== undefined && held.has(w)) held.set(w, held.get(w)! + 1);
        }
        const base = Math.floor(keys.length / workers.length);
        const extra = keys.length % workers.length;
        const sorted = [...held.values()].sort((a, b) => b - a);
        const minimum = sorted.reduce((sum, h, i) => sum + Math.max(0, h - (base + (i < extra ? 1 : 0))), 0);
        const movedHere = keys.filter((k) => {
          const w = current.get(k);
          return w !== undefined && workers.includes(w) && next.get(k) !== w;
        });
        expect(movedHere).toHaveLength(minimum);
      }
      current = next;
    }
  });
});

function connectorsOf(units: readonly Unit[]): { name: string; tasks: number }[] {
  const out = new Map<string, number>();
  for (const u of units) out.set(u.connector, (out.get(u.connector) ?? 0) + (u.task === undefined ? 0 : 1));
  return [...out].map(([name, tasks]) => ({ name, tasks }));
}
