import type { ConnectorPlugin } from '../api';
import { configKeyInfos } from './config-infos';
import type { PipelineHooks } from './types';

interface WorkerSchemaProperty {
  readonly type?: string;
  readonly default?: unknown;
  readonly description?: string;
  readonly 'x-env'?: string;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n+/g, ' ').trim();
}

function shown(v: unknown): string {
  if (v === undefined || v === null || v === '') return '';
  return `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;
}

/**
 * The configuration reference (docs/config-reference.md), generated from the same JSON Schemas that check the
 * configs — the worker's schema, the common and pipeline keys, and each built-in plugin's schema — so the document
 * cannot drift from what the worker accepts. A unit test compares it with the file (and rewrites it with UPDATE_DOCS=1).
 */
export function renderConfigReference(
  workerSchema: { properties: Readonly<Record<string, WorkerSchemaProperty>> },
  plugins: readonly ConnectorPlugin[],
  hooks: PipelineHooks,
): string {
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from the JSON Schemas the worker checks configs against. Do not edit: a test',
    '     fails when this file and the schemas disagree. Regenerate with `UPDATE_DOCS=1 npx jest config-reference`. -->',
    '',
    'How the worker and connector settings work together — environment variables, secrets, config providers — is',
    'explained in [configuration.md](configuration.md).',
    '',
    '## Worker',
    '',
    '| key | type | default | environment | description |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [key, p] of Object.entries(workerSchema.properties)) {
    out.push(
      `| \`${key}\` | ${p.type ?? ''} | ${shown(p.default)} | ${p['x-env'] ? `\`${p['x-env']}\`` : ''} | ${cell(p.description ?? '')} |`,
    );
  }
  for (const plugin of plugins) {
    out.push('', `## ${plugin.className} (${plugin.type})`, '');
    if (plugin.description) out.push(cell(plugin.description), '');
    if (plugin.aliases?.length) out.push(`Also accepted as: ${plugin.aliases.map((a) => `\`${a}\``).join(', ')}.`, '');
    const byGroup = new Map<string, ReturnType<typeof configKeyInfos>>();
    for (const info of configKeyInfos(plugin, hooks, 'all')) {
      const g = info.group ?? 'Other';
      byGroup.set(g, [...(byGroup.get(g) ?? []), info]);
    }
    for (const [group, infos] of byGroup) {
      out.push(
        `### ${group}`,
        '',
        '| key | type | default | importance | description |',
        '| --- | --- | --- | --- | --- |',
      );
      for (const i of infos) {
        const dflt = i.required ? '*required*' : shown(i.default_value);
        out.push(`| \`${i.name}\` | ${i.type} | ${dflt} | ${i.importance} | ${cell(i.documentation)} |`);
      }
      out.push('');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}
