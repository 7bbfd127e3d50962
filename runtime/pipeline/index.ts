export * from './types';
export { createSourcePipeline, createSinkPipeline } from './create';
export {
  validatePipelineConfig,
  pipelineConfigKeys,
  pipelinePlugins,
  PIPELINE_PLUGIN_VERSION,
  type PipelineConfigKey,
} from './config-keys';
export { parseErrorPolicy, ERROR_POLICY_KEYS, type ErrorPolicy, type Stage } from './error-policy';
export { hasPlaceholders } from '../config-providers';
