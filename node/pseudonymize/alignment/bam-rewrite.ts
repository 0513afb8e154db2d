/**
 * Rewrite a BAM as binary records: header text through `rewriteHeader`,
 * then for each record the read name, RG:Z/LB:Z values and dropped aux
 * fields change, and every other byte (core fields, CIGAR, SEQ, QUAL, kept
 * tags, the reference list) is copied unchanged. block_size and
 * l_read_name are recomputed. Records are not reordered, so a
 * coordinate-sorted input stays sorted and indexable.
 *
 * Parser + transformer: it consumes decompressed chunks and writes to a
 * ByteSink; no path is opened here.
 */
import { NodeError } from '../../errors.js';
import type { BedRegions } from '../bed.js';
import { auxStart, auxValueLength, cigarRefLength, CORE, encodeBamHeader, parseBamHeader, type BamHeader } from './bam-codec.js';
import type { ByteSink } from './bgzf-sink.js';
import { rewriteHeader, type HeaderRewrite } from './header-rules.js';
import { TAG_DROP, TAG_KEEP, TAG_LB, TAG_RECOMPUTE, TAG_RG, type RecordRules } from './record-rules.js';
import { SAN_AS_IS, SAN_DROP, type RecordSanitizer } from './sanitize-records.js';

/** What a rewrite saw: turned into the counts-only AlignmentReport. */
export interface RewriteCounts {
  recordsIn: number;
  recordsOut: number;
  recordsOutsideRegions: number;
  header: HeaderRewrite | null;
}

/** Staging buffer for output records: grown on demand, handed to the sink in ~1 MiB pieces. */
class OutBuffer {
  buf = Buffer.allocUnsafe(1 << 21);
  pos = 0;
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  async drainTo(sink: ByteSink): Promise<void> {
    if (this.pos === 0) return;
    await sink.write(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }
}

/** Is the record inside a region? htslib's bam_endpos: mapped reads span their CIGAR, others pos+1. */
export function bamRecordInRegions(rec: Buffer, base: number, refs: BamHeader['refs'], regions: BedRegions): boolean {
  const refId = rec.readInt32LE(base + CORE.refId);
  const pos = rec.readInt32LE(base + CORE.pos);
  if (refId < 0 || pos < 0) return false;
  const ref = refs[refId];
  if (!ref) return false;
  const flag = rec.readUInt16LE(base + CORE.flag);
  const nCigar = rec.readUInt16LE(base + CORE.nCigarOp);
  let end = pos + 1;
  if ((flag & 4) === 0 && nCigar > 0) {
    const rlen = cigarRefLength(rec, base + 32 + rec[base + CORE.lReadName]!, nCigar);
    end = pos + (rlen > 0 ? rlen : 1);
  }
  return regions.overlaps(ref.name, pos, end);
}

/** Rewrite decompressed BAM bytes into `sink` (header, then records in input order). */
export async function rewriteBam(
  chunks: AsyncIterable<Buffer>,
  sink: ByteSink,
  rules: RecordRules,
  label: string,
  options: { regions?: BedRegions; signal?: AbortSignal; sanitizer?: RecordSanitizer } = {},
): Promise<RewriteCounts> {
  const counts: RewriteCounts = { recordsIn: 0, recordsOut: 0, recordsOutsideRegions: 0, header: null };
  const out = new OutBuffer();
  const { sanitizer } = options;
  let carry: Buffer = Buffer.alloc(0);
  let header: BamHeader | null = null;
  const { regions } = options;

  for await (const chunk of chunks) {
    options.signal?.throwIfAborted();
    const buf: Buffer = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let at = 0;
    if (!header) {
      const parsed = parseBamHeader(buf, label);
      if (!parsed) {
        carry = buf;
        continue;
      }
      header = parsed.header;
      counts.header = rewriteHeader(header.text, rules.mode, {
        readGroup: rules.headerReadGroup,
        sample: rules.sample,
        library: rules.library,
      });
      await sink.write(encodeBamHeader(counts.header.text, header.refBytes));
      await sink.flushBlock();
      at = parsed.size;
    }
    const refs = header.refs;
    while (buf.length - at >= 4) {
      const blockSize = buf.readInt32LE(at);
      const recNo = counts.recordsIn + 1;
      if (blockSize < 32) throw new NodeError('GENOFED_BAM_FORMAT', `${label}: record ${recNo} has an invalid block size`);
      if (buf.length - at - 4 < blockSize) break;
      const base = at + 4;
      const recEnd = base + blockSize;
      counts.recordsIn++;
      at = recEnd;
      const refId = buf.readInt32LE(base + CORE.refId);
      const nextRefId = buf.readInt32LE(base + CORE.nextRefId);
      if (refId < -1 || refId >= refs.length || nextRefId < -1 || nextRefId >= refs.length) {
        throw new NodeError('GENOFED_BAM_FORMAT', `${label}: record ${recNo} names a reference the header does not declare`);
      }
      const aux = auxStart(buf, base, blockSize);
      const lName = buf[base + CORE.lReadName]!;
      if (aux < 0 || buf[base + 32 + lName - 1] !== 0) throw new NodeError('GENOFED_BAM_FORMAT', `${label}: record ${recNo} fields overrun its block size`);
      if (regions && !bamRecordInRegions(buf, base, refs, regions)) {
        counts.recordsOutsideRegions++;
        continue;
      }
      // --sanitize: drop by FLAG, or size the new CIGAR/SEQ/QUAL/NM/MD (a deletion makes SEQ longer than the input's).
      let sanitized = 0;
      if (sanitizer) {
        const flag = buf.readUInt16LE(base + CORE.flag);
        if (refId >= 0 && sanitizer.needsContig(refs[refId]!.name, flag)) await sanitizer.useContig(refs[refId]!.name);
        sanitized = sanitizer.prepareBam(buf, base, `${label}: record ${recNo}`);
        if (sanitized === SAN_DROP) continue;
      }
      counts.recordsOut++;
      // Upper bound: the name grows by <= 25 bytes, each RG/LB field (>= 5 bytes) by <= 25.
      out.ensure(4 + blockSize * 7 + 64 + Math.max(0, sanitized));
      const o = out.buf;
      const start = out.pos;
      buf.copy(o, start + 4, base, base + 32);
      // Read name: '*' means "no name" and stays.
      let nameLen: number;
      if (lName === 2 && buf[base + 32] === 0x2a) {
        o[start + 36] = 0x2a;
        nameLen = 1;
      } else {
        const pseudo = rules.names.of(buf.subarray(base + 32, base + 32 + lName - 1));
        nameLen = o.write(pseudo, start + 36, 'latin1');
      }
      o[start + 36 + nameLen] = 0;
      o[start + 4 + CORE.lReadName] = nameLen + 1;
      let p = start + 36 + nameLen + 1;
      // CIGAR, SEQ, QUAL unchanged (or reverted to the reference).
      if (sanitizer && sanitized !== SAN_AS_IS) p = sanitizer.writeBamBody(buf, base, o, start + 4, p);
      else p += buf.copy(o, p, base + 32 + lName, base + aux);
      // Aux fields.
      let a = base + aux;
      while (a < recEnd) {
        if (a + 3 > recEnd) throw new NodeError('GENOFED_BAM_FORMAT', `${label}: record ${recNo} has a truncated aux field`);
        const vlen = auxValueLength(buf, a, recEnd);
        if (vlen < 0 || a + 3 + vlen > recEnd) throw new NodeError('GENOFED_BAM_FORMAT', `${label}: record ${recNo} has a malformed aux field`);
        const code = (buf[a]! << 8) | buf[a + 1]!;
        const act = rules.action[code]!;
        const next = a + 3 + vlen;
        if (act === TAG_KEEP) {
          p += buf.copy(o, p, a, next);
        } else if (act === TAG_DROP) {
          rules.countDrop(code);
        } else if (act === TAG_RECOMPUTE) {
          // NM/MD: written again below for sanitized records.
        } else if (buf[a + 2] === 0x5a) {
          const value = buf.toString('utf8', a + 3, next - 1);
          const pseudo = act === TAG_RG ? rules.readGroup(value) : act === TAG_LB ? rules.library(value) : value;
          o[p] = buf[a]!; o[p + 1] = buf[a + 1]!; o[p + 2] = 0x5a;
          p += 3;
          p += o.write(pseudo, p, 'latin1');
          o[p++] = 0;
        } else {
          // RG/LB with a non-string type: not valid SAM; refuse rather than pass an id through.
          throw new NodeError('GENOFED_BAM_FORMAT', `${label}: record ${recNo} has an RG or LB tag that is not of type Z`);
        }
        a = next;
      }
      if (sanitizer && sanitized !== SAN_AS_IS) p = sanitizer.writeTags(o, p);
      o.writeInt32LE(p - start - 4, start);
      out.pos = p;
      if (out.pos >= 1 << 20) await out.drainTo(sink);
    }
    carry = at === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(at));
  }
  if (!header) throw new NodeError('GENOFED_BAM_FORMAT', `${label}: BAM header is incomplete`);
  if (carry.length > 0) throw new NodeError('GENOFED_BAM_FORMAT', `${label}: record ${counts.recordsIn + 1} is cut short at the end of the data`);
  await out.drainTo(sink);
  return counts;
}
