'use strict';
// Figures read from /proc: CPU seconds of a process, of the stack's services and of the whole machine, and memory.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

let clockTicks;
function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (user + system) a live process has used so far, or null once it is gone. */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state: utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** The local stack's run folder (deploy/local/stack.sh keeps its pid files there). */
function stackRunDir() {
  const cache =
    process.env.FERRY_CACHE_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ferry');
  return path.join(process.env.FERRY_STACK_DIR || path.join(cache, 'stack'), 'run');
}

function stackPid(service) {
  try {
    return Number(fs.readFileSync(path.join(stackRunDir(), `${service}.pid`), 'utf8').trim()) || null;
  } catch {
    return null;
  }
}

/** CPU seconds the whole machine has been busy (all cores: /proc/stat less idle and iowait). */
function machineBusySeconds() {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - cpu[3] - cpu[4]) / ticksPerSecond();
  } catch {
    return null;
  }
}

/**
 * CPU counters of everything a scenario shares the machine with: the harness process itself (readers, subscribers,
 * the tracker), the stack's Mosquitto, Kafka and registry, and the machine's total. Two snapshots around a measured
 * phase, with the worker's and the generator's own CPU, give {@link cpuSplit}.
 */
function cpuSnapshot() {
  const own = process.cpuUsage();
  return {
    machine: machineBusySeconds(),
    harness: (own.user + own.system) / 1e6,
    mosquitto: cpuSeconds(stackPid('mqtt')),
    kafka: cpuSeconds(stackPid('kafka')),
    registry: cpuSeconds(stackPid('registry')),
  };
}

/**
 * Where the machine's CPU went during a measured phase, in CPU seconds per 100k messages by process: `others`
 * holds processes measured by the caller (`{ worker: 4.1, generator: 3.9 }` as CPU seconds), `rest` is the machine's
 * busy time no listed process accounts for (other services, the kernel's softirq work for loopback traffic). A
 * `harness` entry in `others` replaces the harness's own figure (the reader then runs in a process of its own).
 */
function cpuSplit(before, after, others, messages) {
  if (!before || !after || !(messages > 0)) return null;
  const per100k = (x) => (typeof x === 'number' ? Math.round(((x * 100000) / messages) * 100) / 100 : null);
  const delta = (k) => (after[k] !== null && before[k] !== null ? after[k] - before[k] : null);
  const split = {};
  let listed = 0;
  for (const [name, secs] of Object.entries(others)) {
    split[name] = per100k(secs);
    if (typeof secs === 'number') listed += secs;
  }
  for (const k of ['harness', 'mosquitto', 'kafka', 'registry']) {
    if (k in others) continue; // measured by the caller (e.g. a reader in its own process, not the harness)
    const d = delta(k);
    split[k] = per100k(d);
    if (d !== null) listed += d;
  }
  const machine = delta('machine');
  split.rest = machine === null ? null : per100k(Math.max(0, machine - listed));
  split.machine = per100k(machine);
  return split;
}

/** Resident set now and its peak (VmRSS, VmHWM) in MB, or nulls once the process is gone. */
function memoryMb(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
    };
    return { rssMb: kb('VmRSS'), peakRssMb: kb('VmHWM') };
  } catch {
    return { rssMb: null, peakRssMb: null };
  }
}

module.exports = { cpuSeconds, cpuSnapshot, cpuSplit, memoryMb };
