/**
 * Packed variant lines (`chrom TAB pos TAB ref TAB alt LF`, the text the
 * list digest hashes) read in place: a reader walks a batch line by line
 * and exposes each line's fields as byte offsets and a number, with no
 * string or object per key (issue 11: a million-key list is walked several
 * times per query, at the coordinator and at every node). The strict rules
 * of a packed line live here once; `unpackVariantKeys` decodes through it.
 */
import { ProtoError } from '../errors.js';

const TAB = 0x09;
const LF = 0x0a;

/**
 * Reads one packed batch. After `next()` returns true the fields of the
 * current line are: `start` (first byte), `chromEnd` (its first TAB),
 * `pos`, `refStart`..`refEnd`, `refEnd + 1`..`end` (ALT; `end` is the LF).
 * `chromChanged` says the contig bytes differ from the previous line's;
 * `ascii` that every byte of the line is below 0x80.
 */
export class PackedLineReader {
  start = 0;
  chromEnd = 0;
  pos = 0;
  refStart = 0;
  refEnd = 0;
  end = -1;
  ascii = true;
  chromChanged = true;
  /** 1-based number of the current line in this batch. */
  line = 0;
  private prevChromStart = -1;
  private prevChromLen = 0;

  constructor(readonly bytes: Uint8Array) {}

  /** Advances to the next line; false at the end of the batch. Throws GENOFED_BAD_MESSAGE naming the line's number (never its content). */
  next(): boolean {
    const b = this.bytes;
    const n = b.length;
    const at = this.end + 1;
    if (at >= n) return false;
    const line = (this.line += 1);
    let t1 = -1;
    let t2 = -1;
    let t3 = -1;
    let hi = 0;
    let i = at;
    for (; i < n; i++) {
      const c = b[i]!;
      hi |= c;
      if (c === LF) break;
      if (c !== TAB) continue;
      if (t1 < 0) t1 = i;
      else if (t2 < 0) t2 = i;
      else if (t3 < 0) t3 = i;
      else throw bad(line, 'expected chrom, pos, ref and alt');
    }
    if (i === n) throw bad(line, 'no line end');
    if (t3 < 0) throw bad(line, 'expected chrom, pos, ref and alt');
    if (t1 === at || t3 === t2 + 1 || i === t3 + 1) throw bad(line, 'an empty field');
    if (t2 === t1 + 1 || t2 - t1 - 1 > 10) throw bad(line, 'POS is not a positive integer');
    let pos = 0;
    for (let k = t1 + 1; k < t2; k++) {
      const d = b[k]! - 0x30;
      if (d < 0 || d > 9) throw bad(line, 'POS is not a positive integer');
      pos = pos * 10 + d;
    }
    if (pos < 1 || pos > 0x7fffffff) throw bad(line, 'POS is not a positive integer');
    const chromLen = t1 - at;
    let same = this.prevChromStart >= 0 && chromLen === this.prevChromLen;
    for (let k = 0; same && k < chromLen; k++) same = b[at + k] === b[this.prevChromStart + k];
    this.chromChanged = !same;
    this.prevChromStart = at;
    this.prevChromLen = chromLen;
    this.start = at;
    this.chromEnd = t1;
    this.pos = pos;
    this.refStart = t2 + 1;
    this.refEnd = t3;
    this.end = i;
    this.ascii = (hi & 0x80) === 0;
    return true;
  }

  /** The current line's contig, decoded (call it when `chromChanged`). */
  chrom(): string {
    return text(this.bytes, this.start, this.chromEnd);
  }

  ref(): string {
    return text(this.bytes, this.refStart, this.refEnd);
  }

  alt(): string {
    return text(this.bytes, this.refEnd + 1, this.end);
  }
}

function bad(line: number, what: string): ProtoError {
  return new ProtoError('GENOFED_BAD_MESSAGE', `variant batch: packed key ${line}: ${what}`);
}

/** One-byte ASCII alleles and contigs as shared strings (most SNP fields): no string is decoded for them. */
const ONE_BYTE = Array.from({ length: 128 }, (_, c) => String.fromCharCode(c));

function text(b: Uint8Array, from: number, to: number): string {
  return to === from + 1 && b[from]! < 128 ? ONE_BYTE[b[from]!]! : Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('utf8');
}

/**
 * Byte order of two fields (a[af..at) against b[bf..bt)): shorter prefix
 * first. For ASCII it is the UTF-16 code-unit order compareVariantKeys
 * uses; callers fall back to strings when a line is not ASCII.
 */
export function compareBytes(a: Uint8Array, af: number, at: number, b: Uint8Array, bf: number, bt: number): number {
  const la = at - af;
  const lb = bt - bf;
  const l = la < lb ? la : lb;
  for (let k = 0; k < l; k++) {
    const d = a[af + k]! - b[bf + k]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

/** A line's fields by offset: a reader's current line, or a copy of one kept for later comparison. */
export type LineFields = Pick<PackedLineReader, 'bytes' | 'pos' | 'refStart' | 'refEnd' | 'end'>;

/** compareVariantKeys on two lines (ASCII lines; same contig). */
export function compareLines(a: LineFields, b: LineFields): number {
  return a.pos - b.pos
    || compareBytes(a.bytes, a.refStart, a.refEnd, b.bytes, b.refStart, b.refEnd)
    || compareBytes(a.bytes, a.refEnd + 1, a.end, b.bytes, b.refEnd + 1, b.end);
}
