#!/usr/bin/env node
'use strict';
// A stand-in for `ferry worker`, ONLY to check the harness itself before the real worker exists:
// `BENCH_FERRY_BIN=test/bench/stub-worker.js node test/bench/run.js`. It answers the few REST calls the harness makes
// and moves messages naively (MQTT acknowledged at once, JSON values as they came, no cluster). Its figures say
// nothing about Ferry; results of such a run are marked as stub runs.

const http = require('node:http');
const mqtt = require('mqtt');
const Kafka = require('node-rdkafka');
const { SchemaRegistry } = require('@kafkajs/confluent-schema-registry');

if (process.argv[2] !== 'worker') {
  console.error('usage: stub-worker.js worker');
  process.exit(2);
}
const port = Number(process.env.FERRY_REST_PORT);
const bootstrap = process.env.FERRY_KAFKA_BOOTSTRAP;
const registry = new SchemaRegistry({ host: process.env.FERRY_SCHEMA_REGISTRY_URL });
const workerId = `127.0.0.1:${port}`;
const connectors = new Map();

function ready(client) {
  return new Promise((resolve, reject) => {
    client.once('ready', resolve);
    client.connect({ timeout: 10000 }, (err) => (err ? reject(err) : undefined));
  });
}

async function startSource(name, config) {
  const producer = new Kafka.HighLevelProducer({ 'bootstrap.servers': bootstrap, 'linger.ms': 5 });
  await ready(producer);
  const client = mqtt.connect(config['mqtt.server.uri'], { clientId: `stub-${name}`, clean: true, protocolVersion: 5 });
  await new Promise((resolve) => client.once('connect', resolve));
  client.on('message', (topic, payload) =>
    producer.produce(config['kafka.topic'], null, payload, topic, Date.now(), () => undefined),
  );
  await new Promise((resolve) =>
    client.subscribe(config['mqtt.topics'].split(','), { qos: Number(config['mqtt.qos'] || 1) }, resolve),
  );
  return () => {
    client.end(true);
    producer.disconnect();
  };
}

async function startSink(name, config) {
  const consumer = new Kafka.KafkaConsumer(
    { 'bootstrap.servers': bootstrap, 'group.id': `connect-${name}`, 'enable.auto.commit': true },
    { 'auto.offset.reset': 'earliest' },
  );
  await ready(consumer);
  consumer.setDefaultConsumeTimeout(10);
  const client = mqtt.connect(config['mqtt.server.uri'], { clientId: `stub-${name}`, clean: true, protocolVersion: 5 });
  await new Promise((resolve) => client.once('connect', resolve));
  consumer.subscribe(config.topics.split(','));
  let running = true;
  let inflight = 0;
  (async () => {
    while (running) {
      if (inflight > 1000) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      const msgs = await new Promise((resolve) => consumer.consume(500, (err, m) => resolve(err ? [] : m)));
      for (const m of msgs) {
        const value = await registry.decode(m.value);
        const topic = config['mqtt.topic'].replace('${key}', m.key ? m.key.toString() : 'none');
        inflight++;
        client.publish(topic, JSON.stringify(value), { qos: 1 }, () => inflight--);
      }
    }
  })().catch((err) => console.error(err));
  return () => {
    running = false;
    client.end(true);
    setTimeout(() => consumer.disconnect(), 100);
  };
}

function status(name) {
  const c = connectors.get(name);
  return {
    name,
    connector: { state: c.state, worker_id: workerId },
    tasks: [{ id: 0, state: c.state, worker_id: workerId, ...(c.trace ? { trace: c.trace } : {}) }],
    type: c.type,
  };
}

function send(res, code, body) {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const m = /^\/connectors\/([^/]+)(\/status)?$/.exec(req.url);
    if (req.method === 'GET' && req.url === '/health') return send(res, 200, { status: 'healthy', message: 'stub' });
    if (req.method === 'POST' && req.url === '/connectors') {
      const { name, config } = JSON.parse(body);
      if (connectors.has(name)) return send(res, 409, { error_code: 409, message: 'exists' });
      const type = config['connector.class'] === 'MqttSinkConnector' ? 'sink' : 'source';
      const entry = { state: 'UNASSIGNED', type, stop: () => undefined };
      connectors.set(name, entry);
      (type === 'sink' ? startSink : startSource)(name, config).then(
        (stop) => Object.assign(entry, { state: 'RUNNING', stop }),
        (err) => Object.assign(entry, { state: 'FAILED', trace: String(err.stack || err) }),
      );
      return send(res, 201, { name, config, tasks: [{ connector: name, task: 0 }], type });
    }
    if (m && !connectors.has(decodeURIComponent(m[1])))
      return send(res, 404, { error_code: 404, message: 'not found' });
    if (m && req.method === 'GET' && m[2]) return send(res, 200, status(decodeURIComponent(m[1])));
    if (m && req.method === 'DELETE') {
      const name = decodeURIComponent(m[1]);
      connectors.get(name).stop();
      connectors.delete(name);
      return send(res, 204);
    }
    send(res, 404, { error_code: 404, message: 'not found' });
  });
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  for (const c of connectors.values()) c.stop();
  server.close();
  setTimeout(() => process.exit(0), 200);
});
