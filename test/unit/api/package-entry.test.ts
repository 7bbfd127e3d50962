import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A plugin author imports the package by name: its `main` and `types` must name files the build emits. */
const root = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string; types?: string };

/** The TypeScript source the build compiles to a dist/ path (tsconfig: rootDir ".", outDir "dist"). */
function sourceOf(distPath: string): string {
  return join(root, distPath.replace(/^dist\//, '').replace(/\.d\.ts$|\.js$/, '.ts'));
}

describe('package entry points', () => {
  it('main is built from a source file that exists, the plugin API', () => {
    expect(pkg.main).toMatch(/^dist\/.+\.js$/);
    expect(existsSync(sourceOf(pkg.main))).toBe(true);
    expect(sourceOf(pkg.main)).toBe(join(root, 'runtime', 'api', 'index.ts'));
  });

  it('types names the declarations of the same module', () => {
    expect(pkg.types).toBe(pkg.main.replace(/\.js$/, '.d.ts'));
  });
});
