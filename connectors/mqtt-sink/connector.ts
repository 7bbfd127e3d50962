import type { ConfigValues, Connector, ConnectorContext, RawConfig } from '../../runtime/api';
import { TASK_CLIENT_ID_KEY, taskClientId } from '../mqtt-common';
import type { SinkSettings } from './config';

/** Splits the sink into tasks; the runtime's consumer group shares the Kafka partitions among them. */
export class MqttSinkConnector implements Connector<SinkSettings> {
  private raw: RawConfig = {};
  private name = '';
  private prefix = '';

  start(_config: ConfigValues, raw: RawConfig, ctx: ConnectorContext<SinkSettings>): Promise<void> {
    this.prefix = ctx.settings.connection.clientIdPrefix;
    this.raw = raw;
    this.name = ctx.name;
    return Promise.resolve();
  }

  taskConfigs(maxTasks: number): RawConfig[] {
    return Array.from({ length: Math.max(1, maxTasks) }, (_, i) => ({
      ...this.raw,
      [TASK_CLIENT_ID_KEY]: taskClientId(this.prefix, this.name, i),
    }));
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
