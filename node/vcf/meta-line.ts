/**
 * Parse the value of a structured meta-information line
 * (`##INFO=<ID=DP,Number=1,Type=Integer,Description="...">`) strictly:
 * quoted values with `\"` escapes, no stray quote, every entry `key=value`.
 * @gmod/vcf's parser is deliberately lenient (it splits on commas and strips
 * quotes), so the vcf-validator's failed_meta_* vectors need this one.
 * Returns a problem description (no data) instead of throwing.
 */

export interface MetaEntry {
  readonly key: string;
  readonly value: string;
  readonly quoted: boolean;
}

export type MetaParse = { ok: true; entries: MetaEntry[] } | { ok: false; problem: string };

export function parseStructuredMeta(value: string): MetaParse {
  if (!value.startsWith('<') || !value.endsWith('>') || value.length < 2) {
    return { ok: false, problem: 'structured meta-information line is not closed with ">"' };
  }
  const s = value.slice(1, -1);
  const entries: MetaEntry[] = [];
  let i = 0;
  if (s.length === 0) return { ok: false, problem: 'structured meta-information line is empty' };
  while (i <= s.length) {
    const eq = indexOfAny(s, i, '=', ',');
    if (eq < 0 || s[eq] !== '=') return { ok: false, problem: 'meta-information entry is not a key=value pair' };
    const key = s.slice(i, eq);
    if (key.length === 0 || /\s/.test(key)) return { ok: false, problem: 'meta-information entry has an empty or blank key' };
    i = eq + 1;
    if (s[i] === '"') {
      let j = i + 1;
      let out = '';
      for (;;) {
        if (j >= s.length) return { ok: false, problem: 'quoted meta-information value is not closed' };
        const c = s[j]!;
        if (c === '\\' && j + 1 < s.length) {
          out += s[j + 1];
          j += 2;
          continue;
        }
        if (c === '"') break;
        out += c;
        j += 1;
      }
      entries.push({ key, value: out, quoted: true });
      i = j + 1;
      if (i < s.length && s[i] !== ',') return { ok: false, problem: 'quoted meta-information value contains an unescaped quote' };
      i += 1;
    } else if (s[i] === '[') {
      const close = s.indexOf(']', i);
      if (close < 0) return { ok: false, problem: 'bracketed meta-information value is not closed' };
      entries.push({ key, value: s.slice(i, close + 1), quoted: false });
      i = close + 1;
      if (i < s.length && s[i] !== ',') return { ok: false, problem: 'text after a bracketed meta-information value' };
      i += 1;
    } else {
      const comma = s.indexOf(',', i);
      const end = comma < 0 ? s.length : comma;
      const v = s.slice(i, end);
      entries.push({ key, value: v, quoted: false });
      i = end + 1;
    }
    if (i > s.length) break;
    if (i === s.length) return { ok: false, problem: 'meta-information line ends with a comma' };
  }
  return { ok: true, entries };
}

function indexOfAny(s: string, from: number, a: string, b: string): number {
  for (let k = from; k < s.length; k++) if (s[k] === a || s[k] === b) return k;
  return -1;
}
