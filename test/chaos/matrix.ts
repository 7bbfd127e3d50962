import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_STREAM, Stream, type Brokers } from './lib/flow';
import { killAll } from './lib/procs';
import { Broker } from './lib/stack';
import { line, type RowResult } from './lib/verdict';
import type { RowParams, RowSpec } from './rows/row';
import { sinkRestart, sinkStopBrokerDown } from './rows/sink-rows';
import {
  kafkaRestart,
  mosquittoRestart,
  pauseResume,
  rollingSigterm,
  tasksMaxRescale,
  workerSigkill,
  zombieWorker,
} from './rows/source-rows';

export const ROWS: readonly RowSpec[] = [
  workerSigkill,
  rollingSigterm,
  mosquittoRestart,
  kafkaRestart,
  pauseResume,
  tasksMaxRescale,
  zombieWorker,
  sinkRestart,
  sinkStopBrokerDown,
];

export interface Entry {
  readonly row: string;
  readonly params: Partial<RowParams>;
}

const e = (row: string, params: Partial<RowParams> = {}): Entry => ({ row, params });

/**
 * The long profile (`make chaos`): every row of issue #16's fault matrix, QoS 1 and 2, MQTT 3.1.1 and 5.
 * A few minutes per row on a 2-core box: run it on demand, not in `make test`.
 */
export const LONG: readonly Entry[] = [
  e('worker-sigkill', { n: 20, qos: 1, mqttVersion: '5' }),
  e('worker-sigkill', { n: 5, qos: 1, mqttVersion: '3.1.1' }),
  e('worker-sigkill', { n: 5, qos: 2, mqttVersion: '5' }),
  e('worker-sigkill', { n: 5, qos: 2, mqttVersion: '3.1.1' }),
  e('rolling-sigterm'),
  e('mosquitto-restart', { mode: 'stop', n: 2, outageMs: 5000 }),
  e('mosquitto-restart', { mode: 'kill', n: 2, outageMs: 5000 }),
  e('mosquitto-restart', { mode: 'kill', n: 1, outageMs: 5000, qos: 2, mqttVersion: '3.1.1' }),
  e('kafka-restart', { outageMs: 30_000, sessionTimeoutMs: 45_000 }),
  e('kafka-restart', { outageMs: 30_000, sessionTimeoutMs: 8000 }),
  e('pause-resume', { n: 20 }),
  e('tasks-max-rescale'),
  e('zombie-worker', { outageMs: 15_000 }),
  e('sink-restart', { transform: 'none', n: 2 }),
  e('sink-restart', { transform: 'none', n: 2, qos: 2, mqttVersion: '3.1.1' }),
  e('sink-restart', { transform: 'RegexRouter', n: 2 }),
  e('sink-stop-broker-down', { op: 'sigterm', window: 5 }),
  e('sink-stop-broker-down', { op: 'pause', window: 5 }),
];

/** The short profile: what the jest file runs inside `make test` (a few minutes in all). */
export const SHORT: Readonly<Record<string, Entry>> = {
  sigkill: e('worker-sigkill', { n: 2, qos: 1, mqttVersion: '5' }),
  sigkillQos2: e('worker-sigkill', { n: 1, qos: 2, mqttVersion: '3.1.1' }),
  mosquittoKill: e('mosquitto-restart', { mode: 'kill', n: 1, outageMs: 3000 }),
  pause: e('pause-resume', { n: 2 }),
  rescale: e('tasks-max-rescale'),
  sinkRouter: e('sink-restart', { transform: 'RegexRouter', n: 1 }),
  sinkBrokerDown: e('sink-stop-broker-down', { op: 'sigterm', window: 5 }),
};

function resolve(entry: Entry): { spec: RowSpec; p: RowParams } {
  const spec = ROWS.find((r) => r.id === entry.row);
  if (!spec) throw new Error(`no row ${entry.row}`);
  return { spec, p: { ...DEFAULT_STREAM, n: 1, outageMs: 5000, ...entry.params } };
}

/** The parameters worth printing: the stream's, and those the row uses. */
function shown(entry: Entry, p: RowParams): Record<string, string | number> {
  const out: Record<string, string | number> = { qos: p.qos, mqtt: p.mqttVersion };
  for (const [k, v] of Object.entries(entry.params)) {
    if (k === 'qos' || k === 'mqttVersion' || v === undefined) continue;
    if (k.endsWith('Ms')) out[k.slice(0, -2)] = `${(v as number) / 1000}s`;
    else out[k] = v;
  }
  return out;
}

/** Runs one row against `brokers`; a row that breaks reports its error instead of counts. Never throws. */
export async function runEntry(
  entry: Entry,
  brokers: Brokers,
  log: (l: string) => void = console.log,
): Promise<RowResult> {
  const { spec, p } = resolve(entry);
  const t0 = Date.now();
  const s = new Stream(spec.kind, brokers, p);
  let result: RowResult;
  try {
    await spec.run(s, p);
    result = await s.finish(spec.id, shown(entry, p), t0);
  } catch (err) {
    const tail = s.workers
      .map((w) => Stream.tail(w, 3))
      .filter(Boolean)
      .join(' | ');
    result = {
      row: spec.id,
      params: shown(entry, p),
      notes: [...s.notes, ...(tail ? [`worker log: ${tail}`] : [])],
      error: (err as Error).message.slice(0, 500),
      seconds: Math.round((Date.now() - t0) / 1000),
      at: new Date().toISOString(),
    };
  } finally {
    await s.close();
    // A fault row must leave its broker running for the next one (harmless when it already runs).
    for (const b of [brokers.kafka, brokers.mqtt]) if (b.isPrivate) await b.up().catch(() => undefined);
  }
  log(line(result));
  return result;
}

/** Private brokers for the rows that need them; the shared stack's for the rest. */
export async function brokersFor(
  entries: readonly Entry[],
  sharedKafka: string,
  sharedMqtt: string,
  registry?: string,
): Promise<Brokers & { close(): Promise<void> }> {
  const needs = new Set(entries.flatMap((x) => resolve(x).spec.privateBrokers ?? []));
  const kafka = needs.has('kafka') ? await Broker.private('kafka') : Broker.shared('kafka', sharedKafka);
  let mqtt: Broker;
  try {
    mqtt = needs.has('mqtt') ? await Broker.private('mqtt') : Broker.shared('mqtt', sharedMqtt);
  } catch (err) {
    await kafka.destroy();
    throw err;
  }
  return {
    kafka,
    mqtt,
    registry,
    close: async () => {
      killAll();
      await Promise.all([kafka.destroy(), mqtt.destroy()]);
    },
  };
}

export interface RunFile {
  readonly profile: string;
  readonly machine: string;
  readonly started: string;
  readonly results: RowResult[];
}

export function writeResults(file: string, run: RunFile): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
}

export function readResults(file: string): RunFile {
  return JSON.parse(readFileSync(file, 'utf8')) as RunFile;
}
