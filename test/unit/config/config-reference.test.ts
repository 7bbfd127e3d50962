import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderConfigReference } from '../../../runtime/config';
import { builtinPlugins } from '../../../runtime/builtins';
import { pipelineConfigKeys, validatePipelineConfig } from '../../../runtime/pipeline';
import workerSchema from '../../../schemas/json/worker-config.schema.json';

const DOC = path.join(__dirname, '..', '..', '..', 'docs', 'config-reference.md');

describe('docs/config-reference.md', () => {
  const generated = renderConfigReference(workerSchema, builtinPlugins, {
    validatePipelineConfig,
    pipelineConfigKeys,
  });

  it('is what the JSON Schemas say (regenerate with UPDATE_DOCS=1 npx jest config-reference)', () => {
    if (process.env.UPDATE_DOCS === '1') writeFileSync(DOC, generated);
    expect(readFileSync(DOC, 'utf8')).toBe(generated);
  });

  it('lists every worker key and every key of the built-in connectors', () => {
    for (const key of Object.keys(workerSchema.properties)) expect(generated).toContain(`| \`${key}\` |`);
    for (const key of [
      'mqtt.server.uri',
      'mqtt.topics',
      'kafka.topic',
      'mqtt.topic',
      'mqtt.payload.format',
      'errors.tolerance',
    ])
      expect(generated).toContain(`| \`${key}\` |`);
    expect(generated).toMatch(/\| `mqtt\.password` \| PASSWORD \|/);
  });
});
