'use strict';
// The benchmark's message: a ~200-byte JSON telemetry document, the same bytes in every scenario and baseline.
// `mono` (process.hrtime in µs) is the clock used for latency: CLOCK_MONOTONIC is shared by every process on the
// host, so a receiver in another process can subtract it; `sentAt` is the wall clock a real device would send.

const path = require('node:path');

const SCHEMA_FILE = path.join(__dirname, '..', 'telemetry.avsc');
const STATUSES = ['ok', 'ok', 'ok', 'warn'];

function monoMicros() {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Milliseconds (with sub-ms precision) between `mono` and now. */
function latencyMs(mono) {
  return (monoMicros() - mono) / 1000;
}

/** Device `d`'s name, zero-padded so every payload has the same length. */
function deviceName(d) {
  return `dev${String(d).padStart(4, '0')}`;
}

/** The telemetry object for sequence number `seq` from device `d`. */
function telemetry(seq, d) {
  // Cheap deterministic "sensor" values: realistic shapes, no Math.random cost in the hot loop.
  const x = (seq * 7919) % 1000;
  return {
    deviceId: deviceName(d),
    seq,
    sentAt: Date.now(),
    mono: monoMicros(),
    temperature: 18 + x / 100,
    humidity: 40 + (x % 300) / 10,
    pressure: 1000 + (x % 250) / 10,
    battery: 50 + (x % 50),
    rssi: -40 - (x % 50),
    status: STATUSES[seq & 3],
    firmware: '1.4.2',
    site: 'plant-3/hall-B/line-07',
  };
}

/** The JSON bytes of `telemetry(seq, d)`. */
function payloadBytes(seq, d) {
  return Buffer.from(JSON.stringify(telemetry(seq, d)));
}

module.exports = { SCHEMA_FILE, monoMicros, latencyMs, deviceName, telemetry, payloadBytes };
