'use strict';
// Kafka-side pieces: topics, the registry, and the reader that counts what reached a topic.

const fs = require('node:fs');
const Kafka = require('node-rdkafka');
const avro = require('avsc');
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');
const { SCHEMA_FILE } = require('./payload');
const { withTimeout } = require('./common');
const { listTopics, deleteTopicsNamed } = require('../../helpers/topic-cleanup');

function schemaText() {
  return fs.readFileSync(SCHEMA_FILE, 'utf8');
}

/** Creates `topic` with `partitions` partitions (replication 1: one broker). */
async function createTopic(bootstrap, topic, partitions) {
  const admin = Kafka.AdminClient.create({ 'bootstrap.servers': bootstrap, 'client.id': 'ferry-bench-admin' });
  try {
    await new Promise((resolve, reject) =>
      admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 15000, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  } finally {
    admin.disconnect();
  }
}

/**
 * Deletes every topic whose name starts with `prefix`; returns how many. A bench run creates about 60 topics (its
 * own and each worker cluster's internal ones, 30 partitions each for offsets and status): left behind, they pile
 * up run after run, and a broker holding thousands of partitions is slower and jitterier for every later run.
 */
async function deleteTopics(bootstrap, prefix) {
  const names = (await listTopics(bootstrap)).filter((n) => n.startsWith(prefix));
  return deleteTopicsNamed(bootstrap, names);
}

/** Registers the telemetry schema under `<topic>-value`; returns the schema id. */
async function registerTelemetry(registryUrl, topic) {
  const registry = new SchemaRegistry({ host: registryUrl });
  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: schemaText() },
    { subject: `${topic}-value` },
  );
  return id;
}

/** Confluent wire format (magic 0, 4-byte schema id, Avro binary) encoder for the telemetry schema. */
function telemetryEncoder(schemaId) {
  const type = avro.Type.forSchema(JSON.parse(schemaText()));
  return (obj) => {
    const body = type.toBuffer(obj);
    const out = Buffer.allocUnsafe(5 + body.length);
    out[0] = 0;
    out.writeUInt32BE(schemaId, 1);
    body.copy(out, 5);
    return out;
  };
}

/**
 * Turns a Kafka value into the telemetry object, whatever Ferry wrote: plain JSON bytes; Avro of the telemetry
 * schema (json mode); or an Avro envelope whose bytes field holds the original JSON payload (envelope mode).
 * Schemas are fetched once per id; decoding after that is synchronous.
 */
class ValueDecoder {
  constructor(registryUrl) {
    this.registry = new SchemaRegistry({ host: registryUrl });
    this.types = new Map();
  }

  /** Fetches the writer schema of `value` if it is new; call before decode() for each batch. */
  async prepare(value) {
    if (!value || value.length < 5 || value[0] !== 0) return;
    const id = value.readUInt32BE(1);
    if (this.types.has(id)) return;
    const schema = await this.registry.getSchema(id);
    this.types.set(id, schema);
  }

  decode(value) {
    if (!value) throw new Error('null value');
    if (value[0] === 0x7b) return JSON.parse(value.toString('utf8'));
    if (value[0] !== 0 || value.length < 5)
      throw new Error(`value is neither JSON nor Confluent Avro (first byte ${value[0]})`);
    const type = this.types.get(value.readUInt32BE(1));
    if (!type) throw new Error(`schema ${value.readUInt32BE(1)} not prepared`);
    const obj = type.fromBuffer(value.subarray(5));
    if (typeof obj.seq === 'number' || typeof obj.seq === 'bigint')
      return { seq: Number(obj.seq), mono: Number(obj.mono) };
    // An envelope: the original payload is its bytes field.
    const bytes = obj.payload ?? Object.values(obj).find((v) => Buffer.isBuffer(v));
    if (!Buffer.isBuffer(bytes)) throw new Error('Avro value has neither a seq field nor a bytes payload');
    return JSON.parse(bytes.toString('utf8'));
  }
}

function connectClient(client, what) {
  return withTimeout(
    new Promise((resolve, reject) => {
      client.once('ready', resolve);
      client.once('connection.failure', reject);
      client.connect({ timeout: 10000 }, (err) => (err ? reject(err) : undefined));
    }),
    15000,
    what,
  );
}

/**
 * Reads `topic` from the beginning of each of its partitions (assigned, no group join) and hands each decoded
 * telemetry object to `tracker.see`. `decoder` null means plain JSON values.
 */
class TopicReader {
  constructor({ bootstrap, topic, partitions, tracker, decoder }) {
    this.topic = topic;
    this.partitions = partitions;
    this.tracker = tracker;
    this.decoder = decoder;
    this.errors = 0;
    this.lastError = null;
    this.running = false;
    this.consumer = new Kafka.KafkaConsumer(
      {
        'bootstrap.servers': bootstrap,
        'group.id': `ferry-bench-reader-${topic}`,
        'enable.auto.commit': false,
        // EOF lets a batch return as soon as a partition is caught up (low latency at a fixed rate).
        'enable.partition.eof': true,
        'fetch.wait.max.ms': 10,
      },
      { 'auto.offset.reset': 'earliest' },
    );
    this.consumer.setDefaultConsumeTimeout(50);
  }

  async start() {
    await connectClient(this.consumer, `Kafka reader for ${this.topic}`);
    const assignment = [];
    for (let p = 0; p < this.partitions; p++) assignment.push({ topic: this.topic, partition: p, offset: 0 });
    this.consumer.assign(assignment);
    this.running = true;
    this.loop = this.run();
  }

  async run() {
    while (this.running) {
      let batch;
      try {
        batch = await new Promise((resolve, reject) =>
          this.consumer.consume(2000, (err, msgs) => (err ? reject(err) : resolve(msgs))),
        );
      } catch (err) {
        this.errors++;
        this.lastError = String(err.message || err);
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      for (const m of batch) {
        try {
          if (this.decoder) await this.decoder.prepare(m.value);
          this.tracker.see(this.decoder ? this.decoder.decode(m.value) : JSON.parse(m.value.toString('utf8')));
        } catch (err) {
          this.errors++;
          this.lastError = String(err.message || err);
        }
      }
    }
  }

  async stop() {
    this.running = false;
    if (this.loop) await this.loop.catch(() => undefined);
    await new Promise((resolve) => this.consumer.disconnect(() => resolve()));
  }
}

/** Fails fast when Kafka does not answer a metadata request. */
async function checkKafka(bootstrap) {
  const producer = new Kafka.Producer({ 'bootstrap.servers': bootstrap });
  await connectClient(producer, `Kafka at ${bootstrap}`);
  await new Promise((resolve) => producer.disconnect(() => resolve()));
}

module.exports = {
  deleteTopics,
  Kafka,
  schemaText,
  createTopic,
  registerTelemetry,
  telemetryEncoder,
  ValueDecoder,
  TopicReader,
  connectClient,
  checkKafka,
};
