/**
 * Token scanning shared by `verify` (is an original id left in the output?)
 * and `scan --denylist`. A token is a maximal run of bytes that are not
 * delimiters (tab, space, `;,=<>"'|:()[]{}`); `/` is not a delimiter, so a
 * path is one token, and `tokenParts` splits it into components. Only tokens
 * with at least one letter and `minLength` bytes become strings: a
 * 2,504-sample genotype line is all digits and separators, so the scan stays
 * a tight byte loop (~36 MB of 1000G text in ~0.2 s, measured).
 */

const DELIM = new Uint8Array(256);
for (const c of '\t\n\r ;,=<>"\'|:()[]{}') DELIM[c.charCodeAt(0)] = 1;

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c >= 128;
}

/** Call `onToken(token, startOffset)` for every letter-bearing token of at least `minLength` bytes in bytes [start, end). */
export function forEachToken(bytes: Buffer, start: number, end: number, minLength: number, onToken: (token: string, at: number) => void): void {
  let tokStart = start;
  let letter = false;
  for (let i = start; i <= end; i++) {
    const c = i < end ? bytes[i]! : 9;
    if (DELIM[c] === 1) {
      if (letter && i - tokStart >= minLength) onToken(bytes.toString('utf8', tokStart, i), tokStart);
      tokStart = i + 1;
      letter = false;
    } else if (!letter && isLetter(c)) {
      letter = true;
    }
  }
}

/** Tokens of a text (same rules as forEachToken). */
export function tokensOf(text: string, minLength = 3): string[] {
  const out: string[] = [];
  const b = Buffer.from(text, 'utf8');
  forEachToken(b, 0, b.length, minLength, (t) => out.push(t));
  return out;
}

/** A token and, if it contains `/` or `\`, its path components. */
export function tokenParts(token: string): string[] {
  if (!token.includes('/') && !token.includes('\\')) return [token];
  return [token, ...token.split(/[\\/]+/).filter((p) => p.length > 0)];
}

/** FNV-1a 32-bit of a string's UTF-8 bytes; equals the hashes `forEachTokenHash` reports. */
export function hashToken(token: string): number {
  const b = Buffer.from(token, 'utf8');
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * forEachToken + tokenParts without making strings: `onHash(hash, start,
 * end)` for every letter-bearing token of at least `minLength` bytes, and
 * for each path component of a token containing `/` or `\` (rare: those are
 * decoded). A gVCF has ~8 letter tokens per line (`<NON_REF>`, `END`, FORMAT
 * keys); hashing instead of decoding them is what keeps verify near the
 * cost of pseudonymization.
 */
export function forEachTokenHash(bytes: Buffer, start: number, end: number, minLength: number, onHash: (hash: number, s: number, e: number) => void): void {
  let tokStart = start;
  let letter = false;
  let slash = false;
  let h = 0x811c9dc5;
  for (let i = start; i <= end; i++) {
    const c = i < end ? bytes[i]! : 9;
    if (DELIM[c] === 1) {
      if (letter && i - tokStart >= minLength) {
        onHash(h >>> 0, tokStart, i);
        if (slash) {
          for (const part of tokenParts(bytes.toString('utf8', tokStart, i)).slice(1)) onHash(hashToken(part), tokStart, i);
        }
      }
      tokStart = i + 1;
      letter = false;
      slash = false;
      h = 0x811c9dc5;
    } else {
      h = Math.imul(h ^ c, 0x01000193);
      if (!letter && isLetter(c)) letter = true;
      if (c === 47 || c === 92) slash = true;
    }
  }
}
