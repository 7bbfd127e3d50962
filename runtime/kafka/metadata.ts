import type Kafka from 'node-rdkafka';
import { UnavailableError } from '../api';

/*
 * node-rdkafka reads the metadata of every topic in the cluster on `connect()`, and on `getMetadata()` unless given
 * both a topic and `allTopics: false`. It turns the answer into JavaScript objects on the main thread and keeps the
 * last one on the client. On the development broker after a day of tests (650 topics, 9,800 partitions) those
 * copies (one per client) were 37 of an idle worker's 51 MB live heap, and the worker's 10-second health check
 * rebuilt one each time. So: every client connects through {@link connectClient}, which forgets the connect-time
 * copy, and later reads name their topic.
 */

interface ConnectableClient {
  connect(options: Kafka.MetadataOptions, cb: (err: Kafka.LibrdKafkaError) => void): unknown;
}

/**
 * Connects a producer or consumer and drops the cluster metadata node-rdkafka kept from it (nothing in Ferry reads
 * it). A failure rejects with an {@link UnavailableError} `what: <librdkafka's message>`.
 */
export async function connectClient(client: ConnectableClient, timeoutMs: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    client.connect({ timeout: timeoutMs, allTopics: false }, (err) =>
      err ? reject(new UnavailableError(`${what}: ${err.message}`, { cause: err })) : resolve(),
    ),
  );
  (client as { _metadata?: unknown })._metadata = {};
}

function asError(err: Kafka.LibrdKafkaError): Error {
  return Object.assign(new Error(err.message), { code: err.code });
}

interface MetadataClient {
  getMetadata(options: Kafka.MetadataOptions, cb: (err: Kafka.LibrdKafkaError, data: Kafka.Metadata) => void): unknown;
}

/** Metadata of one topic alone: undefined when Kafka does not know it. Rejects when Kafka does not answer in time. */
export function topicMetadata(
  client: MetadataClient,
  topic: string,
  timeoutMs: number,
): Promise<Kafka.TopicMetadata | undefined> {
  return new Promise((resolve, reject) =>
    client.getMetadata({ topic, allTopics: false, timeout: timeoutMs }, (err, md) =>
      err ? reject(asError(err)) : resolve(md.topics.find((t) => t.name === topic && t.partitions.length > 0)),
    ),
  );
}

/** Metadata of every topic in the cluster: only for matching a topic regex, never on a hot or periodic path. */
export function allTopicsMetadata(client: MetadataClient, timeoutMs: number): Promise<Kafka.Metadata> {
  return new Promise((resolve, reject) =>
    client.getMetadata({ allTopics: true, timeout: timeoutMs }, (err, md) =>
      err ? reject(asError(err)) : resolve(md),
    ),
  );
}
