/**
 * Reading the broker's SUBACK against what the session asked for. A pure function, so the rule is in one place:
 *
 * - a refused filter (code ≥ 0x80) fails the session: the task would otherwise stay RUNNING and receive nothing
 *   for that filter, silently;
 * - a filter granted QoS 0 where QoS 1 or 2 was asked fails it too: QoS 0 has no acks, so the broker forgets each
 *   message once sent and a crash before Kafka has it loses it. A user who accepts that sets `mqtt.qos=0`;
 * - QoS 2 granted as QoS 1 keeps at-least-once (acks still wait for Kafka); only the broker-side de-duplication is
 *   lost, so it is reported and the session goes on.
 */
import type { Subscription } from './session-types';

/** MQTT 5 SUBACK reason codes (3.1.1 knows only 0x80, "failure"). */
const REFUSAL_REASONS: Readonly<Record<number, string>> = {
  0x80: 'unspecified error',
  0x83: 'implementation specific error',
  0x87: 'not authorized',
  0x8f: 'topic filter invalid',
  0x91: 'packet identifier in use',
  0x97: 'quota exceeded',
  0x9e: 'shared subscriptions not supported',
  0xa1: 'subscription identifiers not supported',
  0xa2: 'wildcard subscriptions not supported',
};

export interface SubackReading {
  /** Filters the broker accepted (possibly at a lower QoS). */
  readonly granted: readonly { topic: string; qos: number }[];
  readonly refused: readonly { topic: string; code: number }[];
  /** Accepted at a lower QoS than asked. */
  readonly downgraded: readonly { topic: string; asked: number; granted: number }[];
  /** Set when the session must not go on: names every offending filter and the reason. */
  readonly failure: Error | undefined;
}

function codeText(code: number, protocolVersion: 4 | 5): string {
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  if (protocolVersion === 4) return `${hex} failure`;
  return `${hex} ${REFUSAL_REASONS[code] ?? 'refused'}`;
}

export function describeSuback(
  subscriptions: readonly Subscription[],
  granted: readonly unknown[],
  protocolVersion: 4 | 5,
): SubackReading {
  const ok: { topic: string; qos: number }[] = [];
  const refused: { topic: string; code: number }[] = [];
  const downgraded: { topic: string; asked: number; granted: number }[] = [];
  const problems: string[] = [];
  subscriptions.forEach((sub, i) => {
    const g = granted[i];
    // A SUBACK shorter than the SUBSCRIBE is a broker fault; treat a missing answer as a refusal.
    const code = typeof g === 'number' ? g : 0x80;
    if (code >= 0x80) {
      refused.push({ topic: sub.topic, code });
      problems.push(`the broker refused the subscription to '${sub.topic}' (${codeText(code, protocolVersion)})`);
      return;
    }
    ok.push({ topic: sub.topic, qos: code });
    if (code >= sub.qos) return;
    downgraded.push({ topic: sub.topic, asked: sub.qos, granted: code });
    if (code === 0) {
      problems.push(
        `the broker granted QoS 0 for '${sub.topic}' (asked ${sub.qos}): without acks a crash would lose ` +
          'messages; set mqtt.qos=0 to accept that',
      );
    }
  });
  const failure = problems.length > 0 ? new Error(problems.join('; ')) : undefined;
  return { granted: ok, refused, downgraded, failure };
}
