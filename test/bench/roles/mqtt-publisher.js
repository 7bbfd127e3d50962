'use strict';
// The load generator, in its own process so it never competes with the receiver's event loop: N telemetry messages
// at QoS 1 over `connections` mqtt.js clients, at most `inflight` publishes awaiting PUBACK in total, spread over
// `devices` topics `<prefix>/g<d % groups>/dev<d>/telemetry`; at maximum rate, or paced to `rate` msg/s.
//
// IPC: ready (all connected) ← go → done {published, acked, seconds, rate, behindMaxMs}.

const { payloadBytes, deviceName } = require('../lib/payload');
const { connectMqtt, fail, roleOptions, Run } = require('../lib/role');

const opt = roleOptions();
const { url, prefix, n, devices, connections, inflight, rate, groups = 1, clientPrefix } = opt;
const perConnection = Math.max(1, Math.floor(inflight / connections));

const topics = new Array(devices);
for (let d = 0; d < devices; d++) topics[d] = `${prefix}/g${d % groups}/${deviceName(d)}/telemetry`;

const clients = [];
let next = 0; // next sequence number to publish
let acked = 0;
let failed = 0;
const run = new Run();
let behindMaxMs = 0;
let finished = false;

function connect(i) {
  return new Promise((resolve, reject) => {
    const client = connectMqtt(url, `${clientPrefix}-pub-${i}`);
    client.inflight = 0;
    client.once('connect', () => resolve(client));
    client.once('error', reject);
    client.on('close', () => {
      if (!finished && run.started) fail(`publisher connection ${i} closed with ${n - acked} messages unacknowledged`);
    });
  });
}

function publishOne(client) {
  const seq = next++;
  const d = seq % devices;
  client.inflight++;
  client.publish(topics[d], payloadBytes(seq, d), { qos: 1 }, (err) => {
    client.inflight--;
    if (err) failed++;
    else acked++;
    if (acked + failed === n) return finish();
    if (!rate) pump(client);
  });
}

/** Max-rate mode: refill this client's window. */
function pump(client) {
  while (client.inflight < perConnection && next < n) publishOne(client);
}

/** Fixed-rate mode: every tick, publish what the schedule says is due, on whichever client has room. */
function paced() {
  const tick = () => {
    const due = run.due(n, rate);
    let progressed = true;
    while (next < due && progressed) {
      progressed = false;
      for (const c of clients) {
        if (next < due && c.inflight < perConnection) {
          publishOne(c);
          progressed = true;
        }
      }
    }
    if (next < due) behindMaxMs = Math.max(behindMaxMs, ((due - next) * 1000) / rate);
    if (next < n) setTimeout(tick, 1);
  };
  tick();
}

function finish() {
  if (finished) return;
  finished = true;
  run.done(acked, { published: next, acked, failed, behindMaxMs: Math.round(behindMaxMs) });
  for (const c of clients) c.end(true);
  setTimeout(() => process.exit(0), 200);
}

process.on('message', (m) => {
  if (m.type === 'go') {
    run.start();
    if (rate) paced();
    else for (const c of clients) pump(c);
  } else if (m.type === 'stop') {
    finished = true;
    for (const c of clients) c.end(true);
    setTimeout(() => process.exit(0), 200);
  }
});
process.on('disconnect', () => process.exit(0));

Promise.all(Array.from({ length: connections }, (_, i) => connect(i)))
  .then((cs) => {
    clients.push(...cs);
    process.send({ type: 'ready' });
  })
  .catch((err) => fail(`cannot connect to ${url}: ${err.message}`));
