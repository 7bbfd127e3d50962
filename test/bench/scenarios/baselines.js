'use strict';
// The raw limits, measured in the same run and with the same payloads as Ferry's scenarios: what MQTT alone, Kafka
// alone and a conversion-free Kafka → MQTT loop achieve on this machine right now.

const { startRole, drive, Tracker } = require('../lib/flow');
const { Subscriber } = require('../lib/mqtt-sub');
const { createTopic, TopicReader } = require('../lib/kafka');

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
  const tracker = new Tracker(n);
  const sub = new Subscriber({ url: s.mqtt, filter: `${prefix}/#`, tracker, clientId: `${ctx.clientId()}-sub` });
  await sub.start();
  try {
    const pub = await startRole('mqtt-publisher.js', publisherOptions(ctx, prefix, n, rate));
    const res = await drive({ tracker, senders: [pub], timeoutMs: ctx.timeoutFor(n, rate), withLatency: !!rate });
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
    const complete = await tracker.waitComplete(ctx.timeoutFor(s.n, 0));
    const out = { ...tracker.summary(false), complete, timedOut: !complete };
    if (reader.errors) out.receiverErrors = { count: reader.errors, last: reader.lastError };
    return out;
  } finally {
    await reader.stop();
  }
}

/** node-rdkafka consumer → mqtt.js QoS 1 publish (bounded window), no conversion; counted at a subscriber. */
async function kafkaToMqttRaw(ctx) {
  const s = ctx.settings;
  if (!ctx.rawTopic) return { skipped: 'the Kafka-only produce baseline did not write its topic' };
  const prefix = `bench/${ctx.runId}/raw-out-${ctx.seq()}`;
  const tracker = new Tracker(s.n);
  const sub = new Subscriber({ url: s.mqtt, filter: `${prefix}/#`, tracker, clientId: `${ctx.clientId()}-sub` });
  await sub.start();
  try {
    const bridge = await startRole('raw-bridge.js', {
      bootstrap: s.kafka,
      topic: ctx.rawTopic,
      partitions: s.partitions,
      n: s.n,
      url: s.mqtt,
      prefix,
      window: s.sinkWindow,
      clientPrefix: ctx.clientId(),
    });
    const res = await drive({ tracker, senders: [bridge], timeoutMs: ctx.timeoutFor(s.n, 0), withLatency: false });
    if (sub.errors) res.receiverErrors = { count: sub.errors, last: sub.lastError };
    return res;
  } finally {
    await sub.stop();
  }
}

module.exports = { mqttOnly, kafkaProduce, kafkaConsume, kafkaToMqttRaw, publisherOptions };
