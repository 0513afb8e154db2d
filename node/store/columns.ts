/**
 * Helpers of the store's in-memory column sets (record-cache.ts,
 * totals-index.ts): interned strings, and typed arrays that grow by copying.
 */

/** Strings stored once, referred to by index. */
export class StringTable {
  private readonly index = new Map<string, number>();
  readonly strings: string[] = [];

  intern(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) { this.index.set(s, (i = this.strings.length)); this.strings.push(s); }
    return i;
  }
}

/** A copy of `a` with room for `size` elements. */
export function grown<T extends Int32Array | Uint32Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/** First index i < n with (contig[i], pos[i]) >= (id, p), for columns in (contig id, POS) order. */
export function lowerBound(contig: Int32Array, pos: Int32Array, n: number, id: number, p: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = contig[mid]!;
    if (c < id || (c === id && pos[mid]! < p)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
