'use strict';
// Runs one measured flow: senders (roles already `ready`) are started together, and the flow ends when the tracker
// has seen every sequence, when a sender fails, or at the timeout — whichever comes first.

const { Role, poll, sleep } = require('./common');
const { Tracker } = require('./tracker');

/** Starts a role and waits for its `ready`. */
async function startRole(script, options, timeoutMs = 20000) {
  const role = new Role(script, options);
  try {
    await role.waitFor('ready', timeoutMs);
  } catch (err) {
    await role.stop();
    throw err;
  }
  return role;
}

/**
 * How late the harness's own event loop runs: the receiver that times every message lives in this process, so a
 * stall here (its GC, a busy moment) shows up as latency that is not the system under test's.
 */
class LoopLag {
  start(periodMs = 10) {
    this.samples = [];
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const late = now - last - periodMs;
      if (late > 2) this.samples.push([now, late]);
      last = now;
    }, periodMs);
  }

  stop() {
    clearInterval(this.timer);
  }

  /** The longest lateness (ms) from `since` (performance.now()) on. */
  maxSince(since) {
    let max = 0;
    for (const [at, late] of this.samples) if (at >= since && late > max) max = late;
    return Math.round(max * 10) / 10;
  }
}

/**
 * @returns {Promise<object>} the tracker's summary plus `complete`, `timedOut` and each sender's own figures; with
 *   `withLatency`, `harnessLagMs`: how late the harness itself ran at most during the measured phase.
 */
async function drive({ tracker, senders, timeoutMs, withLatency, abort }) {
  const failures = senders.map((r) =>
    r.waitFor('done', timeoutMs + 5000).then(
      () => new Promise(() => undefined), // done is not the end of the flow: the receiver decides
      (err) => {
        throw err;
      },
    ),
  );
  const lag = new LoopLag();
  if (withLatency) lag.start();
  for (const r of senders) r.send({ type: 'go' });
  let senderError = null;
  let complete = false;
  try {
    // `abort` (e.g. the worker crashing) ends the flow early with its reason.
    complete = await Promise.race([tracker.waitComplete(timeoutMs), ...failures, ...(abort ? [abort] : [])]);
  } catch (err) {
    senderError = err.message;
  }
  const sent = [];
  for (const r of senders) {
    sent.push(await r.waitFor('done', complete ? 5000 : 10).catch((err) => ({ error: err.message })));
    await r.stop();
  }
  if (withLatency) lag.stop();
  const out = { ...tracker.summary(withLatency), complete, timedOut: !complete && !senderError };
  if (withLatency && tracker.measuredFrom > 0) out.harnessLagMs = lag.maxSince(tracker.measuredFrom);
  if (senderError) out.error = senderError;
  out.sender = sent.length === 1 ? strip(sent[0]) : sent.map(strip);
  return out;
}

function strip(m) {
  if (!m) return m;
  const { type: _type, ...rest } = m;
  return rest;
}

/**
 * Sends probe messages (seq -1) every 300 ms (`sendProbe` may be null when a warm-up record is already on its way)
 * until the receiver has seen one: proves the whole path (subscription,
 * producer, topic) is live before the measured run starts, so nothing of the run is lost to a late subscription.
 */
async function awaitProbe(tracker, sendProbe, timeoutMs = 20000) {
  const seen = await poll(
    async () => {
      if (tracker.probes > 0) return true;
      if (sendProbe) await sendProbe();
      await sleep(300);
      return tracker.probes > 0;
    },
    timeoutMs,
    0,
  );
  if (!seen) throw new Error(`no probe message came through within ${timeoutMs / 1000} s`);
}

module.exports = { startRole, drive, awaitProbe, Tracker };
