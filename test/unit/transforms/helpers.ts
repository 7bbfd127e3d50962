import type { ConnectRecord, SinkRecord } from '../../../runtime/api';
import { parseTransformChain, applyChain } from '../../../runtime/transforms';

/** Builds a one-transform chain from Connect-style settings and applies it; throws if the config is invalid. */
export function transform(
  type: string,
  settings: Record<string, string> = {},
): <R extends ConnectRecord>(r: R) => R | null {
  const raw: Record<string, string> = { transforms: 't', 'transforms.t.type': type };
  for (const [k, v] of Object.entries(settings)) raw[`transforms.t.${k}`] = v;
  const chain = parseTransformChain(raw);
  if (chain.issues.length > 0) throw new Error(JSON.stringify(chain.issues));
  return (r) => applyChain(chain.steps, r);
}

export function issuesOf(raw: Record<string, string>): { key: string; message: string }[] {
  return [...parseTransformChain(raw).issues];
}

export function sinkRecord(changes: Partial<SinkRecord> = {}): SinkRecord {
  return {
    topic: 'factory.press7',
    kafkaPartition: 2,
    kafkaOffset: 41,
    key: 'k1',
    value: null,
    timestamp: Date.UTC(2026, 10, 25, 10, 30, 0),
    headers: [],
    ...changes,
  };
}
