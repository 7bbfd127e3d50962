import { ConfigError, type RawConfig } from '../api';
import { parseTransformChain } from '../transforms';
import { chooseConverter, createConverter } from './converter-config';
import { ErrorHandler } from './error-handler';
import { parseErrorPolicy } from './error-policy';
import { DefaultSinkPipeline } from './sink-pipeline';
import { DefaultSourcePipeline, type PipelineParts } from './source-pipeline';
import type { ConfigIssue, PipelineContext, SinkPipeline, SourcePipeline, WorkerConverterDefaults } from './types';

function buildParts(raw: RawConfig, defaults: WorkerConverterDefaults, ctx: PipelineContext): PipelineParts {
  const issues: ConfigIssue[] = [];
  const key = chooseConverter(raw, defaults, 'key', issues);
  const value = chooseConverter(raw, defaults, 'value', issues);
  const header = chooseConverter(raw, defaults, 'header', issues);
  const chain = parseTransformChain(raw);
  issues.push(...chain.issues);
  const { policy, issues: policyIssues } = parseErrorPolicy(raw);
  issues.push(...policyIssues);
  if (issues.length > 0) throw new ConfigError(issues, `Invalid pipeline configuration for connector ${ctx.connector}`);
  return {
    steps: chain.steps,
    key: createConverter(key),
    value: createConverter(value),
    header: createConverter(header),
    classNames: { key: key.className, value: value.className, header: header.className },
    errors: new ErrorHandler(policy, ctx),
    ctx,
  };
}

/** The source side of a task's pipeline. Throws ConfigError listing every bad key; does no I/O. */
export function createSourcePipeline(
  raw: RawConfig,
  defaults: WorkerConverterDefaults,
  ctx: PipelineContext,
): Promise<SourcePipeline> {
  // The executor's throw (a ConfigError) becomes the rejection.
  return new Promise((resolve) => resolve(new DefaultSourcePipeline(buildParts(raw, defaults, ctx))));
}

/** The sink side of a task's pipeline. Throws ConfigError listing every bad key; does no I/O. */
export function createSinkPipeline(
  raw: RawConfig,
  defaults: WorkerConverterDefaults,
  ctx: PipelineContext,
): Promise<SinkPipeline> {
  // The executor's throw (a ConfigError) becomes the rejection.
  return new Promise((resolve) =>
    resolve(new DefaultSinkPipeline(buildParts(raw, defaults, ctx), raw['connector.class'] ?? ctx.connector)),
  );
}
