'use strict';
// Reads the sink's output back from MQTT: a persistent session subscribed to `<root>/#` at the row's QoS, so what
// the sink published while this reader was cut off (the broker restarting) is still delivered once it reconnects.
//
// ops: watch {acked} → {} ; progress → {records, missing, lastReadAgoMs} ; stop → {records, reads}

const mqtt = require('mqtt');
const { serve, decode } = require('./ipc');

const opt = JSON.parse(process.argv[2]);
const { url, filter, qos, protocolVersion, clientId } = opt;

const reads = {};
const seen = {};
let records = 0;
let lastReadAt = Date.now();
let watched = {};

const client = mqtt.connect(url, {
  clientId,
  clean: false,
  protocolVersion,
  reconnectPeriod: 300,
  connectTimeout: 5000,
  ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
});
client.on('error', () => undefined);
client.on('message', (_topic, payload) => {
  records++;
  lastReadAt = Date.now();
  const kv = decode(payload.toString());
  if (!kv) return;
  const [key, seq] = kv;
  (reads[key] ??= []).push(seq);
  (seen[key] ??= new Set()).add(seq);
});

function missing() {
  let n = 0;
  for (const [key, seqs] of Object.entries(watched)) {
    const s = seen[key];
    for (const seq of seqs) if (!s || !s.has(seq)) n++;
  }
  return n;
}

serve({
  watch: ({ acked }) => {
    watched = acked;
    return {};
  },
  progress: () => ({ records, missing: missing(), lastReadAgoMs: Date.now() - lastReadAt }),
  stop: async () => {
    const out = { records, reads };
    await new Promise((r) => client.end(true, {}, r));
    return out;
  },
});

client.once('connect', (connack) => {
  const subscribe = () =>
    client.subscribe(filter, { qos }, (err) => {
      if (err) process.send({ ready: false, error: err.message });
      else process.send({ ready: true });
    });
  if (connack.sessionPresent) process.send({ ready: true });
  else subscribe();
});
