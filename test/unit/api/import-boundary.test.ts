import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Every relative module a file imports or re-exports, resolved against the repository root. */
function relativeImports(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1] ?? '');
  return specs.filter((s) => s.startsWith('.')).map((s) => path.join(path.dirname(file), s));
}

describe('module boundaries', () => {
  it('connectors import nothing from the runtime but runtime/api', () => {
    const bad = sources('connectors').flatMap((f) =>
      relativeImports(f)
        .filter((target) => target.startsWith('runtime') && target !== path.join('runtime', 'api'))
        .map((target) => `${f} → ${target}`),
    );
    expect(bad).toEqual([]);
  });

  it('runtime/api imports nothing else from the runtime', () => {
    const bad = sources(path.join('runtime', 'api')).flatMap((f) =>
      relativeImports(f)
        .filter((target) => !target.startsWith(path.join('runtime', 'api')))
        .map((target) => `${f} → ${target}`),
    );
    expect(bad).toEqual([]);
  });
});
