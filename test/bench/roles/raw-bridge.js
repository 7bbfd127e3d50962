'use strict';
// The Kafka → MQTT raw limit: a node-rdkafka consumer reading `topic` from the start and an mqtt.js client publishing
// each value unchanged at QoS 1 to `<prefix>/<key>`, at most `window` publishes awaiting PUBACK. No conversion, no
// offset commits: what a bridge could do at best on this machine.
//
// IPC: ready ← go → done {published, acked, seconds, rate}.

const Kafka = require('node-rdkafka');
const { connectMqtt, fail, roleOptions, Run } = require('../lib/role');

const opt = roleOptions();
const { bootstrap, topic, partitions, url, prefix, window, clientPrefix } = opt;
// The topic starts with the producer's warm-up record: forwarded like the rest, counted here, ignored by receivers.
const n = opt.n + 1;

let client;
let consumer;
let published = 0;
let acked = 0;
const run = new Run();
let finished = false;
let wake = null;
const stats = { calls: 0, consumeMs: 0, fullMs: 0 };

function consume(max) {
  return new Promise((resolve, reject) => consumer.consume(max, (err, msgs) => (err ? reject(err) : resolve(msgs))));
}

async function forward() {
  run.start();
  while (!finished && published < n) {
    const room = window - (published - acked);
    // A full window waits until half of it is free: refilling one slot at a time would cost a consume round trip
    // (a thread-pool hop) per message.
    if (room <= 0) {
      const w0 = performance.now();
      await new Promise((resolve) => (wake = resolve));
      stats.fullMs += performance.now() - w0;
      continue;
    }
    let msgs;
    try {
      const c0 = performance.now();
      msgs = await consume(Math.min(room, 1000));
      stats.consumeMs += performance.now() - c0;
      stats.calls++;
    } catch (err) {
      fail(`consume: ${err.message}`);
      return;
    }
    for (const m of msgs) {
      published++;
      client.publish(`${prefix}/${m.key ? m.key.toString() : 'none'}`, m.value, { qos: 1 }, (err) => {
        if (err) return fail(`publish: ${err.message}`);
        acked++;
        if (wake && published - acked <= window / 2) {
          const w = wake;
          wake = null;
          w();
        }
        if (acked === n) finish();
      });
    }
  }
}

function finish() {
  if (finished) return;
  finished = true;
  run.done(acked, {
    published,
    acked,
    consumeCalls: stats.calls,
    consumeMs: Math.round(stats.consumeMs),
    windowFullMs: Math.round(stats.fullMs),
  });
  client.end(true);
  consumer.disconnect(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000);
}

process.on('message', (m) => {
  // A second `go` (the flow starting it again after a warm-up) changes nothing.
  if (m.type === 'go' && !run.started) forward().catch((err) => fail(err.message));
  else if (m.type === 'stop') {
    finished = true;
    if (wake) wake();
    client?.end(true);
    setTimeout(() => process.exit(0), 300);
  }
});
process.on('disconnect', () => process.exit(0));

consumer = new Kafka.KafkaConsumer(
  {
    'bootstrap.servers': bootstrap,
    'group.id': `${clientPrefix}-raw-bridge`,
    'enable.auto.commit': false,
    'enable.partition.eof': true,
  },
  { 'auto.offset.reset': 'earliest' },
);
consumer.setDefaultConsumeTimeout(50);
consumer.once('connection.failure', (err) => fail(`cannot connect to Kafka: ${err.message}`));
consumer.connect({ timeout: 10000 }, (err) => {
  if (err) return fail(`cannot connect to Kafka: ${err.message}`);
  const assignment = [];
  for (let p = 0; p < partitions; p++) assignment.push({ topic, partition: p, offset: 0 });
  consumer.assign(assignment);
  client = connectMqtt(url, `${clientPrefix}-raw-bridge`);
  client.once('connect', () => process.send({ type: 'ready' }));
  client.once('error', (e) => fail(`cannot connect to ${url}: ${e.message}`));
});
