/**
 * A tabix index (`.tbi`, SAMtools tabix format, VCF preset) for a bgzipped
 * VCF, computed after the file is written by reading its BGZF blocks back:
 * the pseudonymizer's writer stays as it is, and the index describes the
 * bytes really on disk. Bins and the 16 kb linear index follow htslib (a
 * record spans POS..POS+len(REF)-1, or to INFO END when present); a pseudo
 * bin per contig carries its offsets and record count, so `bcftools index
 * -s` prints them. A file whose records are not sorted (a contig returning,
 * POS going back) or that lies beyond TBI's 2^29 bp gets no index: the
 * caller says so, as `tabix` would refuse it.
 *
 * Parser and writer only over the output's bytes; it reads the path the
 * caller just wrote.
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { writeFileAtomically } from '../../io/atomic-output.js';
import { BGZF_BLOCK_INPUT, BGZF_EOF, bgzfBlock } from '../../io/bgzf-writer.js';
import { NodeError } from '../../errors.js';
import { bgzfBlocks } from '../alignment/bgzf-reader.js';
import { addToIndex, IndexBytes, writeBinnedRef, type BinnedRef } from '../index-bins.js';

/** TBI's binning scheme covers positions below 2^29 (min_shift 14, depth 5). */
const TBI_MAX_POS = 2 ** 29;
interface RefIndex extends BinnedRef {
  records: number;
}

export type TabixOutcome = { readonly written: string } | { readonly skipped: string };

/**
 * Virtual offsets are kept as numbers: coffset * 2^16 + uoffset is exact
 * below 2^53, i.e. for files under 128 GiB compressed.
 */
export async function writeTabixIndex(vcfPath: string): Promise<TabixOutcome> {
  const names: string[] = [];
  const refs: RefIndex[] = [];
  let current: RefIndex | undefined;
  let lastPos = 0;
  let unsorted: string | undefined;

  const record = (prefix: string, start: number, end: number): void => {
    if (unsorted || prefix.startsWith('#') || prefix.length === 0) return;
    const f = prefix.split('\t');
    const chrom = f[0]!;
    const pos = Number(f[1]);
    if (!Number.isInteger(pos) || pos < 1) throw new NodeError('GENOFED_INPUT_FORMAT', 'index: a record has no valid POS');
    if (names[names.length - 1] !== chrom) {
      if (names.includes(chrom)) { unsorted = 'records of a contig are not contiguous (sort the input, e.g. bcftools sort)'; return; }
      names.push(chrom);
      current = { bins: new Map(), linear: [], first: start, last: end, records: 0 };
      refs.push(current);
      lastPos = 0;
    }
    if (pos < lastPos) { unsorted = 'records are not sorted by position (sort the input, e.g. bcftools sort)'; return; }
    lastPos = pos;
    const beg = pos - 1;
    let stop = beg + Math.max(1, (f[3] ?? '').length);
    const endTag = /(?:^|;)END=([0-9]+)(?:;|$)/.exec(f[7] ?? '');
    if (endTag && Number(endTag[1]) > beg) stop = Number(endTag[1]);
    if (stop > TBI_MAX_POS) { unsorted = `a record reaches beyond ${TBI_MAX_POS} bp, past the tabix (.tbi) limit`; return; }
    const r = current!;
    addToIndex(r, beg, stop, start, end);
    r.records += 1;
  };

  // Read the BGZF blocks back, tracking each line's virtual start and end; keep only the first 8 fields.
  let lineStart = -1;
  let prefix: Buffer[] = [];
  let tabs = 0;
  for await (const { coff, next, data } of bgzfBlocks(createReadStream(vcfPath, { highWaterMark: 1 << 20 }), basename(vcfPath))) {
    let p = 0;
    while (p < data.length) {
      if (lineStart < 0) { lineStart = coff * 65536 + p; prefix = []; tabs = 0; }
      const nl = data.indexOf(10, p);
      const stop = nl < 0 ? data.length : nl;
      if (tabs < 8) {
        let q = p;
        while (tabs < 8) {
          const t = data.indexOf(9, q);
          if (t < 0 || t >= stop) { q = stop; break; }
          tabs += 1;
          q = t + 1;
        }
        prefix.push(data.subarray(p, tabs >= 8 ? q - 1 : stop));
      }
      if (nl < 0) break;
      record(Buffer.concat(prefix).toString('utf8'), lineStart, nl + 1 < data.length ? coff * 65536 + nl + 1 : next * 65536);
      lineStart = -1;
      p = nl + 1;
    }
  }
  // An index left from an earlier output of the same name would describe other bytes.
  if (unsorted) {
    await rm(`${vcfPath}.tbi`, { force: true });
    return { skipped: unsorted };
  }

  const w = new IndexBytes();
  w.raw(Buffer.from('TBI\x01', 'latin1'));
  w.i32(refs.length);
  // VCF preset: format 2, sequence column 1, begin column 2, no end column, meta char '#', skip 0.
  for (const v of [2, 1, 2, 0, 35, 0]) w.i32(v);
  const nm = Buffer.from(names.map((n) => `${n}\0`).join(''), 'utf8');
  w.i32(nm.length);
  w.raw(nm);
  for (const r of refs) writeBinnedRef(w, r, [r.records, 0]);
  w.u64(0); // n_no_coor
  const raw = w.bytes();
  const blocks: Buffer[] = [];
  for (let i = 0; i < raw.length; i += BGZF_BLOCK_INPUT) blocks.push(bgzfBlock(raw.subarray(i, i + BGZF_BLOCK_INPUT)));
  blocks.push(BGZF_EOF);
  const out = `${vcfPath}.tbi`;
  await writeFileAtomically(out, Buffer.concat(blocks));
  return { written: out };
}
