/**
 * BAM binary layout (SAM/BAM spec section 4.2): header decode/encode, the
 * fixed 32-byte record core, CIGAR reference span and the aux-field walk.
 * Pure functions over Buffers: no I/O.
 */
import { NodeError } from '../../errors.js';

/** 'BAM\1': the first four decompressed bytes of every BAM. */
export const BAM_MAGIC = Buffer.from('BAM\x01', 'latin1');

/** Offsets inside a record, counted from the byte after block_size. */
export const CORE = {
  refId: 0, pos: 4, lReadName: 8, mapq: 9, bin: 10, nCigarOp: 12, flag: 14, lSeq: 16,
  nextRefId: 20, nextPos: 24, tlen: 28, readName: 32,
} as const;

/** One entry of the binary reference list (kept byte for byte; names used for regions and rendering). */
export interface BamReference {
  readonly name: string;
  readonly length: number;
}

/** The decoded BAM header: text to rewrite, references to keep. */
export interface BamHeader {
  /** Header text with trailing NUL padding removed. */
  readonly text: string;
  readonly refs: readonly BamReference[];
  /** n_ref and the reference list exactly as read, copied unchanged to the output. */
  readonly refBytes: Buffer;
}

/**
 * Parse the header from the start of the decompressed stream. Returns null
 * when `buf` does not yet hold the whole header (caller reads more).
 */
export function parseBamHeader(buf: Buffer, label: string): { header: BamHeader; size: number } | null {
  if (buf.length < 8) return null;
  if (!buf.subarray(0, 4).equals(BAM_MAGIC)) throw new NodeError('GENOFED_BAM_FORMAT', `${label}: not a BAM file (bad magic)`);
  const lText = buf.readUInt32LE(4);
  if (lText > 0x7fffffff) throw new NodeError('GENOFED_BAM_FORMAT', `${label}: BAM header text length is invalid`);
  let p = 8 + lText;
  if (buf.length < p + 4) return null;
  let end = 8 + lText;
  while (end > 8 && buf[end - 1] === 0) end--;
  const text = buf.toString('utf8', 8, end);
  const refStart = p;
  const nRef = buf.readInt32LE(p);
  if (nRef < 0) throw new NodeError('GENOFED_BAM_FORMAT', `${label}: BAM reference count is negative`);
  p += 4;
  const refs: BamReference[] = [];
  for (let i = 0; i < nRef; i++) {
    if (buf.length < p + 4) return null;
    const lName = buf.readUInt32LE(p);
    if (lName < 1 || lName > 0x7fffffff) throw new NodeError('GENOFED_BAM_FORMAT', `${label}: BAM reference ${i + 1} has an invalid name length`);
    if (buf.length < p + 4 + lName + 4) return null;
    if (buf[p + 4 + lName - 1] !== 0) throw new NodeError('GENOFED_BAM_FORMAT', `${label}: BAM reference ${i + 1} name is not NUL-terminated`);
    refs.push({ name: buf.toString('latin1', p + 4, p + 4 + lName - 1), length: buf.readUInt32LE(p + 4 + lName) });
    p += 8 + lName;
  }
  return { header: { text, refs, refBytes: Buffer.from(buf.subarray(refStart, p)) }, size: p };
}

/** The BAM header bytes for new text and the original reference list. */
export function encodeBamHeader(text: string, refBytes: Buffer): Buffer {
  const t = Buffer.from(text, 'utf8');
  const head = Buffer.alloc(8);
  BAM_MAGIC.copy(head, 0);
  head.writeUInt32LE(t.length, 4);
  return Buffer.concat([head, t, refBytes]);
}

/** Bytes of one aux field's value after its 3-byte tag+type, or -1 when it runs past `end`. */
export function auxValueLength(buf: Buffer, at: number, end: number): number {
  const type = buf[at + 2];
  const v = at + 3;
  switch (type) {
    case 0x41: case 0x63: case 0x43: return 1; // A c C
    case 0x73: case 0x53: return 2; // s S
    case 0x69: case 0x49: case 0x66: return 4; // i I f
    case 0x5a: case 0x48: { // Z H: NUL-terminated
      const nul = buf.indexOf(0, v);
      return nul < 0 || nul >= end ? -1 : nul - v + 1;
    }
    case 0x42: { // B: subtype, int32 count, values
      if (v + 5 > end) return -1;
      const sub = buf[v];
      const count = buf.readUInt32LE(v + 1);
      const size = sub === 0x63 || sub === 0x43 ? 1 : sub === 0x73 || sub === 0x53 ? 2 : sub === 0x69 || sub === 0x49 || sub === 0x66 ? 4 : 0;
      if (size === 0) return -1;
      return 5 + count * size;
    }
    default:
      return -1;
  }
}

/** Offset of the aux data inside a record (after the byte after block_size), validated against its length. */
export function auxStart(rec: Buffer, base: number, blockSize: number): number {
  const lName = rec[base + CORE.lReadName]!;
  const nCigar = rec.readUInt16LE(base + CORE.nCigarOp);
  const lSeq = rec.readInt32LE(base + CORE.lSeq);
  if (lName < 1 || lSeq < 0) return -1;
  const off = 32 + lName + 4 * nCigar + ((lSeq + 1) >> 1) + lSeq;
  return off > blockSize ? -1 : off;
}

/** Reference bases covered by the CIGAR (M, D, N, =, X), as htslib's bam_cigar2rlen. */
export function cigarRefLength(rec: Buffer, cigarAt: number, nCigar: number): number {
  let len = 0;
  for (let i = 0; i < nCigar; i++) {
    const v = rec.readUInt32LE(cigarAt + 4 * i);
    const op = v & 0xf;
    if (op === 0 || op === 2 || op === 3 || op === 7 || op === 8) len += v >>> 4;
  }
  return len;
}
