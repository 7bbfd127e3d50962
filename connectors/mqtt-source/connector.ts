import {
  settingsReader,
  type ConfigValues,
  type Connector,
  type ConnectorContext,
  type RawConfig,
  type SourceConnectorPlugin,
} from '../../runtime/api';
import { TASK_CLIENT_ID_KEY, releaseMqttSessions, taskClientId } from '../mqtt-common';
import { dedupIssues } from './dedup';
import {
  TASK_FILTERS_KEY,
  mqttSourceConfig,
  shareGroupName,
  taskFilters,
  validateMqttSource,
  type SourceSettings,
} from './config';
import { MqttSourceTask } from './task';

/**
 * Splits the work: with one task it subscribes to the filters as given; with more, every task subscribes to
 * `$share/<group>/<filter>` so the broker spreads the messages over them. Each task gets a stable client id derived
 * from connector and task, so a restarted task resumes its own broker session.
 */
export class MqttSourceConnector implements Connector<SourceSettings> {
  private raw: RawConfig = {};
  private name = '';
  private prefix = '';
  private filters: readonly string[] = [];

  start(_config: ConfigValues, raw: RawConfig, ctx: ConnectorContext<SourceSettings>): Promise<void> {
    this.raw = raw;
    this.name = ctx.name;
    this.prefix = ctx.settings.connection.clientIdPrefix;
    this.filters = ctx.settings.filters;
    return Promise.resolve();
  }

  taskConfigs(maxTasks: number): RawConfig[] {
    const n = Math.max(1, Math.trunc(maxTasks));
    const group =
      n > 1
        ? shareGroupName(settingsReader(mqttSourceConfig, this.raw).string('mqtt.share.group') ?? this.name)
        : undefined;
    const subscriptions = taskFilters(this.filters, group).join(',');
    return Array.from({ length: n }, (_, taskId) => ({
      ...this.raw,
      [TASK_CLIENT_ID_KEY]: taskClientId(this.prefix, this.name, taskId),
      [TASK_FILTERS_KEY]: subscriptions,
    }));
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

export const mqttSourcePlugin: SourceConnectorPlugin<SourceSettings> = {
  type: 'source',
  className: 'MqttSourceConnector',
  aliases: ['io.ferry.connect.mqtt.MqttSourceConnector'],
  version: '0.1.0',
  description:
    'Reads MQTT 3.1.1/5 topic filters into Kafka; acknowledges a QoS 1/2 message only after Kafka has its record.',
  config: mqttSourceConfig,
  validate: (values, raw, ctx) => [...validateMqttSource(values, raw, ctx), ...dedupIssues(values)],
  createConnector: () => new MqttSourceConnector(),
  createTask: () => new MqttSourceTask(),
  releaseTasks: releaseMqttSessions,
};
