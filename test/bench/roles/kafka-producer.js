'use strict';
// Writes N telemetry records to a Kafka topic with an idempotent node-rdkafka HighLevelProducer (acks=all), key =
// device name: as plain JSON bytes (the Kafka-only baseline) or Avro in the Confluent wire format (sink input).
// Max rate with at most `inflight` records awaiting delivery reports, or paced to `rate` msg/s.
//
// Every topic it writes holds one warm-up record (seq -1) first.
//
// IPC: ready ← go → done {acked, failed, seconds, rate, cpuSeconds}; `probe` writes one uncounted record (seq -1).

const Kafka = require('node-rdkafka');
const { telemetry, deviceName } = require('../lib/payload');
const { telemetryEncoder } = require('../lib/kafka');
const { fail, roleOptions, Run } = require('../lib/role');

const opt = roleOptions();
const { bootstrap, topic, n, devices, rate, format, schemaId } = opt;
const inflight = opt.inflight || 20000;
const encode = format === 'avro' ? telemetryEncoder(schemaId) : (obj) => Buffer.from(JSON.stringify(obj));

const producer = new Kafka.HighLevelProducer(
  {
    'bootstrap.servers': bootstrap,
    'client.id': 'ferry-bench-producer',
    'enable.idempotence': true,
    'linger.ms': opt.lingerMs ?? 5,
    'queue.buffering.max.messages': Math.max(100000, inflight * 2),
  },
  { 'request.required.acks': -1 },
);

let next = 0;
let acked = 0;
let failed = 0;
let pending = 0;
const run = new Run();
let finished = false;
let lastError = null;

function produceOne() {
  const seq = next++;
  const d = seq % devices;
  pending++;
  producer.produce(topic, null, encode(telemetry(seq, d)), deviceName(d), Date.now(), (err) => {
    pending--;
    if (err) {
      failed++;
      lastError = String(err.message || err);
    } else acked++;
    if (acked + failed === n) finish();
    else if (!rate) pump();
  });
}

function pump() {
  while (pending < inflight && next < n) produceOne();
}

function paced() {
  const tick = () => {
    const due = run.due(n, rate);
    while (next < due && pending < inflight) produceOne();
    if (next < n) setTimeout(tick, 1);
  };
  tick();
}

function finish() {
  if (finished) return;
  finished = true;
  run.done(acked, { acked, failed, lastError });
  producer.disconnect(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000);
}

process.on('message', (m) => {
  if (m.type === 'go') {
    run.start();
    if (rate) paced();
    else pump();
  } else if (m.type === 'probe') {
    // A readiness probe (seq -1): not counted, not part of the run.
    producer.produce(topic, null, encode(telemetry(-1, 0)), deviceName(0), Date.now(), () => undefined);
  } else if (m.type === 'stop') {
    finished = true;
    producer.disconnect(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000);
  }
});
process.on('disconnect', () => process.exit(0));

producer.setPollInterval(5);
// A first record (seq -1, ignored by every receiver) makes the producer fetch the topic's metadata and its
// idempotence id before the measured run, and lets the receiver see the path is live.
producer.once('ready', () =>
  producer.produce(topic, null, encode(telemetry(-1, 0)), deviceName(0), Date.now(), (err) =>
    err ? fail(`warm-up record to ${topic}: ${err.message}`) : process.send({ type: 'ready' }),
  ),
);
producer.once('connection.failure', (err) => fail(`cannot connect to Kafka at ${bootstrap}: ${err.message}`));
producer.connect({ timeout: 10000 }, (err) => {
  if (err) fail(`cannot connect to Kafka at ${bootstrap}: ${err.message}`);
});
