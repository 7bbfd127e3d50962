/** What the rescale tests share: the source's config at a given `tasks.max`, waiting for its tasks, probing the path. */
import type { MqttClient } from 'mqtt';
import { eventually, mqttSourceConfig, rest, type KafkaReader } from '../../helpers';

/** A string source of `<root>/#` into a one-partition topic, with `tasks` tasks (and any `extra` keys). */
export function rescaleConfig(
  o: { mqttUrl: string; version: string; root: string; topic: string },
  tasks: number,
  extra: Record<string, string> = {},
): Record<string, string> {
  return mqttSourceConfig(
    { filters: `${o.root}/#`, mqttUrl: o.mqttUrl, kafkaTopic: o.topic },
    { 'tasks.max': String(tasks), 'mqtt.protocol.version': o.version, 'mqtt.value.format': 'string', ...extra },
  );
}

/** Resolves once the connector has exactly `tasks` tasks, all RUNNING. */
export function tasksRunning(workerUrl: string, name: string, tasks: number): Promise<unknown> {
  return eventually(
    async () => {
      const st = (await rest(workerUrl, 'GET', `/connectors/${name}/status`)).body;
      const states = (st?.tasks ?? []) as { state: string }[];
      return states.length === tasks && states.every((t) => t.state === 'RUNNING');
    },
    { what: `${tasks} task(s) RUNNING`, timeoutMs: 90_000 },
  );
}

export const recordValues = (records: readonly { value: Buffer | null }[]): string[] =>
  records.map((r) => r.value?.toString() ?? '');

/** Publishes probes to `<root>/probe` until one reaches Kafka: every task's subscription is in place. */
export function probeUntilSeen(pub: MqttClient, reader: KafkaReader, root: string, what: string): Promise<unknown> {
  let probe = 0;
  return eventually(
    async () => {
      const mine = `${what}-${probe++}`;
      await pub.publishAsync(`${root}/probe`, mine, { qos: 1 });
      return eventually(() => recordValues(reader.records).includes(mine), { what, timeoutMs: 3000 }).then(
        () => true,
        () => false,
      );
    },
    { what, timeoutMs: 90_000 },
  );
}
