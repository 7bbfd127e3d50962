'use strict';
// Counts what a receiver saw: per-sequence delivery counts (missing / duplicates), first-to-last rate and end-to-end
// latency percentiles. Fixed-size typed arrays: the expected count is known, so nothing grows per message.

const { latencyMs } = require('./payload');

class Tracker {
  /**
   * @param {number} expected messages with seq 0..expected-1
   * @param {number} warmup the first `warmup` sequences (a latency run's warm-up at the fixed rate) are checked for
   *   loss and duplicates like the rest but left out of the latency percentiles; their own p50/max are reported
   */
  constructor(expected, warmup = 0) {
    this.expected = expected;
    this.warmup = Math.min(warmup, Math.floor(expected / 2));
    this.counts = new Uint8Array(expected);
    this.latencies = new Float64Array(expected);
    this.received = 0; // messages with a seq in range, duplicates included
    this.unique = 0;
    this.outOfRange = 0;
    this.probes = 0;
    this.firstAt = 0;
    this.measuredFrom = 0; // when the first message after the warm-up arrived
    this.lastAt = 0;
    this.onProbe = null;
    this.onComplete = null;
  }

  /** Records one decoded telemetry object (needs `seq` and `mono`). */
  see(t) {
    const seq = t.seq;
    if (seq < 0) {
      this.probes++;
      if (this.onProbe) this.onProbe();
      return;
    }
    if (!(seq < this.expected)) {
      this.outOfRange++;
      return;
    }
    const now = performance.now();
    if (this.received === 0) this.firstAt = now;
    if (this.measuredFrom === 0 && seq >= this.warmup) this.measuredFrom = now;
    this.lastAt = now;
    this.received++;
    const c = this.counts[seq];
    if (c === 0) {
      this.latencies[seq] = latencyMs(t.mono);
      this.unique++;
      if (this.unique === this.expected && this.onComplete) this.onComplete();
    }
    if (c < 255) this.counts[seq] = c + 1;
  }

  /** A promise resolved when every expected sequence was seen, or false after `timeoutMs`. */
  waitComplete(timeoutMs) {
    if (this.unique >= this.expected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onComplete = null;
        resolve(false);
      }, timeoutMs);
      this.onComplete = () => {
        clearTimeout(timer);
        this.onComplete = null;
        resolve(true);
      };
    });
  }

  /** Figures for the report. `withLatency` adds p50/p95/p99/max of first deliveries. */
  summary(withLatency) {
    let duplicates = 0;
    for (let i = 0; i < this.expected; i++) if (this.counts[i] > 1) duplicates += this.counts[i] - 1;
    const seconds = (this.lastAt - this.firstAt) / 1000;
    const out = {
      expected: this.expected,
      received: this.received,
      unique: this.unique,
      missing: this.expected - this.unique,
      duplicates,
      outOfRange: this.outOfRange,
      seconds: round(seconds, 3),
      rate: this.received > 1 && seconds > 0 ? Math.round((this.received - 1) / seconds) : null,
    };
    if (withLatency) {
      out.latencyMs = this.percentiles(this.warmup, this.expected);
      if (this.warmup > 0) out.warmup = { messages: this.warmup, latencyMs: this.percentiles(0, this.warmup) };
      out.latencyBySliceMs = this.slices(10);
    }
    return out;
  }

  /** p50 and max latency of each tenth of the run (by sequence): tells a warm-up or a stall from a steady cost. */
  slices(count) {
    const out = [];
    const size = Math.ceil(this.expected / count);
    for (let from = 0; from < this.expected; from += size) {
      const part = [];
      for (let i = from; i < Math.min(this.expected, from + size); i++)
        if (this.counts[i] > 0) part.push(this.latencies[i]);
      part.sort((a, b) => a - b);
      out.push(
        part.length ? { p50: round(part[Math.floor(part.length / 2)], 1), max: round(part[part.length - 1], 1) } : null,
      );
    }
    return out;
  }

  /** Latency percentiles of the sequences in [from, to) that were seen. */
  percentiles(from, to) {
    let count = 0;
    for (let i = from; i < to; i++) if (this.counts[i] > 0) count++;
    const seen = new Float64Array(count);
    let j = 0;
    for (let i = from; i < to; i++) if (this.counts[i] > 0) seen[j++] = this.latencies[i];
    seen.sort();
    const at = (q) => (seen.length ? round(seen[Math.min(seen.length - 1, Math.floor(q * seen.length))], 2) : null);
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: seen.length ? round(seen[seen.length - 1], 2) : null };
  }
}

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

module.exports = { Tracker, round };
