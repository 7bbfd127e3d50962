import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { unitKey, unitsOf, type Unit } from '../../../runtime/cluster';
import { DataProducer, KafkaAdmin } from '../../../runtime/kafka';
import { DedicatedService, eventually, silentLogger, stackEnv, uniqueId } from '../../helpers';

/*
 * Cluster membership against the real broker, one member per child process (member-process.js), so that kill -9
 * is a real crash. Every member prints its state as JSON lines; the assertions read those lines.
 */

const SCRIPT = path.join(__dirname, 'member-process.js');
const UNITS: Unit[] = unitsOf([
  { name: 'a', tasks: 2 },
  { name: 'b', tasks: 2 },
  { name: 'c', tasks: 2 },
]);
const ALL = UNITS.map(unitKey).sort();

interface Report {
  t: number;
  type: string;
  units?: string[];
  workerId: string;
  generation: number;
  isLeader: boolean;
  leader?: string;
  members: string[];
  owned: string[];
  stateOffset: number;
}

class Member {
  readonly reports: Report[] = [];
  private readonly proc: ChildProcess;
  private readonly exited: Promise<number | null>;
  private stderr = '';

  constructor(
    readonly id: string,
    groupId: string,
    timing: { sessionTimeoutMs: number; heartbeatIntervalMs: number; stopDelayMs?: number },
    bootstrap = stackEnv().kafka,
  ) {
    const args = { bootstrap, groupId, workerId: id, units: UNITS, ...timing };
    this.proc = spawn(process.execPath, [SCRIPT, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) this.reports.push(JSON.parse(line) as Report);
      }
    });
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString('utf8')).slice(-20_000)));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
  }

  latest(): Report | undefined {
    for (let i = this.reports.length - 1; i >= 0; i--) if (this.reports[i]!.type === 'state') return this.reports[i];
    return undefined;
  }

  log(): string {
    return this.stderr;
  }

  async kill(): Promise<void> {
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  async terminate(): Promise<number | null> {
    this.proc.kill('SIGTERM');
    return this.exited;
  }

  alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }
}

/** The members' latest reports agree: one generation, the expected members, every unit owned exactly once. */
function settled(members: Member[]): boolean {
  const latest = members.map((m) => m.latest());
  if (latest.some((r) => !r || r.generation === 0)) return false;
  const ids = members.map((m) => m.id).sort();
  if (!latest.every((r) => r!.generation === latest[0]!.generation)) return false;
  if (!latest.every((r) => JSON.stringify(r!.members) === JSON.stringify(ids))) return false;
  const owned = latest.flatMap((r) => r!.owned).sort();
  if (JSON.stringify(owned) !== JSON.stringify(ALL)) return false;
  // Every unit owned under one generation can still be a step before the last: the leader planned before a new
  // member's claim arrived (seen after a broker restart) and re-plans next. Settled means balanced too.
  const spread = (prefix: string): number[] => latest.map((r) => r!.owned.filter((k) => k.startsWith(prefix)).length);
  return [spread('["t"'), spread('["c"')].every((n) => Math.max(...n) - Math.min(...n) <= 1);
}

async function waitFor(what: string, pred: () => boolean, limitMs: number, members: Member[]): Promise<number> {
  const t0 = Date.now();
  try {
    await eventually(pred, { what, timeoutMs: limitMs, intervalMs: 25 });
  } catch (err) {
    const detail = members.map((m) => `${m.id}: ${JSON.stringify(m.latest())}\n${m.log().slice(-3000)}`).join('\n');
    throw new Error(`${(err as Error).message}\n${detail}`);
  }
  return Date.now() - t0;
}

function owners(members: Member[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of members) for (const k of m.latest()!.owned) out.set(k, m.id);
  return out;
}

function expectBalanced(members: Member[]): void {
  const tasks = members.map((m) => m.latest()!.owned.filter((k) => k.startsWith('["t"')).length);
  const connectors = members.map((m) => m.latest()!.owned.filter((k) => k.startsWith('["c"')).length);
  expect(Math.max(...tasks) - Math.min(...tasks)).toBeLessThanOrEqual(1);
  expect(Math.max(...connectors) - Math.min(...connectors)).toBeLessThanOrEqual(1);
}

function expectOneLeader(members: Member[]): string {
  const latest = members.map((m) => m.latest()!);
  const leaders = latest.filter((r) => r.isLeader);
  expect(leaders).toHaveLength(1);
  for (const r of latest) expect(r.leader).toBe(leaders[0]!.workerId);
  return leaders[0]!.workerId;
}

/** Leadership periods (first to last report saying isLeader) of different members never overlap. */
function expectLeadershipNeverOverlaps(members: Member[]): void {
  const periods: { id: string; from: number; to: number }[] = [];
  for (const m of members) {
    let open: { id: string; from: number; to: number } | undefined;
    for (const r of m.reports.filter((x) => x.type === 'state')) {
      if (r.isLeader) {
        open ??= { id: m.id, from: r.t, to: r.t };
        open.to = r.t;
      } else if (open) {
        periods.push(open);
        open = undefined;
      }
    }
    if (open) periods.push(open);
  }
  for (const a of periods)
    for (const b of periods) if (a.id !== b.id) expect(a.to < b.from || b.to < a.from).toBe(true);
}

/**
 * For a unit that moved from `from` to `to`: the old owner finished stopping it (its slow listener settled) before
 * the new owner was given it.
 */
function expectStoppedBeforeStarted(unit: string, from: Member, to: Member, since: number): void {
  const released = from.reports.find((r) => r.t >= since && r.type === 'released' && r.units!.includes(unit));
  expect(released).toBeDefined();
  const firstNew = to.reports.find((r) => r.t >= since && r.type === 'state' && r.owned.includes(unit))!.t;
  expect(released!.t).toBeLessThanOrEqual(firstNew);
}

async function cleanup(members: Member[], groupId: string, bootstrap = stackEnv().kafka): Promise<void> {
  await Promise.all(members.filter((m) => m.alive()).map((m) => m.kill()));
  const admin = new KafkaAdmin({ 'bootstrap.servers': bootstrap });
  for (const t of [`${groupId}-cluster-tokens`, `${groupId}-cluster-state`])
    await admin.deleteTopic(t).catch(() => undefined);
  admin.stop();
}

jest.setTimeout(240_000);

describe('cluster membership through the group coordinator (3 worker processes)', () => {
  const groupId = uniqueId('ferry-cluster');
  // Each member takes 1.5 s to stop a unit it lost, like a task flushing before it stops.
  const timing = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, stopDelayMs: 1_500 };
  const members: Member[] = [];

  afterAll(() => cleanup(members, groupId));

  it('spreads 2/2/2, moves a killed leader’s units, moves only what a joiner takes, and ignores a deposed leader', async () => {
    for (const i of [1, 2, 3]) members.push(new Member(`127.0.0.1:1800${i}`, groupId, timing));
    const formed = await waitFor('3 members to settle', () => settled(members), 60_000, members);
    expectBalanced(members);
    for (const m of members) expect(m.latest()!.owned.filter((k) => k.startsWith('["t"'))).toHaveLength(2);
    const leaderId = expectOneLeader(members);
    console.log(`cluster of 3 formed in ${formed} ms`);

    // kill -9 the leader: the coordinator notices after session.timeout.ms, a survivor takes token 0 and the lead.
    const victim = members.find((m) => m.id === leaderId)!;
    const survivors = members.filter((m) => m !== victim);
    const before = owners(members);
    const killedAt = Date.now();
    await victim.kill();
    const failoverMs = await waitFor('the survivors to own everything', () => settled(survivors), 60_000, survivors);
    console.log(
      `failover after kill -9 of the leader: ${failoverMs} ms (session.timeout.ms ${timing.sessionTimeoutMs})`,
    );
    expectBalanced(survivors);
    const newLeader = expectOneLeader(survivors);
    expect(newLeader).not.toBe(leaderId);
    const afterKill = owners(survivors);
    for (const [k, w] of before) if (w !== victim.id) expect(afterKill.get(k)).toBe(w); // survivors keep theirs

    // A 4th worker joins: only the units it takes move; the others keep running throughout.
    const joiner = new Member('127.0.0.1:18004', groupId, timing);
    members.push(joiner);
    const four = [...survivors, joiner];
    const joinedAt = Date.now();
    const rebalanceMs = await waitFor('the joiner to get its share', () => settled(four), 60_000, four);
    console.log(`rebalance after a join (process start included): ${rebalanceMs} ms`);
    expectBalanced(four);
    expectOneLeader(four);
    const afterJoin = owners(four);
    const moved = [...afterJoin].filter(([k, w]) => afterKill.get(k) !== w);
    // 2 survivors held 3+3 tasks and 2+1 connectors; 3 workers need 2/2/2 and 1/1/1: 2 tasks + 1 connector move.
    expect(moved).toHaveLength(3);
    const oldOwner = (k: string): Member => survivors.find((m) => m.id === afterKill.get(k))!;
    const releasedBy = (k: string) =>
      oldOwner(k).reports.some((r) => r.t >= joinedAt && r.type === 'released' && r.units!.includes(k));
    await waitFor('the old owners to report their stops', () => moved.every(([k]) => releasedBy(k)), 10_000, four);
    for (const [k, w] of moved) {
      expect(w).toBe(joiner.id);
      expectStoppedBeforeStarted(k, oldOwner(k), joiner, joinedAt);
    }
    for (const m of survivors) {
      const kept = [...afterKill].filter(([k, w]) => w === m.id && afterJoin.get(k) === m.id).map(([k]) => k);
      for (const r of m.reports.filter((x) => x.type === 'state' && x.t >= joinedAt))
        for (const k of kept) expect(r.owned).toContain(k); // never stopped
    }
    expectLeadershipNeverOverlaps(members);
    // Generations only grow: status writes stamped with them let the newer owner win.
    for (const m of members) {
      const gens = m.reports.filter((r) => r.type === 'state').map((r) => r.generation);
      expect(gens).toEqual([...gens].sort((a, b) => a - b));
    }

    // A deposed leader (the killed one) publishes late: nobody applies it.
    const generation = four[0]!.latest()!.generation;
    const producer = new DataProducer({ 'bootstrap.servers': stackEnv().kafka }, silentLogger);
    await producer.start();
    const writeState = (key: string, value: unknown): Promise<number | undefined> =>
      producer.sendAsync({
        topic: `${groupId}-cluster-state`,
        partition: 0,
        key: Buffer.from(key),
        value: Buffer.from(JSON.stringify(value)),
        headers: [],
      });
    const ownedBy = (id: string): string[] =>
      [...afterJoin]
        .filter(([, w]) => w === id)
        .map(([k]) => k)
        .sort();
    try {
      const staleOffset = await writeState('assignment', {
        epoch: 0,
        leader: victim.id,
        owners: Object.fromEntries(ALL.map((k) => [k, joiner.id])),
      });
      await waitFor(
        'every member to read the stale assignment',
        () => four.every((m) => m.latest()!.stateOffset > staleOffset!),
        30_000,
        four,
      );
      for (const m of four) {
        expect(m.latest()!.generation).toBe(generation);
        expect(m.latest()!.owned.sort()).toEqual(ownedBy(m.id));
      }

      // A deposed leader's leader record lands late (delayed in flight): the holder of token 0 claims the lead
      // again and republishes; nothing moves.
      const leaderNow = four.find((m) => m.latest()!.isLeader)!.id;
      await writeState('leader', { worker: victim.id });
      await waitFor(
        'the holder of token 0 to lead again under a new generation',
        () =>
          settled(four) && four.every((m) => m.latest()!.leader === leaderNow && m.latest()!.generation > generation),
        30_000,
        four,
      );
      expectOneLeader(four);
      for (const m of four) expect(m.latest()!.owned.sort()).toEqual(ownedBy(m.id));
    } finally {
      await producer.stop();
    }
    expect(killedAt).toBeLessThan(joinedAt);
  });
});

describe('graceful stop', () => {
  const groupId = uniqueId('ferry-cluster-stop');
  // A session timeout far above the wait limits below: a handover that waited for it would fail the test.
  const timing = { sessionTimeoutMs: 60_000, heartbeatIntervalMs: 2_000 };
  const members: Member[] = [];

  afterAll(() => cleanup(members, groupId));

  it('hands a stopping leader’s and a stopping member’s units over without waiting for the session timeout', async () => {
    for (const i of [1, 2, 3]) members.push(new Member(`127.0.0.1:1810${i}`, groupId, timing));
    await waitFor('3 members to settle', () => settled(members), 60_000, members);
    const leaderId = expectOneLeader(members);

    const leader = members.find((m) => m.id === leaderId)!;
    let rest = members.filter((m) => m !== leader);
    const leaderExit = leader.terminate();
    const leaderHandoverMs = await waitFor('the others to take over', () => settled(rest), 30_000, rest);
    console.log(`graceful stop of the leader: its units owned by the others ${leaderHandoverMs} ms after SIGTERM`);
    expect(await leaderExit).toBe(0);
    expectBalanced(rest);
    // The assignment stays in force while the coordinator moves token 0; then exactly one survivor leads.
    const leadMs = await waitFor(
      'a new leader',
      () => {
        const leaders = rest.filter((m) => m.latest()!.isLeader);
        return leaders.length === 1 && rest.every((m) => m.latest()!.leader === leaders[0]!.id);
      },
      30_000,
      rest,
    );
    console.log(`graceful stop of the leader: a new leader ${leaderHandoverMs + leadMs} ms after SIGTERM`);
    expectOneLeader(rest);

    const follower = rest.find((m) => !m.latest()!.isLeader)!;
    rest = rest.filter((m) => m !== follower);
    const followerExit = follower.terminate();
    const followerHandoverMs = await waitFor('the last member to own everything', () => settled(rest), 30_000, rest);
    console.log(`graceful stop of a follower: its units owned by the other ${followerHandoverMs} ms after SIGTERM`);
    expect(await followerExit).toBe(0);
    expect(rest[0]!.latest()!.owned.sort()).toEqual(ALL);
    expectLeadershipNeverOverlaps(members);
  });
});

describe('losing the coordinator', () => {
  const groupId = uniqueId('ferry-cluster-cut');
  const timing = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 };
  const members: Member[] = [];
  let kafka: DedicatedService | undefined;

  afterAll(async () => {
    await Promise.all(members.filter((m) => m.alive()).map((m) => m.kill()));
    await kafka?.destroy();
  });

  it('a member that loses its membership owns nothing, and the cluster re-forms when the broker is back', async () => {
    kafka = await DedicatedService.start('kafka');
    for (const i of [1, 2]) members.push(new Member(`127.0.0.1:1820${i}`, groupId, timing, kafka.url));
    await waitFor('2 members to settle', () => settled(members), 90_000, members);
    for (const m of members) expect(m.latest()!.owned.length).toBeGreaterThan(0);

    // The broker (and with it the group coordinator) vanishes: each member's own session check gives its tokens up.
    await kafka.kill();
    const fencedMs = await waitFor(
      'both members to own nothing',
      () => members.every((m) => m.latest()!.owned.length === 0 && !m.latest()!.isLeader),
      60_000,
      members,
    );
    console.log(`members cut off from the coordinator owned nothing after ${fencedMs} ms (session 6 s)`);
    for (const m of members) expect(m.alive()).toBe(true);

    await kafka.up();
    // The old assignment applies again as soon as the tokens are back; the lead is claimed a write later.
    const oneLeader = (): boolean => {
      const leaders = members.filter((m) => m.latest()!.isLeader);
      return leaders.length === 1 && members.every((m) => m.latest()!.leader === leaders[0]!.id);
    };
    await waitFor('the cluster to re-form', () => settled(members) && oneLeader(), 120_000, members);
    expectOneLeader(members);
    expectBalanced(members);
  });
});
