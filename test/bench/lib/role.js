'use strict';
// What every role process shares: its options, telling the parent why it failed, the measured run's clock and CPU,
// the figures of its `done` message, and the MQTT connection a bench client opens.

const mqtt = require('mqtt');

/** The options the parent passed as the first argument (JSON). */
function roleOptions() {
  return JSON.parse(process.argv[2]);
}

/** Tells the parent why the role cannot go on, then exits 1. */
function fail(message) {
  if (process.connected) process.send({ type: 'error', message });
  setTimeout(() => process.exit(1), 50);
}

/** The measured run: from `go` on, its elapsed time, what a paced run owes, and the `done` figures. */
class Run {
  constructor() {
    this.startedAt = 0;
    this.cpuAtGo = null;
  }

  start() {
    this.startedAt = performance.now();
    this.cpuAtGo = process.cpuUsage();
  }

  get started() {
    return this.startedAt !== 0;
  }

  /** How many of `n` a run paced to `rate` per second should have sent by now. */
  due(n, rate) {
    return Math.min(n, Math.floor(((performance.now() - this.startedAt) * rate) / 1000));
  }

  /** Sends `done`: the role's own `fields`, elapsed seconds, `count` per second and CPU seconds (user + system). */
  done(count, fields) {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const cpu = process.cpuUsage(this.cpuAtGo);
    process.send({
      type: 'done',
      ...fields,
      seconds: Math.round(seconds * 1000) / 1000,
      rate: Math.round(count / seconds),
      cpuSeconds: Math.round((cpu.user + cpu.system) / 1000) / 1000,
    });
  }
}

/** A bench MQTT 5 client: clean session and no reconnect (a dropped connection fails the run), 10 s to connect. */
function connectMqtt(url, clientId) {
  return mqtt.connect(url, { clientId, clean: true, reconnectPeriod: 0, connectTimeout: 10000, protocolVersion: 5 });
}

module.exports = { roleOptions, fail, Run, connectMqtt };
