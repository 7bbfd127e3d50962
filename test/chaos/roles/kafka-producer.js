'use strict';
// The upstream of the sink rows: an idempotent Kafka producer (acks=all) writing per-key sequence numbers to one topic,
// key "<key>", value "<key> <seq>", at a steady rate. A message counts as acknowledged when its delivery report
// came back without error: those are the ones the sink must publish to MQTT.
//
// ops: warm → {} ; start → {} ; progress → {sent, acked} ; stop → {sent, acked: {key: [seq…]}, ackedAtMs, errors}

const Kafka = require('node-rdkafka');
const { serve, encode, sleep } = require('./ipc');

const opt = JSON.parse(process.argv[2]);
const { bootstrap, topic, keys, rate, maxInFlight } = opt;
const KEYS = Array.from({ length: keys }, (_, i) => `d${i}`);

const producer = new Kafka.Producer({
  'bootstrap.servers': bootstrap,
  'enable.idempotence': true,
  acks: 'all',
  'linger.ms': 5,
  dr_cb: true,
  'message.timeout.ms': 600000,
});
const nextSeq = new Map(KEYS.map((k) => [k, 0]));
const acked = Object.fromEntries(KEYS.map((k) => [k, []]));
const ackedAtMs = Object.fromEntries(KEYS.map((k) => [k, []]));
const errors = [];
let sent = 0;
let ackCount = 0;
let inFlight = 0;
let timer;
let poller;
let startedAt = 0;

producer.on('delivery-report', (err, report) => {
  inFlight--;
  const [key, seq] = report.opaque;
  if (seq < 0) return;
  if (err) {
    if (errors.length < 20) errors.push(`${key} ${seq}: ${err.message}`);
    return;
  }
  ackCount++;
  acked[key].push(seq);
  ackedAtMs[key].push(Date.now());
});

function tick() {
  const due = Math.floor(((Date.now() - startedAt) / 1000) * rate);
  while (sent < due && inFlight < maxInFlight) {
    const key = KEYS[sent % KEYS.length];
    const seq = nextSeq.get(key);
    nextSeq.set(key, seq + 1);
    sent++;
    inFlight++;
    producer.produce(topic, null, Buffer.from(encode(key, seq)), key, Date.now(), [key, seq]);
  }
}

serve({
  // Not a sequence number: proves the sink is consuming before the stream starts.
  warm: () => {
    inFlight++;
    producer.produce(topic, null, Buffer.from('warm'), 'warm', Date.now(), ['warm', -1]);
    return {};
  },
  start: () => {
    startedAt = Date.now();
    timer = setInterval(tick, 20);
    return {};
  },
  progress: () => ({ sent, acked: ackCount, inFlight }),
  stop: async ({ drainMs }) => {
    clearInterval(timer);
    const deadline = Date.now() + drainMs;
    while (inFlight > 0 && Date.now() < deadline) await sleep(100);
    clearInterval(poller);
    const out = { sent, ackCount, inFlight, acked, ackedAtMs, errors };
    await new Promise((r) => producer.disconnect(5000, r));
    return out;
  },
});

producer.connect({}, (err) => {
  if (err) {
    process.send({ ready: false, error: err.message });
    process.exit(1);
  }
  poller = setInterval(() => producer.poll(), 50);
  process.send({ ready: true });
});
