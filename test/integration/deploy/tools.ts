import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Offline tools for checking the deployment artifacts: Debian's docker-compose 1.29 (`config` needs no Docker
 * engine) and a Python with PyYAML to read YAML (no YAML library is among the npm dependencies). Both come with
 * `apt-get install -y --no-install-recommends docker-compose` (python3-yaml is one of its dependencies). When one
 * is missing the tests fail with that instruction instead of being skipped: a skipped check looks like a pass.
 */

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const INSTALL_HINT =
  'install it with `apt-get install -y --no-install-recommends docker-compose` (Debian; brings python3-yaml too)';

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: readonly string[], input?: string): RunResult | undefined {
  const res = spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8', input, timeout: 60_000 });
  if (res.error) {
    if ((res.error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw res.error;
  }
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** Runs docker-compose; throws a clear error when the binary is not installed. */
export function dockerCompose(args: readonly string[]): RunResult {
  const res = run('docker-compose', args);
  if (!res) throw new Error(`docker-compose is not installed: ${INSTALL_HINT}`);
  return res;
}

let python: string | undefined;

/** The first python3 that can import yaml. Debian's own interpreter first: python3-yaml installs there. */
function pythonWithYaml(): string {
  if (python) return python;
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    if (candidate.startsWith('/') && !existsSync(candidate)) continue;
    const res = run(candidate, ['-c', 'import yaml']);
    if (res?.status === 0) {
      python = candidate;
      return candidate;
    }
  }
  throw new Error(`no python3 with PyYAML (module yaml) found: ${INSTALL_HINT}`);
}

// safe_load_all: plain data only (no tags that build objects); every document of a multi-document stream.
const YAML_TO_JSON =
  'import json, sys, yaml\n' + 'json.dump(list(yaml.safe_load_all(sys.stdin.read())), sys.stdout, default=str)\n';

/** Parses a YAML stream into its documents (empty documents are dropped). Throws on a syntax error. */
export function parseYaml(text: string, what: string): unknown[] {
  const res = run(pythonWithYaml(), ['-c', YAML_TO_JSON], text);
  if (!res || res.status !== 0) throw new Error(`${what} is not valid YAML: ${res?.stderr ?? ''}`);
  return (JSON.parse(res.stdout) as unknown[]).filter((doc) => doc !== null);
}

export function readRepoFile(relative: string): string {
  return readFileSync(path.join(REPO_ROOT, relative), 'utf8');
}

/** Narrows unknown JSON to an object, failing with the path when it is not one. */
export function obj(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where}: expected a mapping, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

export function arr(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${where}: expected a list, got ${JSON.stringify(value)}`);
  return value;
}

/** The Node.js major version package.json's engines field asks for (">=20.0.0" → 20). */
export function enginesNodeMajor(): number {
  const pkg = obj(JSON.parse(readRepoFile('package.json')), 'package.json');
  const range = obj(pkg.engines, 'package.json engines').node;
  const m = typeof range === 'string' ? /(\d+)/.exec(range) : null;
  if (!m?.[1]) throw new Error(`package.json engines.node has no version: ${JSON.stringify(range)}`);
  return Number(m[1]);
}
