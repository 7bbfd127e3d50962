'use strict';
// The devices: one mqtt.js client publishing per-key sequence numbers (`<root>/<key>/t`, payload "<key> <seq>")
// at a steady rate, at most `maxInFlight` publishes awaiting their acknowledgement. A message counts as acknowledged
// when the broker's PUBACK (QoS 1) or PUBCOMP (QoS 2) arrived: those are the ones Ferry must not lose. The session
// is persistent, so publishes the broker did not acknowledge before it went away are sent again on reconnect.
//
// "Arrived" is decided on the wire, not by the publish callback: every PUBLISH written is noted by packet id
// ('packetsend'), and only a PUBACK/PUBCOMP read back for that id ('packetreceive'), without an error reason code,
// counts it. The count then depends on no client library's completion rules (when it fires a callback after a
// dropped connection, a flushed store, an id reused). A PUBACK read after a broker was SIGKILLed was written before
// the kill (see verdict.ts, BrokerKill).
//
// ops: warm → {} ; start → {} ; progress → {sent, acked, inFlight} ; stop → {sent, acked: {key: [seq…]}, ackedAtMs: {key: [ms…]}, errors}

const mqtt = require('mqtt');
const { serve, encode, decode, sleep } = require('./ipc');

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
/** Packet id → [key, seq] of the last sequence-numbered PUBLISH written with that id and not yet acknowledged. */
const onWire = new Map();
const ACK_OF_QOS = { 1: 'puback', 2: 'pubcomp' };

client.on('packetsend', (packet) => {
  if (packet.cmd !== 'publish' || !packet.messageId) return;
  const ours = decode(String(packet.payload));
  if (ours) onWire.set(packet.messageId, ours);
  else onWire.delete(packet.messageId);
});

client.on('packetreceive', (packet) => {
  if (packet.cmd !== ACK_OF_QOS[qos] || !packet.messageId) return;
  const ours = onWire.get(packet.messageId);
  if (!ours) return;
  onWire.delete(packet.messageId);
  // MQTT 5: a reason code of 0x80 or more refuses the message (0x10 "no matching subscribers" still takes it).
  if (typeof packet.reasonCode === 'number' && packet.reasonCode >= 0x80) {
    if (errors.length < 20) errors.push(`${ours[0]} ${ours[1]}: refused with reason code ${packet.reasonCode}`);
    return;
  }
  const [key, seq] = ours;
  ackCount++;
  acked[key].push(seq);
  ackedAtMs[key].push(Date.now());
});

function publishOne() {
  const key = KEYS[sent % KEYS.length];
  const seq = nextSeq.get(key);
  nextSeq.set(key, seq + 1);
  sent++;
  inFlight++;
  // The callback only frees the window slot; what counts as acknowledged is decided on the wire (above).
  client.publish(`${root}/${key}/t`, encode(key, seq), { qos }, (err) => {
    inFlight--;
    if (err && errors.length < 20) errors.push(`${key} ${seq}: ${err.message}`);
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
