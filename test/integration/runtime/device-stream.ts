/**
 * The sequence-numbered device stream the exactly-once worker tests drive: devices `dev<d>` publish
 * `{"seq": n, "device": d}` on `<root>/dev<d>/data` through an exactly-once, de-duplicating MQTT source, and a
 * read_committed reader checks that every (device, seq) was committed once, in order.
 */
import type { MqttClient } from 'mqtt';
import { eventually, sleep, STRING_CONVERTER, type KafkaReader } from '../../helpers';

/** The exactly-once source with per-device de-duplication on `${mqtt.topic[1]}` and `${payload.seq}`. */
export function dedupSourceConfig(
  o: { mqttUrl: string; root: string; topic: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    'connector.class': 'io.ferry.connect.mqtt.MqttSourceConnector',
    'tasks.max': '1',
    'mqtt.server.uri': o.mqttUrl,
    'mqtt.topics': `${o.root}/+/data`,
    'mqtt.qos': '1',
    'mqtt.value.format': 'string',
    'mqtt.reconnect.backoff.ms': '100',
    'mqtt.reconnect.backoff.max.ms': '500',
    'kafka.topic': o.topic,
    'key.converter': STRING_CONVERTER,
    'value.converter': STRING_CONVERTER,
    'exactly.once.support': 'required',
    'mqtt.dedup.key': '${mqtt.topic[1]}',
    'mqtt.dedup.sequence': '${payload.seq}',
    ...extra,
  };
}

/** The subscription exists once the task subscribed: a warm-up device publishes until its message is committed. */
export async function warmUp(pub: MqttClient, root: string, reader: KafkaReader): Promise<void> {
  await eventually(
    async () => {
      await pub.publishAsync(`${root}/warm/data`, JSON.stringify({ seq: 0 }), { qos: 1 });
      return reader.records.length > 0;
    },
    { what: 'the first committed record', timeoutMs: 90_000, intervalMs: 1000 },
  );
}

/** Message `seq` of every device, each acknowledged by the broker (QoS 1). */
export async function publishRound(pub: MqttClient, root: string, devices: number, seq: number): Promise<void> {
  await Promise.all(
    Array.from({ length: devices }, (_, d) =>
      pub.publishAsync(`${root}/dev${d}/data`, JSON.stringify({ seq, device: d }), { qos: 1 }),
    ),
  );
}

/** Waits for every device's last message, then requires each device's committed sequence to be 0 … perDevice-1. */
export async function expectEveryDeviceOnceInOrder(
  reader: KafkaReader,
  devices: number,
  perDevice: number,
): Promise<void> {
  const last = (r: readonly { value: Buffer | null }[], d: number): boolean =>
    r.some((m) => m.value?.toString() === JSON.stringify({ seq: perDevice - 1, device: d }));
  await reader.until((r) => Array.from({ length: devices }, (_, d) => last(r, d)).every(Boolean), {
    what: "every device's last message committed",
    timeoutMs: 180_000,
  });
  // Anything written twice would be committed by now or soon: give redeliveries a moment to show up.
  await sleep(2000);
  const byDevice = new Map<number, number[]>();
  for (const m of reader.records) {
    const v = JSON.parse(m.value?.toString() ?? '{}') as { seq?: number; device?: number };
    if (v.device === undefined || v.seq === undefined) continue;
    byDevice.set(v.device, [...(byDevice.get(v.device) ?? []), v.seq]);
  }
  const expected = Array.from({ length: perDevice }, (_, i) => i);
  for (let d = 0; d < devices; d++) expect([d, byDevice.get(d)]).toEqual([d, expected]);
}
