/**
 * A BAM index (`.bai`, SAM/BAM spec section 5.2) for a coordinate-sorted
 * BAM, computed after the file is written by reading its BGZF blocks back
 * (the rewriter stays streaming and index-free). Each record is binned on
 * [pos, end) with end from the reference-consuming CIGAR operations (M D
 * N = X; an unmapped read placed at pos covers one base), as htslib does;
 * the 16 kb linear index takes the first record touching each window; a
 * pseudo bin per reference carries its offsets and mapped/unmapped counts
 * (`samtools idxstats` reads them); unplaced reads at the end are counted
 * in n_no_coor. An unsorted BAM, or one whose CIGARs are in the CG tag
 * (more than 65,535 operations), gets no index: the caller says so.
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { writeFileAtomically } from '../../io/atomic-output.js';
import { NodeError } from '../../errors.js';
import { addToIndex, IndexBytes, writeBinnedRef, type BinnedRef } from '../index-bins.js';
import { bgzfBlocks } from './bgzf-reader.js';

interface RefIndex extends BinnedRef {
  mapped: number;
  unmapped: number;
}

/** Bytes of the uncompressed stream with the virtual offset of each byte's block, consumed from the front. */
class VirtualStream {
  private blocks: { coff: number; data: Buffer }[] = [];
  private head = 0; // offset into blocks[0].data
  available = 0;

  push(coff: number, data: Buffer): void {
    if (data.length === 0) return;
    this.blocks.push({ coff, data });
    this.available += data.length;
  }

  /** Virtual offset of the next unread byte (`nextCoff`: where the following block starts, when all is read). */
  tell(nextCoff: number): number {
    const b = this.blocks[0];
    return b ? b.coff * 65536 + this.head : nextCoff * 65536;
  }

  read(n: number): Buffer {
    const parts: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const b = this.blocks[0]!;
      const take = Math.min(left, b.data.length - this.head);
      parts.push(b.data.subarray(this.head, this.head + take));
      this.head += take;
      left -= take;
      if (this.head === b.data.length) { this.blocks.shift(); this.head = 0; }
    }
    this.available -= n;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}

export type BaiOutcome = { readonly written: string } | { readonly skipped: string };

/** Virtual offsets as numbers: exact for files under 128 GiB compressed. */
export async function writeBamIndex(bamPath: string): Promise<BaiOutcome> {
  const stream = new VirtualStream();
  let coff = 0;
  let refs: RefIndex[] | undefined;
  let nRef = -1;
  let noCoor = 0;
  let lastRef = -1;
  let lastPos = -1;
  let skipped: string | undefined;

  const onRecord = (rec: Buffer, start: number, end: number): void => {
    const refId = rec.readInt32LE(0);
    const pos = rec.readInt32LE(4);
    const lName = rec.readUInt8(8);
    const nCigar = rec.readUInt16LE(12);
    const flag = rec.readUInt16LE(14);
    const lSeq = rec.readInt32LE(16);
    if (refId < 0) { noCoor += 1; lastRef = Number.MAX_SAFE_INTEGER; return; }
    if (refId < lastRef || (refId === lastRef && pos < lastPos) || refId >= refs!.length) { skipped = 'the BAM is not sorted by coordinate (samtools sort)'; return; }
    if (refId !== lastRef) lastPos = -1;
    lastRef = refId;
    lastPos = pos;
    let span = 0;
    const cig = 32 + lName;
    for (let i = 0; i < nCigar; i++) {
      const op = rec.readUInt32LE(cig + 4 * i);
      const kind = op & 0xf;
      if (kind === 0 || kind === 2 || kind === 3 || kind === 7 || kind === 8) span += op >>> 4;
    }
    if (nCigar === 2 && (rec.readUInt32LE(cig) & 0xf) === 4 && rec.readUInt32LE(cig) >>> 4 === lSeq && (rec.readUInt32LE(cig + 4) & 0xf) === 3) {
      skipped = 'a record keeps its CIGAR in the CG tag (more than 65,535 operations)';
      return;
    }
    const unmapped = (flag & 4) !== 0;
    const beg = Math.max(0, pos);
    const stop = unmapped || span === 0 ? beg + 1 : beg + span;
    const r = refs![refId]!;
    addToIndex(r, beg, stop, start, end);
    if (unmapped) r.unmapped += 1;
    else r.mapped += 1;
  };

  // The header: magic + l_text, then the text + n_ref, then per reference l_name, then name + l_ref.
  let stage: 'magic' | 'text' | 'name-length' | 'name' = 'magic';
  let need = 8;
  const list: RefIndex[] = [];
  let pending: { size: number; start: number } | undefined;
  const drain = (nextCoff: number): void => {
    while (!skipped && !pending) {
      if (!refs) {
        if (stream.available < need) return;
        const b = stream.read(need);
        if (stage === 'magic') {
          if (b.toString('latin1', 0, 4) !== 'BAM\x01') throw new NodeError('GENOFED_BAM_FORMAT', 'index: the output is not BAM');
          stage = 'text';
          need = b.readInt32LE(4) + 4;
        } else if (stage === 'text') {
          nRef = b.readInt32LE(need - 4);
          stage = 'name-length';
          need = 4;
        } else if (stage === 'name-length') {
          stage = 'name';
          need = b.readInt32LE(0) + 4;
          continue;
        } else {
          list.push({ bins: new Map(), linear: [], first: -1, last: -1, mapped: 0, unmapped: 0 });
          stage = 'name-length';
          need = 4;
        }
        if (list.length === nRef && stage === 'name-length') refs = list;
        continue;
      }
      if (stream.available < 4) return;
      const start = stream.tell(nextCoff);
      const size = stream.read(4).readInt32LE(0);
      if (stream.available < size) { pending = { size, start }; return; }
      onRecord(stream.read(size), start, stream.tell(nextCoff));
    }
  };

  for await (const block of bgzfBlocks(createReadStream(bamPath, { highWaterMark: 1 << 20 }), basename(bamPath), () => skipped !== undefined)) {
    stream.push(block.coff, block.data);
    coff = block.next;
    if (pending) {
      if (stream.available < pending.size) continue;
      const p = pending;
      pending = undefined;
      onRecord(stream.read(p.size), p.start, stream.tell(coff));
    }
    drain(coff);
  }
  if (!skipped && (pending || !refs)) throw new NodeError('GENOFED_BAM_FORMAT', 'index: the output ends inside a record');
  if (skipped) {
    await rm(`${bamPath}.bai`, { force: true });
    return { skipped };
  }

  const w = new IndexBytes();
  w.raw(Buffer.from('BAI\x01', 'latin1'));
  w.i32(refs!.length);
  for (const r of refs!) {
    if (r.first < 0) { w.i32(0); w.i32(0); continue; }
    writeBinnedRef(w, r, [r.mapped, r.unmapped]);
  }
  w.u64(noCoor);
  const out = `${bamPath}.bai`;
  await writeFileAtomically(out, w.bytes());
  return { written: out };
}
