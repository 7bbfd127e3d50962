import type { ConnectRecord, Field } from '../api';
import type { SettingsReader, TransformDefinition, Transformation } from './types';
import { SchemaCache, reshapeSide, sideNames, structLike, type Side } from './util';

class ReplaceField implements Transformation {
  private readonly cache = new SchemaCache();
  private readonly exclude: Set<string>;
  private readonly include: Set<string>;
  private readonly renames = new Map<string, string>();

  constructor(
    private readonly side: Side,
    settings: SettingsReader,
  ) {
    // `blacklist`/`whitelist` are the pre-2.6 names Connect still accepts.
    this.exclude = new Set([...settings.list('exclude'), ...settings.list('blacklist')]);
    this.include = new Set([...settings.list('include'), ...settings.list('whitelist')]);
    for (const pair of settings.list('renames')) {
      const [from, to, ...rest] = pair.split(':');
      if (from === undefined || to === undefined || from === '' || to === '' || rest.length > 0) {
        settings.issue('renames', `'${pair}' is not old:new`);
      } else {
        this.renames.set(from, to);
      }
    }
  }

  private keep(name: string): boolean {
    return !this.exclude.has(name) && (this.include.size === 0 || this.include.has(name));
  }

  private renamed(name: string): string {
    return this.renames.get(name) ?? name;
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    return reshapeSide(record, this.side, 'field replacement', this.cache, {
      map: (src) => {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(src)) if (this.keep(k)) out[this.renamed(k)] = v;
        return out;
      },
      schema: (s) =>
        structLike(
          s,
          (s.fields ?? [])
            .filter((f) => this.keep(f.name))
            .map((f): Field => ({ name: this.renamed(f.name), schema: f.schema })),
        ),
      struct: (src, schema) => {
        const out: Record<string, unknown> = {};
        for (const f of schema.fields ?? []) if (this.keep(f.name)) out[this.renamed(f.name)] = src[f.name];
        return out;
      },
    });
  }
}

const configKeys = {
  exclude: { type: 'array', items: { type: 'string' }, description: 'Fields to drop.', default: [] },
  include: { type: 'array', items: { type: 'string' }, description: 'Fields to keep (all if empty).', default: [] },
  renames: { type: 'array', items: { type: 'string' }, description: 'Renames as old:new pairs.', default: [] },
} as const;

export const replaceFieldDefinitions: TransformDefinition[] = (['key', 'value'] as const).map((side) => ({
  ...sideNames('ReplaceField', side),
  description: `Drops, keeps or renames fields of the record ${side}.`,
  configKeys,
  create: (settings) => new ReplaceField(side, settings),
}));
