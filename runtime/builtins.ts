import type { ConnectorPlugin } from './api';
import { mqttSinkPlugin } from '../connectors/mqtt-sink';
import { mqttSourcePlugin } from '../connectors/mqtt-source';

/** The connector plugins every worker has without plugin.path. */
export const builtinPlugins: readonly ConnectorPlugin[] = [mqttSourcePlugin, mqttSinkPlugin];
