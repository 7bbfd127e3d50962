import {
  ConfigError,
  configNumber,
  configString,
  type ConfigIssue,
  type ConfigProperty,
  type ConfigValues,
  type OffsetMap,
} from '../../runtime/api';
import { compileTemplate, type Template } from '../mqtt-common';

/** Source partition key of a device's high-water mark: `{"mqtt.device": "<identity>"}`, offset `{"seq": n}`. */
export const DEVICE_PARTITION_KEY = 'mqtt.device';

const GROUP = 'De-duplication';
/** What the identity and sequence templates may read: topic levels, MQTT 5 user properties, payload fields. */
const ROOTS = ['mqtt.topic', 'mqtt.user.property', 'payload'] as const;
export const DEFAULT_RESTART_WINDOW = 1000;

export const DEDUP_PROPERTIES: Readonly<Record<string, ConfigProperty>> = {
  'mqtt.dedup.key': {
    type: 'string',
    description:
      'De-duplication: the device identity, a template over topic levels, MQTT 5 user properties and payload ' +
      'fields, e.g. "${mqtt.topic[1]}". Set with mqtt.dedup.sequence; a redelivered message at or below its ' +
      "device's mark is acknowledged and skipped (docs/exactly-once.md).",
    'x-importance': 'MEDIUM',
    'x-group': GROUP,
  },
  'mqtt.dedup.sequence': {
    type: 'string',
    description:
      "De-duplication: the message's sequence number within its device, a template rendering an integer, e.g. " +
      '"${payload.seq}" or "${mqtt.user.property.seq}".',
    'x-importance': 'MEDIUM',
    'x-group': GROUP,
  },
  'mqtt.dedup.restart.window': {
    type: 'integer',
    minimum: 1,
    default: DEFAULT_RESTART_WINDOW,
    description:
      "A sequence this far or further below its device's mark is a device that restarted its numbering (or a " +
      'counter that wrapped): written, and the mark starts over from it. Closer below (or equal) is a duplicate. ' +
      "For a wrapping counter keep it below the counter's range, e.g. 128 for 0–255.",
    'x-importance': 'LOW',
    'x-group': GROUP,
  },
};

export interface DedupSettings {
  readonly key: Template;
  readonly sequence: Template;
  readonly restartWindow: number;
}

/** Parsed de-duplication settings, or undefined when off. Throws ConfigError naming the key at fault. */
export function parseDedup(values: ConfigValues): DedupSettings | undefined {
  const key = configString(values, 'mqtt.dedup.key');
  const sequence = configString(values, 'mqtt.dedup.sequence');
  if (!key && !sequence) return undefined;
  if (!key || !sequence) {
    const missing = key ? 'mqtt.dedup.sequence' : 'mqtt.dedup.key';
    throw new ConfigError([{ key: missing, message: 'set mqtt.dedup.key and mqtt.dedup.sequence together' }]);
  }
  return {
    key: compileTemplate(key, ROOTS, 'mqtt.dedup.key'),
    sequence: compileTemplate(sequence, ROOTS, 'mqtt.dedup.sequence'),
    restartWindow: configNumber(values, 'mqtt.dedup.restart.window') ?? DEFAULT_RESTART_WINDOW,
  };
}

/** The de-duplication keys' problems, for the connector's validate. */
export function dedupIssues(values: ConfigValues): ConfigIssue[] {
  try {
    parseDedup(values);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
}

/** What {@link DedupMarks.admit} decided for one message. */
export type Verdict = 'new' | 'duplicate' | 'restart';

/**
 * Each device's high-water mark, and the rule that recognises a redelivered message (pure, no I/O). With `mark`
 * the highest sequence written for the device and `d = mark - seq`:
 * - `d < 0` (above the mark, gaps allowed): new; the mark moves up to it;
 * - `0 ≤ d < restartWindow`: a duplicate; the mark stays;
 * - `d ≥ restartWindow`: the device restarted its numbering, or its counter wrapped: new; the mark starts over
 *   from it.
 * A device without a mark takes any sequence as new.
 */
export class DedupMarks {
  private readonly marks = new Map<string, number>();
  /** One frozen source partition per device: the runner keys offsets by it, and reuses its canonical text. */
  private readonly partitions = new Map<string, Readonly<OffsetMap>>();

  constructor(private readonly restartWindow: number) {}

  /** Marks stored by earlier runs (the connector's offsets; other partitions are ignored). */
  load(stored: readonly { partition: OffsetMap; offset: OffsetMap }[]): number {
    let n = 0;
    for (const { partition, offset } of stored) {
      const device = partition[DEVICE_PARTITION_KEY];
      const seq = offset['seq'];
      if (typeof device === 'string' && typeof seq === 'number' && Number.isSafeInteger(seq)) {
        this.marks.set(device, seq);
        n++;
      }
    }
    return n;
  }

  admit(device: string, seq: number): Verdict {
    const mark = this.marks.get(device);
    if (mark !== undefined) {
      const d = mark - seq;
      if (d >= 0 && d < this.restartWindow) return 'duplicate';
      this.marks.set(device, seq);
      return d < 0 ? 'new' : 'restart';
    }
    this.marks.set(device, seq);
    return 'new';
  }

  mark(device: string): number | undefined {
    return this.marks.get(device);
  }

  partition(device: string): Readonly<OffsetMap> {
    let p = this.partitions.get(device);
    if (p === undefined) {
      p = Object.freeze({ [DEVICE_PARTITION_KEY]: device });
      this.partitions.set(device, p);
    }
    return p;
  }
}

/** A rendered sequence as an integer, or undefined when it is not one. */
export function sequenceNumber(text: string): number | undefined {
  if (!/^-?\d+$/.test(text.trim())) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}
