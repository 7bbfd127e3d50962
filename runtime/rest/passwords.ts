import { createRequire } from 'node:module';
import { scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashes of an htpasswd-style file. bcrypt is what `htpasswd -B` writes; scrypt is for operators who want a
 * hash Node checks natively (`ferry hash-password` writes one). Other htpasswd formats (MD5 `$apr1$`, `{SHA}`, crypt)
 * are too weak to accept.
 *
 * Ferry's scrypt line: `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt, base64>$<hash, base64>`.
 */
export type PasswordHash =
  | { readonly kind: 'bcrypt'; readonly hash: string }
  | {
      readonly kind: 'scrypt';
      readonly logN: number;
      readonly r: number;
      readonly p: number;
      readonly salt: Buffer;
      readonly key: Buffer;
    };

const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const SCRYPT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** Parses one hash, or returns why it is refused (the hash itself is never part of the reason). */
export function parsePasswordHash(text: string): PasswordHash | string {
  const b = BCRYPT.exec(text);
  if (b) {
    const cost = Number(b[1]);
    if (cost < 4 || cost > 31) return `bcrypt cost ${cost} is outside 4..31`;
    return { kind: 'bcrypt', hash: text };
  }
  const s = SCRYPT.exec(text);
  if (s) {
    const [logN, r, p] = [Number(s[1]), Number(s[2]), Number(s[3])];
    const salt = Buffer.from(s[4]!, 'base64');
    const key = Buffer.from(s[5]!, 'base64');
    if (logN < 10 || logN > 20) return `scrypt ln=${logN} is outside 10..20`;
    if (r < 1 || p < 1) return 'scrypt r and p must be at least 1';
    if (salt.length < 8 || key.length < 16) return 'scrypt salt (≥ 8 bytes) or hash (≥ 16 bytes) too short';
    return { kind: 'scrypt', logN, r, p, salt, key };
  }
  if (text.startsWith('$apr1$') || text.startsWith('{SHA}') || text.startsWith('$1$'))
    return 'MD5 and SHA-1 htpasswd hashes are not accepted; use bcrypt (htpasswd -B) or scrypt (ferry hash-password)';
  return 'not a bcrypt ($2y$/$2b$) or scrypt ($scrypt$) hash';
}

function scryptAsync(password: string, salt: Buffer, keylen: number, logN: number, r: number, p: number) {
  const N = 2 ** logN;
  // Node's default memory cap (32 MiB) refuses ln=15,r=8 and up; allow what the parameters need, with headroom.
  const maxmem = 256 * N * r + 1024 * 1024;
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, keylen, { N, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

interface Bcrypt {
  compare(password: string, hash: string): Promise<boolean>;
  hash(password: string, rounds: number): Promise<string>;
}

let bcrypt: Bcrypt | undefined;
/** Loaded on the first bcrypt check only: a worker without Basic authentication never needs it. */
function bcryptModule(): Bcrypt {
  bcrypt ??= createRequire(__filename)('bcryptjs') as Bcrypt;
  return bcrypt;
}

/** Checks a password against a hash; the comparison of derived keys takes the same time wherever they differ. */
export async function verifyPassword(hash: PasswordHash, password: string): Promise<boolean> {
  if (hash.kind === 'bcrypt') {
    // bcryptjs understands $2a$ and $2b$; $2y$ (PHP's and htpasswd's name) is the same algorithm.
    return bcryptModule().compare(password, hash.hash.replace(/^\$2y\$/, '$2b$'));
  }
  const derived = await scryptAsync(password, hash.salt, hash.key.length, hash.logN, hash.r, hash.p);
  return timingSafeEqual(derived, hash.key);
}

/** An scrypt line for an htpasswd-style file (N = 2^15, r = 8, p = 1: about 32 MiB and tens of ms per check). */
export async function hashPasswordScrypt(password: string, salt: Buffer, logN = 15): Promise<string> {
  const key = await scryptAsync(password, salt, 32, logN, 8, 1);
  return `$scrypt$ln=${logN},r=8,p=1$${salt.toString('base64')}$${key.toString('base64')}`;
}
