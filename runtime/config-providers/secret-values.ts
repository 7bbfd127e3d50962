/**
 * Every value a config provider has put into a config in this process. Anything that leaves the worker (REST
 * answers, status traces, log lines, dead-letter headers) is passed through `scrubResolved` so that a resolved
 * secret an error message happened to quote is replaced by `[hidden]` there.
 *
 * Process-wide on purpose: the values reach error messages in code that never sees the config they came from
 * (a connector's exception, a converter's failure), so the scrubber cannot be handed down with the config.
 */
const HIDDEN = '[hidden]';

/**
 * Shorter values are not remembered: scrubbing every "1" or "on" out of every log line would make the logs
 * unreadable, and a value that short is no secret worth the name.
 */
export const MIN_SCRUBBED_LENGTH = 4;

/** A quote of this many characters of a value counts as a quote of the value (error messages quote snippets). */
const QUOTE_WINDOW = 8;
/** Beyond this, only the start of a long value is checked for partial quotes (parsers quote from the start). */
const QUOTE_SCAN_CHARS = 1024;

const remembered = new Set<string>();
/** Longest first, so a value that contains another is replaced whole. */
let ordered: string[] = [];

/** Remembers a value a provider resolved (and its JSON-escaped form, as log lines carry it). */
export function rememberResolved(value: string): void {
  if (value.length < MIN_SCRUBBED_LENGTH || remembered.has(value)) return;
  remembered.add(value);
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) remembered.add(escaped);
  ordered = [...remembered].sort((a, b) => b.length - a.length);
}

/**
 * `text` with every remembered value replaced by `[hidden]`, and every quote of part of one (at least
 * QUOTE_WINDOW characters: a parser's error quotes a snippet, "Unexpected token … in "root:x:0:0:"…") too.
 */
export function scrubResolved(text: string): string {
  if (ordered.length === 0) return text;
  let out = text;
  for (const v of ordered) if (out.includes(v)) out = out.split(v).join(HIDDEN);
  for (const v of ordered) {
    if (v.length < QUOTE_WINDOW) continue;
    const end = Math.min(v.length, QUOTE_SCAN_CHARS) - QUOTE_WINDOW;
    for (let i = 0; i <= end; i++) {
      const window = v.slice(i, i + QUOTE_WINDOW);
      let at = out.indexOf(window);
      while (at >= 0) {
        // Extend the quote as far as it follows the value, then hide all of it.
        let len = QUOTE_WINDOW;
        while (i + len < v.length && out[at + len] === v[i + len]) len++;
        out = out.slice(0, at) + HIDDEN + out.slice(at + len);
        at = out.indexOf(window, at + HIDDEN.length);
      }
    }
  }
  return out;
}

/** Forgets everything (tests). */
export function forgetResolved(): void {
  remembered.clear();
  ordered = [];
}

/** A status trace without resolved values (null stays null). */
export function scrubTrace(trace: string | null): string | null {
  return trace === null ? null : scrubResolved(trace);
}
