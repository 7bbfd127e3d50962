import { readFileSync } from 'node:fs';
import path from 'node:path';

function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(__dirname, rel), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ferry' && pkg.version) return pkg.version;
    } catch {
      /* try the next location: sources run from runtime/, builds from dist/runtime/ */
    }
  }
  return '0.0.0';
}

/** Ferry's version, from package.json. */
export const VERSION = readVersion();
