export { PluginRegistry, isConnectorPlugin } from './plugin-registry';
export type { PluginLoadReport } from './plugin-registry';
