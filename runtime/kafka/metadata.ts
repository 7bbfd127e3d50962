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
  disconnect(cb?: () => void): unknown;
  on?(event: 'event.log', listener: (log: { severity: number; message: string }) => void): unknown;
  removeListener?(event: 'event.log', listener: (log: { severity: number; message: string }) => void): unknown;
}

/*
 * librdkafka reports refused credentials and failed TLS handshakes only in its log, and keeps retrying: connect()
 * would just time out with "broker transport failure". These are not transient, so connecting stops at the first
 * one and says what to check.
 */
const SECURITY_FAILURES: readonly { re: RegExp; hint: string }[] = [
  {
    re: /SASL authentication error|SASL authentication failed/i,
    hint: 'Kafka refused the SASL credentials (check sasl.username, sasl.password and sasl.mechanism)',
  },
  {
    re: /SSL handshake failed|certificate verify failed/i,
    hint: 'the TLS handshake with Kafka failed (check security.protocol and the ssl.* settings)',
  },
];

/** librdkafka's log line without its thread prefix ("[thrd:…]: "); it names the broker and the reason, no secret. */
function securityFailure(message: string): string | undefined {
  const found = SECURITY_FAILURES.find((f) => f.re.test(message));
  return found ? `${found.hint}: ${message.replace(/^\[thrd:[^\]]*\]:\s*/, '')}` : undefined;
}

/**
 * Connects a producer or consumer and drops the cluster metadata node-rdkafka kept from it (nothing in Ferry reads
 * it). A failure rejects with an {@link UnavailableError} `what: <the reason>`; refused credentials and failed TLS
 * handshakes reject as soon as librdkafka logs them.
 */
export async function connectClient(client: ConnectableClient, timeoutMs: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const onLog = (log: { severity: number; message: string }): void => {
      const problem = log.severity <= 4 ? securityFailure(log.message) : undefined;
      if (problem) settle(new UnavailableError(`${what}: ${problem}`));
    };
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      client.removeListener?.('event.log', onLog);
      if (err) reject(err);
      else resolve();
    };
    client.on?.('event.log', onLog);
    client.connect({ timeout: timeoutMs, allTopics: false }, (err) => {
      // Given up on already: a late success must not leave a connected client nobody owns.
      if (settled && !err) client.disconnect();
      settle(err ? new UnavailableError(`${what}: ${err.message}`, { cause: err }) : undefined);
    });
  });
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
