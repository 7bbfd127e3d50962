/**
 * The order of a source task's graceful stop (issue #16), with the real runner and the real MQTT source task against
 * an in-process broker that records every packet, and a producer the test answers by hand: no Kafka.
 *
 * What it promises: once the stop begins, no new message is read or produced; the records already produced get
 * until the graceful timeout; each PUBACK goes out only after its record's delivery report; the offsets are written,
 * and only then does the task DISCONNECT. At the deadline the task disconnects with what is left unacknowledged,
 * and a delivery report arriving after that acknowledges nothing.
 */
import type { Packet } from 'mqtt-packet';
import type {
  OffsetMap,
  SourceConnectorPlugin,
  SourceRecord,
  SourceTask,
  SourceTaskContext,
} from '../../../runtime/api';
import { MqttSourceTask, parseSourceSettings } from '../../../connectors/mqtt-source';
import type { DataProducer } from '../../../runtime/kafka';
import type { ProducerRecord, SourcePipeline } from '../../../runtime/pipeline/types';
import type { OffsetStore } from '../../../runtime/storage';
import { SourceTaskRunner } from '../../../runtime/tasks/source-task-runner';
import { FakeMqttBroker } from '../../helpers/fake-mqtt-broker';
import { quietSourceRunnerDeps, runnerTask } from '../../helpers/runner';

/** Holds every record until the test delivers it; `payloads` is what was ever handed to Kafka. */
class HeldProducer {
  readonly held = new Map<string, (err?: Error) => void>();
  readonly payloads: string[] = [];
  send(record: ProducerRecord, cb: (err?: Error) => void): void {
    const payload = String(record.value);
    this.payloads.push(payload);
    this.held.set(payload, cb);
  }
  deliver(payload: string): void {
    const cb = this.held.get(payload);
    if (!cb) throw new Error(`nothing held with payload ${payload}`);
    this.held.delete(payload);
    cb();
  }
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never happened: ${what}`);
}

/** The client's packets that matter here, as `puback:<id>` / `disconnect`, in the order the broker read them. */
function wire(events: string[], p: Packet): void {
  if (p.cmd === 'puback') events.push(`puback:${p.messageId}`);
  else if (p.cmd === 'disconnect') events.push('disconnect');
}

async function setup() {
  const broker = new FakeMqttBroker(5);
  await broker.start();
  const events: string[] = [];
  /** For each write of record offsets: whether the broker had already seen the DISCONNECT. */
  const offsetWrites: boolean[] = [];
  const seen = broker.packets.push.bind(broker.packets);
  broker.packets.push = (...packets: Packet[]) => {
    for (const p of packets) wire(events, p);
    return seen(...packets);
  };
  const producer = new HeldProducer();
  const config = {
    'connector.class': 'MqttSourceConnector',
    'mqtt.server.uri': broker.url,
    'mqtt.topics': 't/+',
    'mqtt.qos': '1',
    'kafka.topic': 'out',
    'mqtt.value.format': 'bytes',
  };
  // The payload as the record's value: the test names records by the message they came from.
  const pipeline: SourcePipeline = {
    process: (r) => ({ topic: 'out', value: r.originalBytes ?? Buffer.alloc(0), key: null, headers: [] }),
    close: () => Promise.resolve(),
  };
  const offsets = {
    get: () => null,
    write: (_c: string, entries: { partition: OffsetMap; offset: OffsetMap }[]) => {
      if (entries.some((e) => 'count' in e.offset)) offsetWrites.push(events.includes('disconnect'));
      return Promise.resolve();
    },
  };
  const runner = new SourceTaskRunner({
    ...runnerTask(
      { type: 'source', createTask: () => new MqttSourceTask() } as unknown as SourceConnectorPlugin,
      'stop-order',
    ),
    config,
    rawConfig: config,
    settings: parseSourceSettings(config),
    pipeline,
    producer: producer as unknown as DataProducer,
    ...quietSourceRunnerDeps(),
    offsets: offsets as unknown as OffsetStore,
    onFailure: () => undefined,
  });
  await runner.start();
  await until('subscribed', () => broker.packets.some((p) => p.cmd === 'subscribe'));
  return { broker, producer, runner, events, offsetWrites };
}

describe('graceful stop of the MQTT source', () => {
  it('stops reading, acks each record after its delivery report, writes offsets, and only then disconnects', async () => {
    const { broker, producer, runner, events, offsetWrites } = await setup();
    try {
      for (const id of [1, 2, 3]) broker.publish(id, 1, `m${id}`);
      await until('three records produced', () => producer.payloads.length === 3);

      const stopping = runner.stop(30_000);
      let stopped = false;
      void stopping.then(() => (stopped = true));
      // Sent after the stop began: never read into the pipeline, never acknowledged (the broker redelivers it).
      broker.publish(4, 1, 'm4');
      await new Promise((r) => setTimeout(r, 100));
      expect(events).toEqual([]); // nothing is in Kafka yet: no ack, and the connection stays for the acks to come

      producer.deliver('m1');
      producer.deliver('m2');
      await until('acks of m1 and m2', () => events.length === 2);
      expect(events).toEqual(['puback:1', 'puback:2']);
      expect(stopped).toBe(false);

      producer.deliver('m3');
      await stopping;
      expect(events).toEqual(['puback:1', 'puback:2', 'puback:3', 'disconnect']);
      expect(offsetWrites).toEqual([false]); // written while still connected
      expect(producer.payloads).toEqual(['m1', 'm2', 'm3']);
    } finally {
      await runner.stop(0);
      await broker.stop();
    }
  });

  it('at the graceful timeout disconnects with what is not in Kafka unacknowledged, for good', async () => {
    const { broker, producer, runner, events, offsetWrites } = await setup();
    try {
      for (const id of [1, 2]) broker.publish(id, 1, `m${id}`);
      await until('two records produced', () => producer.payloads.length === 2);
      producer.deliver('m1');
      await runner.stop(200);
      expect(events).toEqual(['puback:1', 'disconnect']);

      // Kafka has m2 only now: too late, its message goes to the task's successor again.
      producer.deliver('m2');
      await new Promise((r) => setTimeout(r, 100));
      expect(events).toEqual(['puback:1', 'disconnect']);
      expect(offsetWrites).toHaveLength(1);
    } finally {
      await broker.stop();
    }
  });
});

describe('graceful stop of a source task at its deadline', () => {
  it('hands no record to the producer once the deadline passed, and stops the task before late reports', async () => {
    const calls: string[] = [];
    const outcomes = new Map<string, string>();
    let ctx: SourceTaskContext | undefined;
    const task: SourceTask = {
      start: (c) => {
        ctx = c;
        return Promise.resolve();
      },
      stopAdmitting: () => void calls.push('stopAdmitting'),
      stop: () => {
        calls.push('stop');
        return Promise.resolve();
      },
    };
    // 'slow' waits in the pipeline (a schema registry call, say) until the test opens the gate.
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const toRecord = (r: SourceRecord): ProducerRecord => ({
      topic: 'out',
      value: Buffer.from(String(r.value)),
      key: null,
      headers: [],
    });
    const pipeline: SourcePipeline = {
      process: (r) => (r.value === 'slow' ? gate.then(() => toRecord(r)) : toRecord(r)),
      close: () => Promise.resolve(),
    };
    const producer = new HeldProducer();
    const runner = new SourceTaskRunner({
      ...runnerTask({ type: 'source', createTask: () => task } as unknown as SourceConnectorPlugin),
      pipeline,
      producer: producer as unknown as DataProducer,
      ...quietSourceRunnerDeps(),
      offsets: { get: () => null, write: () => Promise.resolve() } as unknown as OffsetStore,
      onFailure: () => undefined,
    });
    await runner.start();
    for (const value of ['fast', 'slow']) {
      const r: SourceRecord = { topic: 'out', key: null, value, headers: [], sourcePartition: {}, sourceOffset: {} };
      ctx!.send(r, (err) => {
        calls.push(`done ${value}`);
        outcomes.set(value, err ? err.message : 'ok');
      });
    }
    await new Promise((r) => setImmediate(r));
    expect(producer.payloads).toEqual(['fast']);

    await runner.stop(100);
    // Neither record finished in time: the task was stopped without either being completed.
    expect(calls).toEqual(['stopAdmitting', 'stop']);
    openGate();
    await new Promise((r) => setTimeout(r, 20));
    // The record that left the pipeline after the deadline never reaches the producer: it could land after the copy
    // the source redelivers to the task's successor. It is completed with an error, after the task's stop.
    expect(producer.payloads).toEqual(['fast']);
    expect(outcomes.get('slow')).toBe('the task stopped');
    producer.deliver('fast');
    expect(calls).toEqual(['stopAdmitting', 'stop', 'done slow', 'done fast']);
  });
});
