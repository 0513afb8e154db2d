/**
 * `--sanitize` for the BAM and SAM rewriters: per-run state (the reference,
 * the contig in use, counters) around the pure rules of `sanitize.ts`.
 * The rewriter asks `prepareBam`/`prepareSam` for each record that passed
 * its other filters; the answer is drop, copy as is (a kept unmapped read),
 * or the new CIGAR, SEQ, QUAL and NM/MD to write.
 *
 * Counts only leave this module (the report): never a base, a position or
 * a read name. Errors name the file, the record or line number and the
 * contig.
 */
import { NodeError } from '../../errors.js';
import { CORE } from './bam-codec.js';
import type { ReferenceFasta } from './reference-fasta.js';
import {
  calmdTags, formatCigar, NT16, parseCigarText, planSanitized, reg2bin, referenceBases, sanitizeVerdict,
  type SanitizeKeep, type SanitizePlan,
} from './sanitize.js';

/** Counts for the report (`AlignmentReport.sanitize`). */
export interface SanitizeReport {
  /** Basename of the reference FASTA. */
  reference: string;
  recordsSanitized: number;
  unmappedKept: number;
  recordsDropped: { unmapped: number; secondary: number; supplementary: number; noAlignedBase: number };
  /** Aligned bases whose code differed from the reference's (variants and sequencing errors alike). */
  mismatchesReverted: number;
  softClippedBasesRemoved: number;
  insertedBasesRemoved: number;
  deletedBasesFilled: number;
}

/** What a rewriter does with one record. */
export const SAN_DROP = -1;
export const SAN_AS_IS = -2;

/** Per-run sanitization state. */
export class RecordSanitizer {
  private contigName: string | null = null;
  private contigSeq: Buffer = Buffer.alloc(0);
  private plan: SanitizePlan | null = null;
  private bases: Buffer = Buffer.alloc(0);
  private tags = { md: '', nm: 0 };
  private hasSeq = false;
  readonly report: SanitizeReport;

  constructor(readonly reference: ReferenceFasta, private readonly keep: SanitizeKeep) {
    this.report = {
      reference: reference.label, recordsSanitized: 0, unmappedKept: 0,
      recordsDropped: { unmapped: 0, secondary: 0, supplementary: 0, noAlignedBase: 0 },
      mismatchesReverted: 0, softClippedBasesRemoved: 0, insertedBasesRemoved: 0, deletedBasesFilled: 0,
    };
  }

  /** Does a record on `refName` with `flag` need a contig other than the loaded one? (Await `useContig` then.) */
  needsContig(refName: string, flag: number): boolean {
    return (flag & 4) === 0 && refName !== this.contigName;
  }

  async useContig(refName: string): Promise<void> {
    this.contigSeq = await this.reference.contig(refName);
    this.contigName = refName;
  }

  /** The verdict by FLAG, counted; true when the record is kept. */
  private kept(flag: number): boolean {
    const v = sanitizeVerdict(flag, this.keep);
    if (v === 'keep') return true;
    this.report.recordsDropped[v]++;
    return false;
  }

  /** Plan, bases and tags for a mapped record; false when it has no aligned base (dropped, counted). */
  private build(cigar: ArrayLike<number>, seqLength: number, pos: number, where: string, isBam: boolean): boolean {
    const plan = planSanitized(cigar, seqLength);
    if (plan === 'no-aligned-base') { this.report.recordsDropped.noAlignedBase++; return false; }
    if (plan === 'query-length-mismatch') throw new NodeError(isBam ? 'GENOFED_BAM_FORMAT' : 'GENOFED_SAM_FORMAT', `${where}: CIGAR and SEQ lengths differ`);
    if (plan === 'bad-cigar-op') throw new NodeError(isBam ? 'GENOFED_BAM_FORMAT' : 'GENOFED_SAM_FORMAT', `${where}: unknown CIGAR operation`);
    const bases = referenceBases(plan, this.contigSeq, pos);
    if (!bases) {
      throw new NodeError('GENOFED_REFERENCE', `${this.reference.label}: ${where} on contig ${this.contigName ?? '?'} runs past the end of the reference contig (${this.contigSeq.length} bases): not the reference of this file`);
    }
    this.plan = plan;
    this.bases = bases;
    this.hasSeq = seqLength > 0;
    if (this.hasSeq) this.tags = calmdTags(bases, plan.cigar, this.contigSeq, pos);
    const r = this.report;
    r.recordsSanitized++;
    r.softClippedBasesRemoved += plan.softClipped;
    r.insertedBasesRemoved += plan.inserted;
    r.deletedBasesFilled += plan.deleted;
    return true;
  }

  /** Count aligned bases that differ from the reference; `code(q)` is the original base code at query index q. */
  private countMismatches(pos: number, code: (q: number) => number): void {
    if (!this.hasSeq) return;
    const a = this.plan!.aligned;
    let n = 0;
    for (let i = 0; i < a.length; i += 3) {
      const q = a[i]!, r = pos + a[i + 1]!, len = a[i + 2]!;
      for (let j = 0; j < len; j++) {
        const c = code(q + j);
        if (c !== 0 && c !== NT16[this.contigSeq[r + j]!]) n++;
      }
    }
    this.report.mismatchesReverted += n;
  }

  /**
   * BAM record at `base` (the byte after block_size): SAN_DROP, SAN_AS_IS,
   * or the number of bytes CIGAR + SEQ + QUAL + NM/MD will take (then call
   * `writeBamBody` and, after the kept aux fields, `writeTags`).
   */
  prepareBam(buf: Buffer, base: number, where: string): number {
    const flag = buf.readUInt16LE(base + CORE.flag);
    if (!this.kept(flag)) return SAN_DROP;
    if (flag & 4) { this.report.unmappedKept++; return SAN_AS_IS; }
    const lName = buf[base + CORE.lReadName]!;
    const nCigar = buf.readUInt16LE(base + CORE.nCigarOp);
    const lSeq = buf.readInt32LE(base + CORE.lSeq);
    const pos = buf.readInt32LE(base + CORE.pos);
    const at = base + 32 + lName;
    const cigar = new Array<number>(nCigar);
    for (let i = 0; i < nCigar; i++) cigar[i] = buf.readUInt32LE(at + 4 * i);
    if (!this.build(cigar, lSeq, pos, where, true)) return SAN_DROP;
    const seqAt = at + 4 * nCigar;
    this.countMismatches(pos, (q) => (buf[seqAt + (q >> 1)]! >> (q & 1 ? 0 : 4)) & 0xf);
    const n = this.hasSeq ? this.plan!.length : 0;
    return 4 * this.plan!.cigar.length + ((n + 1) >> 1) + n + 3 + 4 + 3 + this.tags.md.length + 1;
  }

  /**
   * Write CIGAR, SEQ and QUAL of the prepared record at `p` of `o` and fix
   * n_cigar_op, l_seq and bin in its core at `core`; returns the new end.
   * `buf`/`base` is the original record (its qualities are read).
   */
  writeBamBody(buf: Buffer, base: number, o: Buffer, core: number, p: number): number {
    const plan = this.plan!;
    const lName = buf[base + CORE.lReadName]!;
    const lSeq = buf.readInt32LE(base + CORE.lSeq);
    const qualAt = base + 32 + lName + 4 * buf.readUInt16LE(base + CORE.nCigarOp) + ((lSeq + 1) >> 1);
    for (const c of plan.cigar) { o.writeUInt32LE(c >>> 0, p); p += 4; }
    const n = this.hasSeq ? plan.length : 0;
    for (let i = 0; i < n; i += 2) {
      const hi = NT16[this.bases[i]!]!;
      const lo = i + 1 < n ? NT16[this.bases[i + 1]!]! : 0;
      o[p++] = (hi << 4) | lo;
    }
    if (n > 0 && buf[qualAt] === 0xff) { o.fill(0xff, p, p + n); p += n; }
    else for (let i = 0; i < n; i++) o[p++] = buf[qualAt + plan.qualFrom[i]!]!;
    o.writeUInt16LE(plan.cigar.length, core + CORE.nCigarOp);
    o.writeInt32LE(n, core + CORE.lSeq);
    const pos = buf.readInt32LE(base + CORE.pos);
    o.writeUInt16LE(reg2bin(pos, pos + Math.max(1, plan.refSpan)), core + CORE.bin);
    return p;
  }

  /** NM and MD of the prepared record as BAM aux fields (nothing for SEQ '*'). */
  writeTags(o: Buffer, p: number): number {
    if (!this.hasSeq) return p;
    const { nm, md } = this.tags;
    o[p] = 0x4e; o[p + 1] = 0x4d; // NM
    if (nm < 256) { o[p + 2] = 0x43; o[p + 3] = nm; p += 4; }
    else { o[p + 2] = 0x49; o.writeUInt32LE(nm, p + 3); p += 7; }
    o[p] = 0x4d; o[p + 1] = 0x44; o[p + 2] = 0x5a; // MD:Z
    p += 3;
    p += o.write(md, p, 'latin1');
    o[p++] = 0;
    return p;
  }

  /**
   * SAM record columns (strings as read): SAN_DROP, SAN_AS_IS, or the new
   * CIGAR, SEQ, QUAL and the NM/MD fields (with leading tabs) to append.
   */
  prepareSam(flag: number, pos1: number, cigarText: string, seq: string, qual: string, where: string):
    typeof SAN_DROP | typeof SAN_AS_IS | { cigar: string; seq: string; qual: string; tags: string } {
    if (!this.kept(flag)) return SAN_DROP;
    if (flag & 4) { this.report.unmappedKept++; return SAN_AS_IS; }
    const cigar = parseCigarText(cigarText);
    if (!cigar) {
      if (cigarText === '*') { this.report.recordsDropped.noAlignedBase++; return SAN_DROP; }
      throw new NodeError('GENOFED_SAM_FORMAT', `${where}: CIGAR is malformed`);
    }
    const seqLength = seq === '*' ? 0 : seq.length;
    if (!this.build(cigar, seqLength, pos1 - 1, where, false)) return SAN_DROP;
    this.countMismatches(pos1 - 1, (q) => NT16[seq.charCodeAt(q)]!);
    const plan = this.plan!;
    if (!this.hasSeq) return { cigar: formatCigar(plan.cigar), seq: '*', qual: '*', tags: '' };
    let newQual = '*';
    if (qual !== '*') {
      if (qual.length !== seqLength) throw new NodeError('GENOFED_SAM_FORMAT', `${where}: QUAL and SEQ lengths differ`);
      const q = Buffer.allocUnsafe(plan.length);
      for (let i = 0; i < plan.length; i++) q[i] = qual.charCodeAt(plan.qualFrom[i]!);
      newQual = q.toString('latin1');
    }
    return { cigar: formatCigar(plan.cigar), seq: this.bases.toString('latin1'), qual: newQual, tags: `\tNM:i:${this.tags.nm}\tMD:Z:${this.tags.md}` };
  }
}
