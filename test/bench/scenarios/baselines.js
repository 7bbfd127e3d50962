'use strict';
// The raw limits, measured in the same run and with the same payloads as Ferry's scenarios: what MQTT alone, Kafka
// alone and a conversion-free Kafka → MQTT loop achieve on this machine right now.

const { startRole, drive, awaitProbe, Tracker } = require('../lib/flow');
const { Subscriber } = require('../lib/mqtt-sub');
const { createTopic, TopicReader } = require('../lib/kafka');
const { round } = require('../lib/tracker');
const { cpuSnapshot, cpuSplit } = require('../lib/proc');

/** CPU seconds per 100k messages, or null. */
function per100k(cpuSeconds, messages) {
  return typeof cpuSeconds === 'number' && messages > 0 ? round((cpuSeconds * 100000) / messages, 2) : null;
}

/** CPU seconds this (the harness) process used since `since` (a process.cpuUsage() sample). */
function ownCpu(since) {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

function publisherOptions(ctx, prefix, n, rate) {
  const s = ctx.settings;
  return {
    url: s.mqtt,
    prefix,
    n,
    devices: s.devices,
    connections: s.connections,
    inflight: s.inflight,
    rate,
    clientPrefix: `ferry-bench-${ctx.runId}-${ctx.seq()}`,
  };
}

/** Generator → our Mosquitto → a plain QoS 1 subscriber that discards. `rate` 0 = max rate. */
async function mqttOnly(ctx, { rate }) {
  const s = ctx.settings;
  const n = rate ? s.latencyN : s.n;
  const prefix = `bench/${ctx.runId}/mqtt-only-${ctx.seq()}`;
  const tracker = new Tracker(n, rate ? s.warmupN : 0);
  const sub = new Subscriber({ url: s.mqtt, filter: `${prefix}/#`, tracker, clientId: `${ctx.clientId()}-sub` });
  await sub.start();
  try {
    const pub = await startRole('mqtt-publisher.js', publisherOptions(ctx, prefix, n, rate));
    const cpu0 = process.cpuUsage();
    const snap0 = cpuSnapshot();
    const res = await drive({ tracker, senders: [pub], timeoutMs: ctx.timeoutFor(n, rate), withLatency: !!rate });
    // The subscriber runs in this process: its CPU is the receiving side's cost.
    res.cpuSecondsPer100k = per100k(ownCpu(cpu0), res.received);
    res.cpuSplit = cpuSplit(snap0, cpuSnapshot(), { generator: res.sender?.cpuSeconds ?? null }, res.received);
    if (sub.errors) res.receiverErrors = { count: sub.errors, last: sub.lastError };
    return res;
  } finally {
    await sub.stop();
  }
}

/** node-rdkafka HighLevelProducer alone (idempotent, acks=all), JSON values; leaves the topic for the consume baseline. */
async function kafkaProduce(ctx) {
  const s = ctx.settings;
  const topic = `ferry-bench-${ctx.runId}-raw`;
  await createTopic(s.kafka, topic, s.partitions);
  const producer = await startRole('kafka-producer.js', {
    bootstrap: s.kafka,
    topic,
    n: s.n,
    devices: s.devices,
    format: 'json',
  });
  try {
    producer.send({ type: 'go' });
    const done = await producer.waitFor('done', ctx.timeoutFor(s.n, 0));
    ctx.rawTopic = done.failed === 0 ? topic : null;
    return {
      expected: s.n,
      received: done.acked,
      missing: s.n - done.acked,
      failed: done.failed,
      seconds: done.seconds,
      rate: done.rate,
      complete: done.acked === s.n,
      cpuSecondsPer100k: per100k(done.cpuSeconds, done.acked),
      topic,
      ...(done.lastError ? { error: done.lastError } : {}),
    };
  } finally {
    await producer.stop();
  }
}

/** node-rdkafka consumer alone over what kafkaProduce wrote (JSON.parse per value, as every reader here does). */
async function kafkaConsume(ctx) {
  const s = ctx.settings;
  if (!ctx.rawTopic) return { skipped: 'the Kafka-only produce baseline did not write its topic' };
  const tracker = new Tracker(s.n);
  const reader = new TopicReader({
    bootstrap: s.kafka,
    topic: ctx.rawTopic,
    partitions: s.partitions,
    tracker,
    decoder: null,
  });
  await reader.start();
  try {
    const cpu0 = process.cpuUsage();
    const complete = await tracker.waitComplete(ctx.timeoutFor(s.n, 0));
    const out = { ...tracker.summary(false), complete, timedOut: !complete };
    out.cpuSecondsPer100k = per100k(ownCpu(cpu0), out.received);
    if (reader.errors) out.receiverErrors = { count: reader.errors, last: reader.lastError };
    return out;
  } finally {
    await reader.stop();
  }
}

/**
 * Latency floor of Kafka alone: the producer paced at `rate` → the same reader Ferry's source scenarios use. What
 * Ferry's MQTT→Kafka latency includes besides Ferry itself.
 */
async function kafkaLatency(ctx, { rate }) {
  const s = ctx.settings;
  const n = s.latencyN;
  const topic = `ferry-bench-${ctx.runId}-lat-${ctx.seq()}`;
  await createTopic(s.kafka, topic, s.partitions);
  const tracker = new Tracker(n, rate ? s.warmupN : 0);
  const reader = new TopicReader({ bootstrap: s.kafka, topic, partitions: s.partitions, tracker, decoder: null });
  await reader.start();
  try {
    const producer = await startRole('kafka-producer.js', {
      bootstrap: s.kafka,
      topic,
      n,
      devices: s.devices,
      format: 'json',
      rate,
    });
    try {
      await awaitProbe(tracker, null);
    } catch (err) {
      await producer.stop();
      throw err;
    }
    const res = await drive({ tracker, senders: [producer], timeoutMs: ctx.timeoutFor(n, rate), withLatency: true });
    res.cpuSecondsPer100k = per100k(res.sender?.cpuSeconds, res.received);
    if (reader.errors) res.receiverErrors = { count: reader.errors, last: reader.lastError };
    return res;
  } finally {
    await reader.stop();
  }
}

/**
 * node-rdkafka consumer → mqtt.js QoS 1 publish (bounded window), no conversion; counted at a subscriber. `rate` 0
 * drains the Kafka-only produce baseline's topic (throughput); otherwise records are produced live at `rate` into a
 * fresh topic while the bridge runs (latency).
 */
async function kafkaToMqttRaw(ctx, { rate } = { rate: 0 }) {
  const s = ctx.settings;
  if (!rate && !ctx.rawTopic) return { skipped: 'the Kafka-only produce baseline did not write its topic' };
  const n = rate ? s.latencyN : s.n;
  const topic = rate ? `ferry-bench-${ctx.runId}-rawlat-${ctx.seq()}` : ctx.rawTopic;
  if (rate) await createTopic(s.kafka, topic, s.partitions);
  const prefix = `bench/${ctx.runId}/raw-out-${ctx.seq()}`;
  const tracker = new Tracker(n, rate ? s.warmupN : 0);
  const sub = new Subscriber({ url: s.mqtt, filter: `${prefix}/#`, tracker, clientId: `${ctx.clientId()}-sub` });
  await sub.start();
  try {
    const bridge = await startRole('raw-bridge.js', {
      bootstrap: s.kafka,
      topic,
      partitions: s.partitions,
      n,
      url: s.mqtt,
      prefix,
      window: s.sinkWindow,
      clientPrefix: ctx.clientId(),
    });
    const senders = [bridge];
    if (rate) {
      try {
        senders.push(
          await startRole('kafka-producer.js', {
            bootstrap: s.kafka,
            topic,
            n,
            devices: s.devices,
            format: 'json',
            rate,
          }),
        );
        // The bridge runs first so the producer's warm-up record proves the whole path before the measured run.
        bridge.send({ type: 'go' });
        await awaitProbe(tracker, null);
      } catch (err) {
        for (const r of senders) await r.stop();
        throw err;
      }
    }
    const snap0 = cpuSnapshot();
    const res = await drive({ tracker, senders, timeoutMs: ctx.timeoutFor(n, rate), withLatency: !!rate });
    const bridgeDone = Array.isArray(res.sender) ? res.sender[0] : res.sender;
    res.cpuSecondsPer100k = per100k(bridgeDone?.cpuSeconds, res.received);
    if (!rate) res.cpuSplit = cpuSplit(snap0, cpuSnapshot(), { bridge: bridgeDone?.cpuSeconds ?? null }, res.received);
    if (sub.errors) res.receiverErrors = { count: sub.errors, last: sub.lastError };
    return res;
  } finally {
    await sub.stop();
  }
}

module.exports = { mqttOnly, kafkaProduce, kafkaConsume, kafkaLatency, kafkaToMqttRaw, publisherOptions };
