import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../runtime/api';
import { hasPlaceholders, parseProperties, resolveConfigProviders } from '../../../runtime/config-providers';

describe('config providers', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-cp-'));
    writeFileSync(join(dir, 'secrets.properties'), '# comment\nmqtt.password=s3cr3t\nuser: alice\nlong = a \\\n  b\n');
    writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ token: 'tok', db: { password: 'dbpw' }, port: 1883 }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves env and file placeholders anywhere in values', () => {
    const out = resolveConfigProviders(
      {
        'mqtt.password': `\${file:${join(dir, 'secrets.properties')}:mqtt.password}`,
        'mqtt.username': `\${file:${join(dir, 'secrets.properties')}:user}`,
        token: `Bearer \${file:${join(dir, 'secrets.json')}:token}`,
        nested: `\${file:${join(dir, 'secrets.json')}:db.password}`,
        port: `\${file:${join(dir, 'secrets.json')}:port}`,
        url: 'mqtt://${env:FERRY_TEST_HOST}:1884',
        plain: 'no placeholder',
        other: '${vault:x}',
      },
      { FERRY_TEST_HOST: '127.0.0.1' },
    );
    expect(out).toEqual({
      'mqtt.password': 's3cr3t',
      'mqtt.username': 'alice',
      token: 'Bearer tok',
      nested: 'dbpw',
      port: '1883',
      url: 'mqtt://127.0.0.1:1884',
      plain: 'no placeholder',
      other: '${vault:x}',
    });
  });

  it('names every key it cannot resolve, without revealing values', () => {
    let err: unknown;
    try {
      resolveConfigProviders(
        {
          a: '${env:FERRY_NOPE_VAR}',
          b: '${file:/nonexistent/x.properties:k}',
          c: `\${file:${join(dir, 'secrets.properties')}:missing}`,
          ok: `\${file:${join(dir, 'secrets.properties')}:mqtt.password}`,
        },
        {},
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues.map((i) => i.key)).toEqual(['a', 'b', 'c']);
    expect(issues[0]?.message).toMatch(/FERRY_NOPE_VAR/);
    expect(issues[1]?.message).toMatch(/does not exist/);
    expect(issues[2]?.message).toMatch(/'missing' not found/);
    expect((err as Error).message).not.toContain('s3cr3t');
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
