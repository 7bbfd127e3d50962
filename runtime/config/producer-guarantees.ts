import type { ConfigIssue } from '../api';

/**
 * Ferry acknowledges a source message only once Kafka has its record, and relies on the idempotent producer (acks=all)
 * for that acknowledgement to mean "written once, in order". A producer override that weakens this would turn every
 * acknowledgement into a possible loss or duplicate without a word, so such overrides are refused by key, not applied.
 */
const IDEMPOTENCE_KEYS = ['enable.idempotence'];
const ACKS_KEYS = ['acks', 'request.required.acks'];
const IN_FLIGHT_KEYS = ['max.in.flight.requests.per.connection', 'max.in.flight'];
const RETRIES_KEYS = ['retries', 'message.send.max.retries'];
/** Above this, the broker can no longer keep an idempotent producer's batches in order. */
const MAX_IN_FLIGHT_IDEMPOTENT = 5;

function text(v: unknown): string {
  return String(v).trim().toLowerCase();
}

/** Why this producer setting breaks the delivery guarantee, or undefined when it does not. */
function refusal(key: string, value: unknown): string | undefined {
  if (IDEMPOTENCE_KEYS.includes(key) && text(value) !== 'true') {
    return `must stay true: without idempotence a retried batch can be written twice or out of order, got '${String(value)}'`;
  }
  if (ACKS_KEYS.includes(key) && text(value) !== 'all' && text(value) !== '-1') {
    return `must be all (or -1): with fewer acknowledgements a record acknowledged to the source can be lost, got '${String(value)}'`;
  }
  if (IN_FLIGHT_KEYS.includes(key)) {
    const n = Number(text(value));
    if (!Number.isInteger(n) || n < 1 || n > MAX_IN_FLIGHT_IDEMPOTENT) {
      return `must be an integer from 1 to ${MAX_IN_FLIGHT_IDEMPOTENT}: the idempotent producer keeps order only up to ${MAX_IN_FLIGHT_IDEMPOTENT} requests in flight, got '${String(value)}'`;
    }
  }
  if (RETRIES_KEYS.includes(key)) {
    const n = Number(text(value));
    if (!Number.isInteger(n) || n < 1) {
      return `must be at least 1: the idempotent producer needs retries to keep its guarantee, got '${String(value)}'`;
    }
  }
  if (key === 'transactional.id') {
    return 'is not supported: Ferry writes records with an idempotent, non-transactional producer';
  }
  return undefined;
}

/**
 * The issues of producer settings that would break the delivery guarantee. `settings` are keyed by the full name the
 * operator wrote (`producer.acks`, `producer.override.acks`); `prefix` is what precedes the client's own key.
 */
export function producerGuaranteeIssues(settings: Readonly<Record<string, unknown>>, prefix: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [key, value] of Object.entries(settings)) {
    if (!key.startsWith(prefix) || value === undefined || value === null) continue;
    const message = refusal(key.slice(prefix.length), value);
    if (message !== undefined) issues.push({ key, message });
  }
  return issues;
}
