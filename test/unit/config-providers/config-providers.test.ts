import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../runtime/api';
import {
  ConfigProviders,
  forgetResolved,
  hasPlaceholders,
  parseProperties,
  scrubResolved,
  type ConfigProviderPolicy,
} from '../../../runtime/config-providers';

/** The issues a rejected resolve names, or [] when it resolved. */
async function issuesOf(p: ConfigProviders, raw: Record<string, string>): Promise<{ key: string; message: string }[]> {
  try {
    await p.resolve(raw);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.map((i) => ({ key: i.key, message: i.message }));
  }
}

describe('config providers', () => {
  let dir: string;
  let allowed: string;
  let policy: ConfigProviderPolicy;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-cp-'));
    allowed = join(dir, 'allowed');
    mkdirSync(allowed);
    writeFileSync(join(allowed, 'secrets.properties'), '# c\nmqtt.password=s3cr3t-pw\nuser: alice\nlong = a \\\n  b\n');
    writeFileSync(
      join(allowed, 'secrets.json'),
      JSON.stringify({ token: 'tok-1234', db: { password: 'dbpw' }, port: 1883 }),
    );
    writeFileSync(join(dir, 'outside.properties'), 'k=outside-secret\n');
    symlinkSync(join(dir, 'outside.properties'), join(allowed, 'link.properties'));
    writeFileSync(join(allowed, 'big.properties'), `k=${'x'.repeat(2000)}\n`);
    execFileSync('mkfifo', [join(allowed, 'fifo.properties')]);
    policy = { fileAllowedPaths: [allowed], envAllowedNames: ['FERRY_TEST_HOST', 'APP_*'], maxFileBytes: 1000 };
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    forgetResolved();
  });

  it('resolves env and file placeholders inside the allow-lists', async () => {
    const p = new ConfigProviders(policy, { FERRY_TEST_HOST: '127.0.0.1', APP_USER: 'bob' });
    const out = await p.resolve({
      'mqtt.password': `\${file:${join(allowed, 'secrets.properties')}:mqtt.password}`,
      'mqtt.username': `\${file:${join(allowed, 'secrets.properties')}:user}`,
      token: `Bearer \${file:${join(allowed, 'secrets.json')}:token}`,
      nested: `\${file:${join(allowed, 'secrets.json')}:db.password}`,
      port: `\${file:${join(allowed, 'secrets.json')}:port}`,
      url: 'mqtt://${env:FERRY_TEST_HOST}:1884',
      user: '${env:APP_USER}',
      plain: 'no placeholder',
      other: '${vault:x}',
    });
    expect(out).toEqual({
      'mqtt.password': 's3cr3t-pw',
      'mqtt.username': 'alice',
      token: 'Bearer tok-1234',
      nested: 'dbpw',
      port: '1883',
      url: 'mqtt://127.0.0.1:1884',
      user: 'bob',
      plain: 'no placeholder',
      other: '${vault:x}',
    });
  });

  it('reads nothing when no allow-list is set (the default)', async () => {
    const p = new ConfigProviders({ fileAllowedPaths: [], envAllowedNames: [] }, { HOME_SECRET: 'hs-value' });
    const issues = await issuesOf(p, { a: '${env:HOME_SECRET}', b: '${file:/etc/passwd:root}' });
    expect(issues.map((i) => i.key)).toEqual(['a', 'b']);
    expect(issues[0]?.message).toMatch(/env placeholders are off/);
    expect(issues[1]?.message).toMatch(/file placeholders are off/);
  });

  it('refuses variables and files outside the lists, links and .. included, the same way whether they exist', async () => {
    const p = new ConfigProviders(policy, { SECRET: 'x-secret-x', APPX: 'no' });
    const issues = await issuesOf(p, {
      a: '${env:SECRET}',
      b: '${env:NOT_SET_AT_ALL}',
      c: '${env:APPX}',
      d: `\${file:${join(dir, 'outside.properties')}:k}`,
      e: `\${file:${join(allowed, '..', 'outside.properties')}:k}`,
      f: `\${file:${join(allowed, 'link.properties')}:k}`,
      g: '${file:/nonexistent/x.properties:k}',
      h: '${file:relative/x.properties:k}',
    });
    expect(issues.map((i) => i.key)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect(issues[0]?.message).toBe("environment variable 'SECRET' is not in config.providers.env.allowed.names");
    expect(issues[1]?.message).toBe(
      "environment variable 'NOT_SET_AT_ALL' is not in config.providers.env.allowed.names",
    );
    for (const i of issues.slice(3)) expect(i.message).toMatch(/is not inside config.providers.file.allowed.paths/);
    expect(JSON.stringify(issues)).not.toMatch(/outside-secret|x-secret-x/);
  });

  it('refuses FIFOs, devices, folders and files over the cap without reading them', async () => {
    const p = new ConfigProviders({ ...policy, fileAllowedPaths: [allowed, '/dev/zero'] });
    const issues = await issuesOf(p, {
      fifo: `\${file:${join(allowed, 'fifo.properties')}:k}`,
      zero: '${file:/dev/zero:k}',
      folder: `\${file:${allowed}:k}`,
      big: `\${file:${join(allowed, 'big.properties')}:k}`,
    });
    expect(issues).toEqual([
      { key: 'fifo', message: `'${join(allowed, 'fifo.properties')}' is not a regular file` },
      { key: 'zero', message: "'/dev/zero' is not a regular file" },
      { key: 'folder', message: `'${allowed}' is not a regular file` },
      { key: 'big', message: `file '${join(allowed, 'big.properties')}' is larger than 1000 bytes` },
    ]);
  });

  it('names every key it cannot resolve, without revealing values or content', async () => {
    const p = new ConfigProviders(policy, {});
    writeFileSync(join(allowed, 'broken.json'), '{"token": "tok-abcdefgh", oops');
    const issues = await issuesOf(p, {
      a: '${env:FERRY_TEST_HOST}',
      b: `\${file:${join(allowed, 'none.properties')}:k}`,
      c: `\${file:${join(allowed, 'secrets.properties')}:missing}`,
      d: `\${file:${join(allowed, 'broken.json')}:token}`,
      j: `\${file:${join(allowed, 'secrets.json')}:constructor}`,
      ok: `\${file:${join(allowed, 'secrets.properties')}:mqtt.password}`,
    });
    expect(issues.map((i) => i.key)).toEqual(['a', 'b', 'c', 'd', 'j']);
    expect(issues[0]?.message).toMatch(/'FERRY_TEST_HOST' is not set/);
    expect(issues[1]?.message).toMatch(/does not exist/);
    expect(issues[2]?.message).toMatch(/'missing' not found/);
    expect(issues[3]?.message).toMatch(/is not valid JSON$/);
    expect(JSON.stringify(issues)).not.toMatch(/s3cr3t|tok-abc|oops/);
  });

  it('remembers what it resolved, so output paths can scrub it, quoted whole or in part', async () => {
    const p = new ConfigProviders(policy, { APP_PW: 'pa"ss-word-0123' });
    await p.resolve({ pw: '${env:APP_PW}' });
    expect(scrubResolved('failed: pa"ss-word-0123!')).toBe('failed: [hidden]!');
    expect(scrubResolved('{"msg":"pa\\"ss-word-0123"}')).toBe('{"msg":"[hidden]"}');
    expect(scrubResolved('Unexpected token in <ss-word-01>... is not valid')).toBe(
      'Unexpected token in <[hidden]>... is not valid',
    );
    expect(scrubResolved('nothing to hide')).toBe('nothing to hide');
  });

  it('detects placeholders', () => {
    expect(hasPlaceholders('${env:X}')).toBe(true);
    expect(hasPlaceholders('a ${file:/p:k} b')).toBe(true);
    expect(hasPlaceholders('${vault:x}')).toBe(false);
    expect(hasPlaceholders('plain $ {env:X}')).toBe(false);
  });

  it('parses Java properties', () => {
    const p = parseProperties('a=1\nb : 2\nc 3\n! bang\nd=x\\\n   y\ne=\\u0041\\tB\n');
    expect(Object.fromEntries(p)).toEqual({ a: '1', b: '2', c: '3', d: 'xy', e: 'A\tB' });
  });
});
