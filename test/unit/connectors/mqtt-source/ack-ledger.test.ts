import { AckLedger } from '../../../../connectors/mqtt-source/ack-ledger';

describe('AckLedger', () => {
  it('releases nothing before done: an early ack is impossible', () => {
    const ledger = new AckLedger();
    ledger.newEpoch(false);
    ledger.admit(1, 10);
    ledger.admit(1, 11);
    expect(ledger.inFlight).toBe(2);
    // Nothing is ever returned except from done(): admitting alone produced no ack.
    const { slot } = ledger.admit(1, 12);
    expect(ledger.done(slot)).toEqual([]);
    expect(ledger.inFlight).toBe(3);
  });

  it('releases out-of-order completions in arrival order, only the contiguous done prefix', () => {
    const ledger = new AckLedger();
    ledger.newEpoch(false);
    const a = ledger.admit(1, 1).slot;
    const b = ledger.admit(2, 2).slot;
    const c = ledger.admit(1, 3).slot;
    const d = ledger.admit(1, 4).slot;
    expect(ledger.done(c)).toEqual([]);
    expect(ledger.done(b)).toEqual([]);
    expect(ledger.done(a)).toEqual([
      { kind: 'puback', packetId: 1 },
      { kind: 'pubrec', packetId: 2 },
      { kind: 'puback', packetId: 3 },
    ]);
    expect(ledger.inFlight).toBe(1);
    expect(ledger.done(d)).toEqual([{ kind: 'puback', packetId: 4 }]);
    expect(ledger.inFlight).toBe(0);
  });

  it('QoS 0 slots keep their place in the window but produce no ack', () => {
    const ledger = new AckLedger();
    ledger.newEpoch(false);
    const a = ledger.admit(0, undefined).slot;
    const b = ledger.admit(1, 7).slot;
    expect(ledger.done(b)).toEqual([]);
    expect(ledger.done(a)).toEqual([{ kind: 'puback', packetId: 7 }]);
  });

  it('drops pending slots on a new epoch: a late done from the old connection releases nothing', () => {
    const ledger = new AckLedger();
    ledger.newEpoch(false);
    const old1 = ledger.admit(1, 1).slot;
    const old2 = ledger.admit(1, 2).slot;
    ledger.newEpoch(true);
    expect(ledger.inFlight).toBe(0);
    expect(ledger.done(old1)).toEqual([]);
    expect(ledger.done(old2)).toEqual([]);
    // The broker redelivers packet id 1 on the new connection: it is a new message to produce, not a duplicate.
    const again = ledger.admit(1, 1);
    expect(again.duplicate).toBe(false);
    expect(ledger.done(again.slot)).toEqual([{ kind: 'puback', packetId: 1 }]);
  });

  it('does not produce twice a resend of a packet id pending on the same connection', () => {
    const ledger = new AckLedger();
    ledger.newEpoch(false);
    const first = ledger.admit(1, 5);
    const resend = ledger.admit(1, 5);
    expect(first.duplicate).toBe(false);
    expect(resend.duplicate).toBe('pending');
    expect(resend.slot).toBe(first.slot);
    expect(ledger.inFlight).toBe(1);
    expect(ledger.done(first.slot)).toEqual([{ kind: 'puback', packetId: 5 }]);
  });

  it('answers a QoS 2 resend after PUBREC without producing it, in order, until PUBREL', () => {
    const ledger = new AckLedger();
    ledger.newEpoch(false);
    const m = ledger.admit(2, 9).slot;
    expect(ledger.done(m)).toEqual([{ kind: 'pubrec', packetId: 9 }]);
    expect(ledger.awaitingReleaseCount).toBe(1);
    ledger.newEpoch(true); // reconnect, session resumed
    const before = ledger.admit(1, 3).slot;
    const resend = ledger.admit(2, 9);
    expect(resend.duplicate).toBe('in-kafka');
    // Its PUBREC waits for the earlier message's ack.
    expect(ledger.done(resend.slot)).toEqual([]);
    expect(ledger.done(before)).toEqual([
      { kind: 'puback', packetId: 3 },
      { kind: 'pubrec', packetId: 9 },
    ]);
    ledger.released(9);
    expect(ledger.awaitingReleaseCount).toBe(0);
    expect(ledger.admit(2, 9).duplicate).toBe(false);
  });

  it('forgets QoS 2 state when the broker started a new session', () => {
    const ledger = new AckLedger();
    ledger.newEpoch(false);
    ledger.done(ledger.admit(2, 9).slot);
    ledger.newEpoch(false);
    expect(ledger.admit(2, 9).duplicate).toBe(false);
  });

  it('a failed slot blocks every later ack', () => {
    const ledger = new AckLedger();
    ledger.newEpoch(false);
    const a = ledger.admit(1, 1).slot;
    const b = ledger.admit(1, 2).slot;
    expect(ledger.fail(a)).toBe(true);
    expect(ledger.done(b)).toEqual([]);
    expect(ledger.done(a)).toEqual([]);
    expect(ledger.inFlight).toBe(2);
  });

  it('keeps finding slots after compaction under a window that never empties', () => {
    const ledger = new AckLedger();
    ledger.newEpoch(false);
    let held = ledger.admit(1, 1).slot;
    let released = 0;
    for (let i = 0; i < 10_000; i++) {
      const next = ledger.admit(1, (i % 60_000) + 2).slot;
      released += ledger.done(held).length;
      held = next;
      expect(ledger.inFlight).toBe(1);
    }
    expect(released).toBe(10_000);
    expect(ledger.done(held)).toHaveLength(1);
  });
});
