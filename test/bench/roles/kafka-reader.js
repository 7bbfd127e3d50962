'use strict';
// Counts what reached a Kafka topic, in its own process as a user's consumer would be: reads every partition from
// the beginning, decodes each value through the registry (envelope or Avro or JSON, see ValueDecoder) and tracks
// sequence numbers and end-to-end latency, so none of that work shares a core's event loop with the harness.
//
// IPC: ready (assigned) → probe (each time a probe record, seq -1, arrives) → done {summary…, cpuSeconds, errors}
// once every expected sequence was seen or at `timeoutMs`; `go` starts its CPU count (the measured run); `stop`
// ends it early (done with complete: false).

const { Tracker } = require('../lib/tracker');
const { TopicReader, ValueDecoder } = require('../lib/kafka');
const { fail, roleOptions } = require('../lib/role');

const opt = roleOptions();
const { bootstrap, registry, topic, partitions, n, warmup, withLatency, timeoutMs } = opt;

const tracker = new Tracker(n, warmup);
tracker.onProbe = () => process.send({ type: 'probe' });
const reader = new TopicReader({ bootstrap, topic, partitions, tracker, decoder: new ValueDecoder(registry) });
let cpuAtGo = process.cpuUsage();
let finished = false;

async function finish(complete) {
  if (finished) return;
  finished = true;
  const cpu = process.cpuUsage(cpuAtGo);
  await reader.stop().catch(() => undefined);
  process.send({
    type: 'done',
    ...tracker.summary(withLatency),
    complete,
    ...(reader.errors ? { receiverErrors: { count: reader.errors, last: reader.lastError } } : {}),
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1000) / 1000,
  });
  setTimeout(() => process.exit(0), 200);
}

process.on('message', (m) => {
  if (m.type === 'go') cpuAtGo = process.cpuUsage();
  else if (m.type === 'stop') void finish(false);
});
process.on('disconnect', () => process.exit(0));

reader
  .start()
  .then(() => {
    process.send({ type: 'ready' });
    return tracker.waitComplete(timeoutMs);
  })
  .then((complete) => finish(complete))
  .catch((err) => fail(`Kafka reader for ${topic}: ${err.message}`));
