import { readFileSync, writeFileSync } from 'node:fs';
import { aroundText, paramText, type RowResult } from './verdict';

const START = '<!-- chaos-table:start -->';
const END = '<!-- chaos-table:end -->';

function cell(r: RowResult): string[] {
  const c = r.counts;
  const params = paramText(r.params);
  if (!c) return [r.row, params, '–', '–', '–', '–', '–', '–', `error: ${r.error ?? ''}`.replace(/\|/g, '\\|')];
  const lost = c.lostAckedAroundKillMs
    ? `${c.lost} (acked ${aroundText(c.lostAckedAroundKillMs)} from a broker kill; ${c.lostInBrokerSaveWindow} in its save window)`
    : String(c.lost);
  return [
    r.row,
    params,
    `${c.acked}`,
    lost,
    `${c.duplicates}`,
    `${c.orderViolations}`,
    c.maxStopMs === null ? '–' : `${(c.maxStopMs / 1000).toFixed(1)} s`,
    `${c.slowStops}`,
    [...r.notes, ...(r.error ? [`error: ${r.error}`] : [])].join('; ').replace(/\|/g, '\\|').slice(0, 300),
  ];
}

/** The results as a Markdown table (Prettier aligns it when the docs are formatted). */
export function table(results: readonly RowResult[], heading: string): string {
  const head = ['row', 'parameters', 'acked', 'lost', 'duplicates', 'order', 'longest stop', 'slow stops', 'notes'];
  const rows = [head, head.map(() => '---'), ...results.map(cell)];
  return [heading, '', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Replaces the generated section of `doc` (between the chaos-table markers) and formats the file with Prettier. */
export async function updateDoc(doc: string, results: readonly RowResult[], heading: string): Promise<void> {
  const text = readFileSync(doc, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${doc} has no ${START} … ${END} section`);
  const next = `${text.slice(0, a + START.length)}\n\n${table(results, heading)}\n\n${text.slice(b)}`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Prettier is a dev tool, loaded only here
  const prettier = require('prettier') as typeof import('prettier');
  const options = (await prettier.resolveConfig(doc)) ?? {};
  writeFileSync(doc, await prettier.format(next, { ...options, filepath: doc }));
}
