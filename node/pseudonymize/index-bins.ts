/**
 * The binning index shared by `.tbi` (vcf/tabix-index.ts) and `.bai`
 * (alignment/bam-index.ts), as the SAM spec (section 5) and htslib define
 * it: per reference, the chunks of virtual offsets of each UCSC bin and the
 * linear index of 16 kb windows.
 */

/** The pseudo bin htslib adds per reference: 37449 + 1. */
export const META_BIN = 37450;

export interface BinnedRef {
  /** bin -> [beg0, end0, beg1, end1, ...] virtual offsets. */
  readonly bins: Map<number, number[]>;
  /** Per 16 kb window: the smallest virtual offset of a record touching it (-1: none yet). */
  readonly linear: number[];
  /** Virtual offsets of the reference's first record's start and last record's end. */
  first: number;
  last: number;
}

/** UCSC/htslib reg2bin over 0-based [beg, end). */
export function reg2bin(beg: number, end: number): number {
  const e = end - 1;
  if (beg >> 14 === e >> 14) return 4681 + (beg >> 14);
  if (beg >> 17 === e >> 17) return 585 + (beg >> 17);
  if (beg >> 20 === e >> 20) return 73 + (beg >> 20);
  if (beg >> 23 === e >> 23) return 9 + (beg >> 23);
  if (beg >> 26 === e >> 26) return 1 + (beg >> 26);
  return 0;
}

/** Add a record spanning [beg, stop) whose bytes run from virtual offset `start` to `end`. */
export function addToIndex(r: BinnedRef, beg: number, stop: number, start: number, end: number): void {
  if (r.first < 0) r.first = start;
  const bin = reg2bin(beg, stop);
  const chunks = r.bins.get(bin);
  if (!chunks) r.bins.set(bin, [start, end]);
  else if (chunks[chunks.length - 1] === start) chunks[chunks.length - 1] = end;
  else chunks.push(start, end);
  for (let w = beg >> 14; w <= (stop - 1) >> 14; w++) {
    while (r.linear.length <= w) r.linear.push(-1);
    if (r.linear[w] === -1) r.linear[w] = start;
  }
  r.last = end;
}

/** Little-endian bytes of an index file, appended in order. */
export class IndexBytes {
  private readonly parts: Buffer[] = [];
  raw(b: Buffer): void { this.parts.push(b); }
  i32(v: number): void { const b = Buffer.alloc(4); b.writeInt32LE(v); this.parts.push(b); }
  u64(v: number): void { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.parts.push(b); }
  bytes(): Buffer { return Buffer.concat(this.parts); }
}

/**
 * One reference's bins (with the pseudo bin: first/last offsets and two
 * counts, `meta`) and its linear index. Windows no record touches take the
 * next window's offset (htslib): no record before it can reach them.
 */
export function writeBinnedRef(w: IndexBytes, r: BinnedRef, meta: readonly [number, number]): void {
  w.i32(r.bins.size + 1);
  for (const bin of [...r.bins.keys()].sort((a, b) => a - b)) {
    const c = r.bins.get(bin)!;
    w.i32(bin);
    w.i32(c.length / 2);
    for (const v of c) w.u64(v);
  }
  w.i32(META_BIN);
  w.i32(2);
  for (const v of [r.first, r.last, meta[0], meta[1]]) w.u64(v);
  for (let i = r.linear.length - 2; i >= 0; i--) if (r.linear[i] === -1) r.linear[i] = r.linear[i + 1]!;
  w.i32(r.linear.length);
  for (const v of r.linear) w.u64(v);
}
