'use strict';
// A plain MQTT subscriber (QoS 1, mqtt.js acknowledges at once) that hands each JSON payload to a Tracker.

const mqtt = require('mqtt');
const { withTimeout } = require('./common');

class Subscriber {
  constructor({ url, filter, tracker, clientId }) {
    this.url = url;
    this.filter = filter;
    this.tracker = tracker;
    this.clientId = clientId;
    this.errors = 0;
    this.lastError = null;
  }

  async start() {
    this.client = mqtt.connect(this.url, {
      clientId: this.clientId,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10000,
      protocolVersion: 5,
    });
    await withTimeout(
      new Promise((resolve, reject) => {
        this.client.once('connect', resolve);
        this.client.once('error', reject);
      }),
      15000,
      `MQTT subscriber connecting to ${this.url}`,
    );
    this.client.on('message', (_topic, payload) => {
      try {
        this.tracker.see(JSON.parse(payload.toString('utf8')));
      } catch (err) {
        this.errors++;
        this.lastError = String(err.message || err);
      }
    });
    await new Promise((resolve, reject) =>
      this.client.subscribe(this.filter, { qos: 1 }, (err, granted) => {
        if (err) return reject(err);
        if (granted?.[0] && granted[0].qos > 2) return reject(new Error(`subscription to ${this.filter} refused`));
        resolve();
      }),
    );
  }

  async stop() {
    if (this.client) await new Promise((resolve) => this.client.end(true, {}, () => resolve()));
  }
}

/** Publishes one message at QoS 1 with a short-lived client (readiness probes, connectivity checks). */
async function publishOnce(url, topic, payload, clientId) {
  const client = mqtt.connect(url, { clientId, clean: true, reconnectPeriod: 0, connectTimeout: 5000 });
  try {
    await withTimeout(
      new Promise((resolve, reject) => {
        client.once('connect', resolve);
        client.once('error', reject);
      }),
      8000,
      `MQTT broker at ${url}`,
    );
    await new Promise((resolve, reject) =>
      client.publish(topic, payload, { qos: 1 }, (e) => (e ? reject(e) : resolve())),
    );
  } finally {
    client.end(true);
  }
}

module.exports = { Subscriber, publishOnce };
