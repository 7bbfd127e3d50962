'use strict';
// Reads a topic back from Kafka, every partition from offset 0, assigned rather than subscribed (no group, so no
// rebalance can rewind it when the broker restarts), and keeps each key's sequence numbers in the order read.
//
// ops: watch {acked: {key: [seq…]}} → {} ; progress → {records, missing, lastReadAgoMs} ; stop → {records, reads}

const Kafka = require('node-rdkafka');
const { serve, decode, sleep } = require('./ipc');

const opt = JSON.parse(process.argv[2]);
const { bootstrap, topic, partitions } = opt;

const reads = {}; // key → seqs in read order (one partition per key, so read order is Kafka's order)
const seen = {}; // key → Set of seqs
let records = 0;
let lastReadAt = Date.now();
let watched = {};
let running = true;

const consumer = new Kafka.KafkaConsumer(
  { 'group.id': `chaos-reader-${process.pid}`, 'bootstrap.servers': bootstrap, 'enable.auto.commit': false },
  { 'auto.offset.reset': 'earliest' },
);

function missing() {
  let n = 0;
  for (const [key, seqs] of Object.entries(watched)) {
    const s = seen[key];
    for (const seq of seqs) if (!s || !s.has(seq)) n++;
  }
  return n;
}

async function loop() {
  while (running) {
    const batch = await new Promise((resolve) => consumer.consume(500, (err, msgs) => resolve(err ? [] : msgs)));
    for (const m of batch) {
      records++;
      lastReadAt = Date.now();
      const kv = m.value ? decode(m.value.toString()) : undefined;
      if (!kv) continue;
      const [key, seq] = kv;
      (reads[key] ??= []).push(seq);
      (seen[key] ??= new Set()).add(seq);
    }
    if (batch.length === 0) await sleep(50);
  }
}

let looping;
serve({
  watch: ({ acked }) => {
    watched = acked;
    return {};
  },
  progress: () => ({ records, missing: missing(), lastReadAgoMs: Date.now() - lastReadAt }),
  stop: async () => {
    running = false;
    await looping;
    await new Promise((r) => consumer.disconnect(() => r()));
    return { records, reads };
  },
});

consumer.connect({}, (err) => {
  if (err) {
    process.send({ ready: false, error: err.message });
    process.exit(1);
  }
  consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0 })));
  looping = loop();
  process.send({ ready: true });
});
