import type { Broker } from '../lib/stack';
import { rest, sleep, waitState, type Stream } from '../lib/flow';
import type { RowSpec } from './row';

const SETTLE_MS = 120_000;

async function mustRun(s: Stream): Promise<void> {
  if ((await waitState(s.any, s.name, 'RUNNING', 1, SETTLE_MS)) === undefined)
    throw new Error(`sink not RUNNING within ${SETTLE_MS} ms`);
}

/** The sink's consumer-group offsets as the REST API shows them, summed over partitions (-1: none committed). */
async function committed(s: Stream): Promise<number> {
  const res = await rest(s.any.url, 'GET', `/connectors/${s.name}/offsets`);
  const offsets = (res.body?.offsets ?? []) as { offset?: { kafka_offset?: number } }[];
  if (offsets.length === 0) return -1;
  return offsets.reduce((sum, o) => sum + Number(o.offset?.kafka_offset ?? 0), 0);
}

export const sinkRestart: RowSpec = {
  id: 'sink-restart',
  kind: 'sink',
  what: 'A sink (Kafka → MQTT), optionally with a topic-renaming `RegexRouter` transform (`transform=RegexRouter`), is stopped gracefully (worker SIGTERM) under load and started on a new worker; what it had committed decides what is published again.',
  async run(s, p) {
    const extra: Record<string, string> =
      p.transform === 'RegexRouter'
        ? {
            transforms: 'route',
            'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter',
            'transforms.route.regex': '(.*)-in',
            'transforms.route.replacement': '$1-renamed',
          }
        : {};
    await s.open(1, extra);
    for (let i = 0; i < p.n; i++) {
      await s.flowFor(p.ratePerSecond * 3);
      await sleep(2000); // past an offset commit interval, so a working sink has committed what it published
      s.notes.push(`committed before restart ${i + 1}: ${await committed(s)}`);
      await s.terminate(s.any);
      await s.addWorker();
      await mustRun(s);
    }
    await s.flowFor(p.ratePerSecond * 2);
  },
};

export const sinkStopBrokerDown: RowSpec = {
  id: 'sink-stop-broker-down',
  kind: 'sink',
  privateBrokers: ['mqtt'],
  what: 'A sink under load loses its MQTT broker (the suite’s own Mosquitto, stopped gracefully); while the broker is down the sink is stopped (`op=sigterm`: its worker gets SIGTERM, a new one starts; `op=pause`: PUT pause), then the broker returns and the sink runs again.',
  async run(s, p) {
    const mqtt: Broker = s.brokers.mqtt;
    if (!mqtt.isPrivate) throw new Error('this row stops the MQTT broker: it needs the suite’s own instance');
    await s.open(1);
    await s.flowFor(p.ratePerSecond * 2);
    await mqtt.down();
    await sleep(3000);
    if (p.op === 'pause') {
      await s.timedStop('pause while the broker is down', async () => {
        await rest(s.any.url, 'PUT', `/connectors/${s.name}/pause`);
        return (await waitState(s.any, s.name, 'PAUSED', 1, 60_000)) !== undefined;
      });
      await mqtt.up();
      await rest(s.any.url, 'PUT', `/connectors/${s.name}/resume`);
    } else {
      await s.terminate(s.any);
      await s.addWorker();
      await mqtt.up();
    }
    await mustRun(s);
    await s.flowFor(p.ratePerSecond * 2, 180_000);
  },
};
