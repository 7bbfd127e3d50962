/**
 * A subset of Java's SimpleDateFormat, always in UTC as Connect's TimestampConverter and TimestampRouter use it:
 * y, M, d, H, h, m, s, S, a, E(EE/EEE), X/XX/XXX, Z and quoted literals.
 */
export interface DateFormat {
  format(date: Date): string;
  /** Parses text matching the whole pattern; throws on mismatch. */
  parse(text: string): Date;
}

type Token = { kind: 'literal'; text: string } | { kind: 'field'; letter: string; width: number };

const SUPPORTED = new Set(['y', 'M', 'd', 'H', 'h', 'm', 's', 'S', 'a', 'E', 'X', 'Z']);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in date format '${pattern}'`);
      tokens.push({ kind: 'literal', text: end === i + 1 ? "'" : pattern.slice(i + 1, end) });
      i = end + 1;
    } else if (/[A-Za-z]/.test(c)) {
      if (!SUPPORTED.has(c)) throw new Error(`unsupported pattern letter '${c}' in date format '${pattern}'`);
      let j = i;
      while (pattern[j] === c) j++;
      tokens.push({ kind: 'field', letter: c, width: j - i });
      i = j;
    } else {
      tokens.push({ kind: 'literal', text: c });
      i++;
    }
  }
  return tokens;
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** Compiles a pattern; throws an Error describing what is wrong with it. */
export function compileDateFormat(pattern: string): DateFormat {
  const tokens = tokenize(pattern);
  const parts: string[] = [];
  const setters: ((v: string, t: Parts) => void)[] = [];
  for (const t of tokens) {
    if (t.kind === 'literal') {
      parts.push(t.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      continue;
    }
    const { letter, width } = t;
    const num = (min: number, max: number): string => `(\\d{${min},${max}})`;
    switch (letter) {
      case 'y':
        parts.push(width === 2 ? num(2, 2) : num(Math.max(width, 1), 9));
        setters.push((v, p) => (p.y = width === 2 ? 2000 + Number(v) : Number(v)));
        break;
      case 'M':
        if (width >= 3) {
          parts.push(`(${MONTHS.join('|')})`);
          setters.push((v, p) => (p.M = MONTHS.indexOf(v) + 1));
        } else {
          parts.push(num(width, 2));
          setters.push((v, p) => (p.M = Number(v)));
        }
        break;
      case 'd':
        parts.push(num(width, 2));
        setters.push((v, p) => (p.d = Number(v)));
        break;
      case 'H':
        parts.push(num(width, 2));
        setters.push((v, p) => (p.H = Number(v)));
        break;
      case 'h':
        parts.push(num(width, 2));
        setters.push((v, p) => (p.h = Number(v)));
        break;
      case 'm':
        parts.push(num(width, 2));
        setters.push((v, p) => (p.m = Number(v)));
        break;
      case 's':
        parts.push(num(width, 2));
        setters.push((v, p) => (p.s = Number(v)));
        break;
      case 'S':
        parts.push(num(width, Math.max(width, 3)));
        setters.push((v, p) => (p.S = Number(v)));
        break;
      case 'a':
        parts.push('(AM|PM)');
        setters.push((v, p) => (p.pm = v === 'PM'));
        break;
      case 'E':
        parts.push(`(${DAYS.join('|')})`);
        setters.push(() => undefined);
        break;
      case 'X':
      case 'Z':
        parts.push('(Z|[+-]\\d{2}(?::?\\d{2})?)');
        setters.push((v, p) => {
          if (v === 'Z') return;
          const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(v);
          if (m) p.offsetMin = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
        });
        break;
    }
  }
  const re = new RegExp(`^${parts.join('')}$`);

  return {
    format(date: Date): string {
      if (Number.isNaN(date.getTime())) throw new Error('invalid date');
      return tokens
        .map((t) => {
          if (t.kind === 'literal') return t.text;
          const w = t.width;
          switch (t.letter) {
            case 'y':
              return w === 2 ? pad(date.getUTCFullYear() % 100, 2) : pad(date.getUTCFullYear(), w);
            case 'M':
              return w >= 3 ? (MONTHS[date.getUTCMonth()] as string) : pad(date.getUTCMonth() + 1, w);
            case 'd':
              return pad(date.getUTCDate(), w);
            case 'H':
              return pad(date.getUTCHours(), w);
            case 'h':
              return pad(date.getUTCHours() % 12 === 0 ? 12 : date.getUTCHours() % 12, w);
            case 'm':
              return pad(date.getUTCMinutes(), w);
            case 's':
              return pad(date.getUTCSeconds(), w);
            case 'S':
              return pad(date.getUTCMilliseconds(), w);
            case 'a':
              return date.getUTCHours() < 12 ? 'AM' : 'PM';
            case 'E':
              return DAYS[date.getUTCDay()] as string;
            case 'X':
              return 'Z';
            default:
              return '+0000';
          }
        })
        .join('');
    },
    parse(text: string): Date {
      const m = re.exec(text);
      if (!m) throw new Error(`value does not match the date format '${pattern}'`);
      const p: Parts = { y: 1970, M: 1, d: 1, H: 0, m: 0, s: 0, S: 0, offsetMin: 0 };
      setters.forEach((set, i) => set(m[i + 1] as string, p));
      const hour = p.h !== undefined ? (p.h % 12) + (p.pm ? 12 : 0) : p.H;
      const ms = Date.UTC(p.y, p.M - 1, p.d, hour, p.m, p.s, p.S) - p.offsetMin * 60_000;
      return new Date(ms);
    },
  };
}

interface Parts {
  y: number;
  M: number;
  d: number;
  H: number;
  h?: number;
  pm?: boolean;
  m: number;
  s: number;
  S: number;
  offsetMin: number;
}
