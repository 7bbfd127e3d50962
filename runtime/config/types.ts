import type { ConfigIssue, ConfigProperty, RawConfig } from '../api';
import type { ConnectorLimits } from './limits';

/** A configuration key the pipeline (converters, transforms, predicates, errors.*) defines for a connector. */
export interface PipelineConfigKey {
  readonly key: string;
  readonly group: string;
  readonly property: ConfigProperty;
}

/**
 * What connector config validation needs from runtime/pipeline. Injected so that this module does not depend on
 * the pipeline's implementation (and tests can run without it); the worker wires the real functions.
 */
export interface PipelineHooks {
  /** Every problem with the pipeline keys of a connector config; `defaults` are the worker's converter settings. */
  readonly validatePipelineConfig: (raw: RawConfig, defaults: RawConfig) => ConfigIssue[];
  /** Definitions of the pipeline keys for this config (transform aliases make them dynamic). */
  readonly pipelineConfigKeys: (raw: RawConfig) => PipelineConfigKey[];
  /** The worker's converter defaults (`key.converter`, `value.converter`… with sub-keys). */
  readonly converterDefaults?: RawConfig;
  /** The worker's `limits.*` settings; the defaults when absent. */
  readonly limits?: ConnectorLimits;
  /** The worker's `exactly.once.source.support=enabled`; false when absent. */
  readonly exactlyOnceSourceSupport?: boolean;
}

/** Hooks that add nothing: validation of the plugin's own and the common keys only. */
export const noPipelineHooks: PipelineHooks = {
  validatePipelineConfig: () => [],
  pipelineConfigKeys: () => [],
};

/** A config with its placeholders resolved, and the keys whose placeholders could not be (validation issues). */
export interface Resolution {
  readonly resolved: RawConfig;
  readonly issues: readonly ConfigIssue[];
}
