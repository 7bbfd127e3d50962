/**
 * The short profile of the fault matrix (test/chaos, docs/reliability.md): a few rows with small repetition counts,
 * each a sequence-numbered stream from a separate publisher process through real worker processes, read back by a
 * separate reader. Rows that must hold today assert it; rows that fail today because of a known defect of issue #16
 * are `test.failing` with the defect named, so they flip (and must be turned into plain tests) when the fix lands.
 * Broker faults use the suite's own Mosquitto; the shared stack is never stopped.
 */
import { brokersFor, runEntry, SHORT, type Entry } from '../../chaos/matrix';
import type { Counts, RowResult } from '../../chaos/lib/verdict';

jest.setTimeout(600_000);

const ENTRIES = Object.values(SHORT);
let brokers: Awaited<ReturnType<typeof brokersFor>> | undefined;
const runs = new Map<Entry, Promise<RowResult>>();

beforeAll(async () => {
  const { FERRY_KAFKA_BOOTSTRAP: kafka, FERRY_MQTT_URL: mqtt, FERRY_SCHEMA_REGISTRY_URL: registry } = process.env;
  if (!kafka || !mqtt) throw new Error('the local stack is not up: run the integration tests through jest');
  brokers = await brokersFor(ENTRIES, kafka, mqtt, registry);
}, 300_000);

afterAll(async () => {
  await brokers?.close();
});

/** Runs a row once (its tests share the result) and fails with the row's own error when it broke. */
async function counts(entry: Entry): Promise<Counts> {
  if (!runs.has(entry)) runs.set(entry, runEntry(entry, brokers!));
  const r = await runs.get(entry)!;
  if (!r.counts) throw new Error(`row ${r.row} broke: ${r.error}; ${r.notes.join('; ')}`);
  return r.counts;
}

/** Nothing acknowledged upstream is missing, and no key's stream was reordered. */
async function noLossInOrder(entry: Entry): Promise<void> {
  const c = await counts(entry);
  expect(c.acked).toBeGreaterThan(0);
  expect(c.lost).toBe(0);
  expect(c.orderViolations).toBe(0);
}

describe('worker SIGKILL ×2 (QoS 1, MQTT 5)', () => {
  test('0 lost, per-key order kept, duplicates within one window per kill', async () => {
    await noLossInOrder(SHORT.sigkill!);
    const c = await counts(SHORT.sigkill!);
    expect(c.duplicates).toBeLessThanOrEqual(2 * 1000);
  });
});

describe('worker SIGKILL ×1 (QoS 2, MQTT 3.1.1)', () => {
  test('0 lost, per-key order kept', () => noLossInOrder(SHORT.sigkillQos2!));
});

describe('Mosquitto SIGKILL (persistence on, its own instance)', () => {
  test('per-key order kept', async () => {
    const c = await counts(SHORT.mosquittoKill!);
    expect(c.acked).toBeGreaterThan(0);
    expect(c.orderViolations).toBe(0);
  });
  // What Mosquitto acknowledged within its save interval before the kill (including PUBACKs the publisher read only
  // after the kill: no broker was there to write them) died with it; anything else missing is Ferry's.
  test('0 lost beyond what the broker itself had not saved', async () => {
    const c = await counts(SHORT.mosquittoKill!);
    expect(c.lost - c.lostInBrokerSaveWindow).toBe(0);
  });
});

describe('pause/resume ×2 under load', () => {
  test('0 lost, per-key order kept', () => noLossInOrder(SHORT.pause!));
  // #16 "Graceful stop of a source disconnects before in-flight records finish", fixed: a pause drains the records
  // in flight and acknowledges them before the session disconnects (graceful-stop.test.ts).
  test('0 duplicates (a graceful operation)', async () => {
    expect((await counts(SHORT.pause!)).duplicates).toBe(0);
  });
});

describe('tasks.max 1 → 3 → 1 under load', () => {
  test('messages flow through the rescale', async () => {
    expect((await counts(SHORT.rescale!)).acked).toBeGreaterThan(0);
  });
  // #16: a shrink ended the departed tasks' sessions with clean start and discarded what the broker had queued for
  // them (32 lost in one run); the departed tasks now drain their sessions before they stop.
  test('0 lost', async () => {
    expect((await counts(SHORT.rescale!)).lost).toBe(0);
  });
  // The departed sessions now drain with nothing redelivered, and task 0's graceful stop (it is restarted with each
  // change of assignment) no longer redelivers what it had in flight. A copy can remain (0 and 1 in two runs): task
  // 0's plain and shared filters overlap for a moment (subscribe before unsubscribe). Not asserted until that goes.
  test.skip('0 duplicates (a graceful operation)', async () => {
    expect((await counts(SHORT.rescale!)).duplicates).toBe(0);
  });
  // Not one of #16's bullets, and no fix of them will flip this: with tasks.max > 1 the tasks share one MQTT shared
  // subscription and Mosquitto round-robins a topic's messages over its members, so one key reaches Kafka through
  // several producers out of order (a documented limit, docs/mqtt-source.md; rolling-sigterm shows it in steady state).
  // Whether a short run shows it varies, so it is not asserted either way.
  test.skip('per-key order kept in Kafka', async () => {
    expect((await counts(SHORT.rescale!)).orderViolations).toBe(0);
  });
});

describe('sink with a topic-renaming RegexRouter, restarted gracefully', () => {
  test('0 lost, per-key order kept', () => noLossInOrder(SHORT.sinkRouter!));
  test('0 duplicates (a graceful operation)', async () => {
    expect((await counts(SHORT.sinkRouter!)).duplicates).toBe(0);
  });
});

describe('sink stopped (worker SIGTERM) while its MQTT broker is down and its window is full', () => {
  test('0 lost, per-key order kept', () => noLossInOrder(SHORT.sinkBrokerDown!));
  test('the worker stops cleanly (exit code 0)', async () => {
    expect((await counts(SHORT.sinkBrokerDown!)).unfinishedStops).toBe(0);
  });
});
