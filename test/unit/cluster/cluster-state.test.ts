import { ClusterState, unitKey } from '../../../runtime/cluster';

let offset = 0;
const rec = (key: string, value: unknown) => ({
  key,
  value: value === null ? null : Buffer.from(JSON.stringify(value)),
  offset: offset++,
});

beforeEach(() => {
  offset = 0;
});

const A0 = unitKey({ connector: 'a', task: 0 });

describe('ClusterState', () => {
  it("accepts an assignment of the newest leader epoch; the record's offset + 1 is the generation", () => {
    const s = new ClusterState();
    s.apply(rec('leader', { worker: 'w1' })); // epoch 0
    expect(s.leader()).toEqual({ worker: 'w1', epoch: 0 });
    expect(s.apply(rec('assignment', { epoch: 0, leader: 'w1', owners: { [A0]: 'w2' } }))).toBe('assignment');
    expect(s.assignment()?.generation).toBe(2);
    expect(s.assignment()?.owners.get(A0)).toBe('w2');
  });

  it("ignores a deposed leader's assignment written after its successor's leader record", () => {
    const s = new ClusterState();
    s.apply(rec('leader', { worker: 'w1' })); // epoch 0
    s.apply(rec('assignment', { epoch: 0, leader: 'w1', owners: { [A0]: 'w1' } }));
    s.apply(rec('leader', { worker: 'w2' })); // epoch 2
    expect(s.apply(rec('assignment', { epoch: 0, leader: 'w1', owners: { [A0]: 'w3' } }))).toBe('none');
    expect(s.assignment()?.owners.get(A0)).toBe('w1'); // the old assignment stays in force until w2 publishes
    s.apply(rec('assignment', { epoch: 2, leader: 'w2', owners: { [A0]: 'w2' } }));
    expect(s.assignment()?.owners.get(A0)).toBe('w2');
    expect(s.assignment()?.generation).toBe(5);
  });

  it('ignores an assignment whose leader does not match the epoch, and malformed records', () => {
    const s = new ClusterState();
    s.apply(rec('leader', { worker: 'w1' }));
    expect(s.apply(rec('assignment', { epoch: 0, leader: 'w9', owners: {} }))).toBe('none');
    expect(s.apply({ key: 'assignment', value: Buffer.from('{not json'), offset: offset++ })).toBe('none');
    expect(s.apply(rec('leader', { nobody: true }))).toBe('none');
    expect(s.apply(rec('member-w1', { partitions: 'x' }))).toBe('none');
    expect(s.assignment()).toBe(undefined);
    expect(s.leader()?.worker).toBe('w1');
  });

  it('ignores every assignment before any leader record', () => {
    const s = new ClusterState();
    expect(s.apply(rec('assignment', { epoch: 0, leader: 'w1', owners: {} }))).toBe('none');
  });

  it('counts as live the members holding a token partition; a later claim takes a partition over', () => {
    const s = new ClusterState();
    s.apply(rec('member-w1', { worker: 'w1', partitions: [0, 1], applied: 0 }));
    s.apply(rec('member-w2', { worker: 'w2', partitions: [2], applied: 0 }));
    expect(s.liveMembers()).toEqual(['w1', 'w2']);
    // w1 crashed: the coordinator gave its tokens to w2, whose newer record claims them. w1's record stays.
    s.apply(rec('member-w2', { worker: 'w2', partitions: [0, 1, 2], applied: 0 }));
    expect(s.liveMembers()).toEqual(['w2']);
    expect(s.partitionsOf('w2')).toEqual([0, 1, 2]);
  });

  it('does not bring a crashed member back when the partition it last claimed moves on', () => {
    const s = new ClusterState();
    s.apply(rec('member-dead', { worker: 'dead', partitions: [0], applied: 0 }));
    s.apply(rec('member-w2', { worker: 'w2', partitions: [0], applied: 0 })); // took it over
    s.apply(rec('member-w2', { worker: 'w2', partitions: [], applied: 0 })); // revoked to hand to w3
    expect(s.liveMembers()).toEqual([]);
    s.apply(rec('member-w3', { worker: 'w3', partitions: [0], applied: 0 }));
    expect(s.liveMembers()).toEqual(['w3']);
  });

  it('drops a member that left (tombstone) and tracks applied generations', () => {
    const s = new ClusterState();
    s.apply(rec('member-w1', { worker: 'w1', partitions: [0], applied: 7 }));
    expect(s.applied('w1')).toBe(7);
    s.apply(rec('member-w1', null));
    expect(s.liveMembers()).toEqual([]);
    expect(s.applied('w1')).toBe(0);
  });

  it('reads the generation of releasing entries written as null from the record itself', () => {
    const s = new ClusterState();
    s.apply(rec('leader', { worker: 'w1' }));
    s.apply(
      rec('assignment', {
        epoch: 0,
        leader: 'w1',
        owners: {},
        releasing: { [A0]: { worker: 'w2', generation: null }, x: { worker: 'w3', generation: 1 } },
      }),
    );
    expect(s.assignment()?.releasing.get(A0)).toEqual({ worker: 'w2', generation: 2 });
    expect(s.assignment()?.releasing.get('x')).toEqual({ worker: 'w3', generation: 1 });
    expect(s.nextOffset()).toBe(2);
  });
});
