'use strict';
// The devices: one mqtt.js client publishing per-key sequence numbers (`<root>/<key>/t`, payload "<key> <seq>")
// at a steady rate, at most `maxInFlight` publishes awaiting their acknowledgement. A message counts as acknowledged
// when the broker's PUBACK (QoS 1) or PUBCOMP (QoS 2) arrived: those are the ones Ferry must not lose. The session
// is persistent, so publishes the broker did not acknowledge before it went away are sent again on reconnect.
//
// ops: warm → {} ; start → {} ; progress → {sent, acked, inFlight} ; stop → {sent, acked: {key: [seq…]}, ackedAtMs: {key: [ms…]}, errors}

const mqtt = require('mqtt');
const { serve, encode, sleep } = require('./ipc');

const opt = JSON.parse(process.argv[2]);
const { url, root, keys, qos, protocolVersion, rate, maxInFlight, clientId } = opt;
const KEYS = Array.from({ length: keys }, (_, i) => `d${i}`);

const client = mqtt.connect(url, {
  clientId,
  clean: false,
  protocolVersion,
  reconnectPeriod: 300,
  connectTimeout: 5000,
  ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
});
client.on('error', () => undefined); // reconnects on its own; failures show as unacknowledged messages

const nextSeq = new Map(KEYS.map((k) => [k, 0]));
const acked = Object.fromEntries(KEYS.map((k) => [k, []]));
const ackedAtMs = Object.fromEntries(KEYS.map((k) => [k, []]));
const errors = [];
let sent = 0;
let ackCount = 0;
let inFlight = 0;
let timer;
let startedAt = 0;

function publishOne() {
  const key = KEYS[sent % KEYS.length];
  const seq = nextSeq.get(key);
  nextSeq.set(key, seq + 1);
  sent++;
  inFlight++;
  client.publish(`${root}/${key}/t`, encode(key, seq), { qos }, (err) => {
    inFlight--;
    if (err) {
      if (errors.length < 20) errors.push(`${key} ${seq}: ${err.message}`);
      return;
    }
    ackCount++;
    acked[key].push(seq);
    ackedAtMs[key].push(Date.now());
  });
}

function tick() {
  const due = Math.floor(((Date.now() - startedAt) / 1000) * rate);
  // Behind schedule while the broker is away: catch up only within the window, never in one unbounded burst.
  while (sent < due && inFlight < maxInFlight) publishOne();
}

serve({
  // Not a sequence number: proves the subscription is in place before the stream starts.
  warm: () =>
    new Promise((resolve, reject) =>
      client.publish(`${root}/warm/t`, 'warm', { qos }, (err) => (err ? reject(err) : resolve({}))),
    ),
  start: () => {
    startedAt = Date.now();
    timer = setInterval(tick, 20);
    return {};
  },
  progress: () => ({ sent, acked: ackCount, inFlight, connected: client.connected }),
  stop: async ({ drainMs }) => {
    clearInterval(timer);
    const deadline = Date.now() + drainMs;
    while (inFlight > 0 && Date.now() < deadline) await sleep(100);
    const out = { sent, ackCount, inFlight, acked, ackedAtMs, errors };
    await new Promise((r) => client.end(true, {}, r));
    return out;
  },
});
process.send({ ready: true });
