/**
 * The checks `verify sam|bam --sanitize --reference REF` adds to
 * `verifyAlignment`: each output record is compared with the reference
 * directly (its bases, its NM/MD as `samtools calmd` computes them) and with
 * its original (the reference positions it covers, hence depth), and the
 * original's records the output must not hold (unmapped, secondary,
 * supplementary unless kept) are left out of the record pairing.
 *
 * Details name positions (`contig:pos`, 1-based) and record numbers, never a
 * base or a read name.
 */
import { cappedPositions, type CheckResult } from '../checks.js';
import type { AlignmentRecord } from './alignment-records.js';
import { ReferenceFasta } from './reference-fasta.js';
import {
  calmdTags, coveredBlocks, formatCigar, OP_M, OP_N, parseCigarText, planSanitized, referenceBases,
  SANITIZE_DROPPED_TAGS, SANITIZE_RECOMPUTED_TAGS, sanitizeVerdict, type SanitizeKeep,
} from './sanitize.js';

/** `--sanitize` as given to verify: the reference and the keep options used when pseudonymizing. */
export type VerifySanitizeOptions = SanitizeKeep & { reference: string };

const SANITIZE_TAGS = new Set<string>([...SANITIZE_DROPPED_TAGS, ...SANITIZE_RECOMPUTED_TAGS]);

/** One rule's tally: how many records it applied to, how many failed, where the first failures are. */
class Tally {
  targets = 0;
  failed = 0;
  readonly where: string[] = [];
  add(ok: boolean, where: string): void {
    this.targets++;
    if (ok) return;
    this.failed++;
    if (this.where.length < 100) this.where.push(where);
  }
  result(name: string): CheckResult {
    return {
      name, ok: this.failed === 0, targets: this.targets, masked: this.targets - this.failed,
      detail: this.failed ? `${this.failed} of ${this.targets} records, first at ${this.where.slice(0, 3).join(', ')}` : `${this.targets} records`,
      ...(this.failed ? { unmaskedPositions: cappedPositions(this.where) } : {}),
    };
  }
}

/** Accumulates the sanitize checks while verifyAlignment streams both files. */
export class SanitizedChecks {
  private last: AlignmentRecord | null = null;
  private readonly bases = new Tally();
  private readonly cigars = new Tally();
  private readonly depth = new Tally();
  private readonly calmd = new Tally();
  private readonly dropped = new Tally();

  private constructor(private readonly reference: ReferenceFasta, readonly keep: SanitizeKeep) {}

  static async open(options: VerifySanitizeOptions): Promise<SanitizedChecks> {
    return new SanitizedChecks(await ReferenceFasta.open(options.reference), options);
  }

  /**
   * The original record as the sanitized output should hold it (CIGAR,
   * SEQ, QUAL, tags without the sanitize-dropped and recomputed ones), or
   * null when the output must not hold it. Remembers it for `pair`.
   */
  async expected(o: AlignmentRecord): Promise<AlignmentRecord | null> {
    if (sanitizeVerdict(o.flag, this.keep) !== 'keep') return null;
    const tags = o.tags.filter((t) => !SANITIZE_TAGS.has(t.slice(0, 2)));
    if (o.flag & 4) { this.last = o; return { ...o, tags }; }
    const cigar = parseCigarText(o.cigar);
    const seqLength = o.seq === '*' ? 0 : o.seq.length;
    const plan = cigar ? planSanitized(cigar, seqLength) : 'no-aligned-base';
    if (typeof plan === 'string') return null; // dropped (no aligned base), or a malformed original the rewrite refuses
    const contig = await this.reference.contig(o.ref);
    const bases = referenceBases(plan, contig, o.pos - 1);
    this.last = o;
    const seq = seqLength && bases ? bases.toString('latin1') : '*';
    const qual = seqLength && o.qual !== '*' ? Array.from(plan.qualFrom, (i) => o.qual[i]).join('') : '*';
    return { ...o, cigar: formatCigar(plan.cigar), seq, qual, tags };
  }

  /** Check output record `p` (number `n`) against the reference and against the original last returned by `expected`. */
  async pair(p: AlignmentRecord, n: number): Promise<void> {
    const o = this.last;
    const at = p.ref === '*' ? `record ${n}` : `${p.ref}:${p.pos}`;
    this.dropped.add(sanitizeVerdict(p.flag, this.keep) === 'keep', `record ${n}`);
    if (p.flag & 4) return;
    const cigar = parseCigarText(p.cigar);
    this.cigars.add(cigar !== null && cigar.every((c) => (c & 0xf) === OP_M || (c & 0xf) === OP_N), at);
    const oCigar = o ? parseCigarText(o.cigar) : null;
    this.depth.add(
      cigar !== null && oCigar !== null && o !== null && o.ref === p.ref
        && coveredBlocks(cigar, p.pos - 1).join() === coveredBlocks(oCigar, o.pos - 1).join(),
      at,
    );
    if (!cigar || p.seq === '*') return;
    const contig = await this.reference.contig(p.ref).catch(() => null);
    const seq = Buffer.from(p.seq, 'latin1');
    let same = contig !== null;
    if (contig) {
      let r = p.pos - 1, y = 0;
      for (const c of cigar) {
        const len = c >>> 4;
        if ((c & 0xf) === OP_M) {
          if (r + len > contig.length || !seq.subarray(y, y + len).equals(contig.subarray(r, r + len))) same = false;
          y += len;
        }
        r += len;
      }
      if (y !== seq.length) same = false;
    }
    this.bases.add(same, at);
    if (!contig) { this.calmd.add(false, at); return; }
    const want = calmdTags(seq, cigar, contig, p.pos - 1);
    const nm = p.tags.find((t) => t.startsWith('NM:'));
    const md = p.tags.find((t) => t.startsWith('MD:'));
    this.calmd.add(nm === `NM:i:${want.nm}` && md === `MD:Z:${want.md}`, at);
  }

  results(): CheckResult[] {
    return [
      this.dropped.result(`sanitized: no ${[!this.keep.keepUnmapped && 'unmapped', !this.keep.keepSecondary && 'secondary', !this.keep.keepSupplementary && 'supplementary'].filter(Boolean).join(', ') || 'dropped'} records left`),
      this.bases.result('sanitized: every base of every mapped record equals the reference'),
      this.cigars.result('sanitized: CIGAR has only M and N (no clip, insertion, deletion or padding)'),
      this.depth.result('sanitized: depth per position unchanged (each record covers the reference positions its original covered)'),
      this.calmd.result('sanitized: NM and MD equal what samtools calmd computes (NM:i:0 where the reference has no N)'),
    ];
  }

  async close(): Promise<void> {
    await this.reference.close();
  }
}
