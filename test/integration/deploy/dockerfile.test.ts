import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, enginesNodeMajor, readRepoFile } from './tools';

/**
 * No Docker engine exists in CI, so the image is never built there: these checks read the Dockerfile's structure
 * (stages, base images, user, health check, signals) and that everything it copies is in the build context.
 */

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions with continuation lines joined and comments dropped, grouped by FROM; ARG defaults substituted. */
function parseDockerfile(text: string): { stages: Stage[]; globalArgs: Record<string, string> } {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\w+)\s+(.*)$/s.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    const keyword = m[1].toUpperCase();
    const args = m[2].trim();
    if (keyword === 'FROM') {
      const [image = '', as, stageName] = args
        .replace(/\$\{(\w+)\}/g, (_, v: string) => globalArgs[v] ?? '')
        .split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? stageName : undefined, instructions: [] });
    } else if (stages.length === 0 && keyword === 'ARG') {
      const [k, v = ''] = args.split('=');
      if (k) globalArgs[k] = v;
    } else {
      stages[stages.length - 1]?.instructions.push({ keyword, args });
    }
  }
  return { stages, globalArgs };
}

/** Source paths of COPY/ADD from the build context (not --from another stage). */
function contextSources(stage: Stage): string[] {
  return stage.instructions
    .filter((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !/--from=/.test(i.args))
    .flatMap((i) => {
      const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      return words.slice(0, -1).map((w) => w.replace(/^\.\//, '').replace(/\/$/, ''));
    });
}

/** True when a literal .dockerignore entry (no globs used for these paths) removes `src` from the context. */
function ignored(src: string, patterns: string[]): boolean {
  return patterns.some((p) => !/[*?[]/.test(p) && (src === p || src.startsWith(`${p}/`)));
}

describe('Dockerfile (deploy/docker)', () => {
  const { stages } = parseDockerfile(readRepoFile('deploy/docker/Dockerfile'));
  const build = stages[0];
  const runtime = stages[stages.length - 1];
  const last = (stage: Stage | undefined, keyword: string): string | undefined =>
    stage?.instructions.filter((i) => i.keyword === keyword).pop()?.args;
  const runs = (stage: Stage | undefined): string =>
    (stage?.instructions ?? [])
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join('\n');

  it('is multi-stage on the Debian slim image of the Node major in package.json engines', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const major = enginesNodeMajor();
    for (const stage of stages) expect(stage.image).toBe(`node:${major}-bookworm-slim`);
  });

  it('compiles in the build stage and keeps only production dependencies', () => {
    expect(runs(build)).toMatch(/npm ci\b/);
    expect(runs(build)).toMatch(/tsc -p tsconfig\.build\.json/);
    expect(runs(build)).toMatch(/npm prune --omit=dev/);
    expect(runs(build)).toMatch(/python3/);
    // The runtime stage takes the pruned node_modules and dist from the build stage and has no compiler.
    const fromBuild = runtime?.instructions.filter(
      (i) => i.keyword === 'COPY' && i.args.includes(`--from=${build?.name}`),
    );
    expect(fromBuild?.map((i) => i.args).join('\n')).toMatch(/node_modules[\s\S]*dist|dist[\s\S]*node_modules/);
    expect(runs(runtime)).not.toMatch(/\b(g\+\+|make|npm ci|npm install)\b/);
  });

  it('runs as a non-root user, with a health check on /health, port 8083 and SIGTERM through tini', () => {
    const user = last(runtime, 'USER');
    expect(user).toBeDefined();
    expect(String(user).split(':')[0]).not.toMatch(/^(root|0)$/);
    expect(last(runtime, 'HEALTHCHECK')).toMatch(/\/health\b/);
    expect(last(runtime, 'EXPOSE')).toMatch(/\b8083\b/);
    expect(last(runtime, 'STOPSIGNAL')).toBe('SIGTERM');
    expect(last(runtime, 'ENTRYPOINT')).toMatch(/tini/);
    expect(runs(runtime)).toMatch(/\btini\b/);
  });

  it('copies only files that exist and that .dockerignore leaves in the build context', () => {
    const patterns = readRepoFile('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    // A local node_modules or dist (built for this machine) must never reach the image.
    expect(patterns).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
    const sources = stages.flatMap(contextSources);
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'runtime', 'bin']));
    for (const src of sources) {
      expect({ src, exists: existsSync(path.join(REPO_ROOT, src)), ignored: ignored(src, patterns) }).toEqual({
        src,
        exists: true,
        ignored: false,
      });
    }
  });

  it('has an executable POSIX-shell entrypoint that execs the worker', () => {
    const entrypoint = path.join(REPO_ROOT, 'deploy/docker/entrypoint.sh');
    expect(statSync(entrypoint).mode & 0o111).not.toBe(0);
    expect(spawnSync('sh', ['-n', entrypoint]).status).toBe(0);
    expect(readRepoFile('deploy/docker/entrypoint.sh')).toMatch(/^exec node \S*bin\/ferry\.js "\$@"$/m);
  });
});
