/**
 * Member sets as bitmaps over store sample indices, for the differencing
 * guard. A set is kept as 32-bit words (2,504 samples: 79 words, 313 bytes
 * on disk) so |A xor C| is a word-wise popcount, and the guard only needs
 * to know whether it is 0, in 1..k-1, or >= k: `xorDistanceBelow` stops
 * at k. Measured (test/bench/ledger.ts): comparing a query with 10,000
 * recorded 2,504-sample cohorts adds under 1 ms, about 1 ms when they all
 * have one size (the size filter then skips nothing).
 */

const POPCOUNT8 = new Uint8Array(256).map((_, i) => {
  let n = 0;
  for (let v = i; v; v >>= 1) n += v & 1;
  return n;
});

/** Bits set in a 32-bit word (SWAR). */
export function popcount32(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** Bitmap of sample indices (any order; duplicates collapse). `bits` is what the ledger stores. */
export function cohortBitmap(members: Uint32Array): { bits: Uint8Array; universe: number; size: number } {
  let max = -1;
  for (const m of members) if (m > max) max = m;
  const universe = max + 1;
  const bits = new Uint8Array(Math.ceil(universe / 8));
  let size = 0;
  for (const m of members) {
    const byte = m >>> 3;
    const bit = 1 << (m & 7);
    if (!(bits[byte]! & bit)) size += 1;
    bits[byte]! |= bit;
  }
  return { bits, universe, size };
}

/** |A xor B| of two byte bitmaps (bytes past the shorter one count in full). */
export function symmetricDifference(a: Uint8Array, b: Uint8Array): number {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  let n = 0;
  for (let i = 0; i < short.length; i++) n += POPCOUNT8[short[i]! ^ long[i]!]!;
  for (let i = short.length; i < long.length; i++) n += POPCOUNT8[long[i]!]!;
  return n;
}

/** A member set ready for comparison: words (byte order of this machine; only XOR and popcount are used) and size. */
export interface WordBitmap {
  readonly words: Uint32Array;
  readonly size: number;
}

/** Byte bitmap -> words (zero-padded to a multiple of 4 bytes). */
export function toWords(bits: Uint8Array): WordBitmap {
  const padded = new Uint8Array(Math.ceil(bits.length / 4) * 4);
  padded.set(bits);
  const words = new Uint32Array(padded.buffer);
  let size = 0;
  for (const w of words) size += popcount32(w);
  return { words, size };
}

/**
 * min(|A xor B|, limit): exact below `limit`, `limit` as soon as the count
 * reaches it. The size difference is a lower bound, checked first: most
 * recorded cohorts differ in size by k or more and cost nothing.
 */
export function xorDistanceBelow(a: WordBitmap, b: WordBitmap, limit: number): number {
  if (Math.abs(a.size - b.size) >= limit) return limit;
  const [short, long] = a.words.length <= b.words.length ? [a.words, b.words] : [b.words, a.words];
  let n = 0;
  for (let i = 0; i < short.length; i++) {
    n += popcount32(short[i]! ^ long[i]!);
    if (n >= limit) return limit;
  }
  for (let i = short.length; i < long.length; i++) {
    n += popcount32(long[i]!);
    if (n >= limit) return limit;
  }
  return n;
}
