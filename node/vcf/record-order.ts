/**
 * Record order and duplicates. Counting does not need sorted input, but the
 * EBI vcf-validator rejects unsorted files and contigs split into several
 * blocks, and a duplicated variant would be stored twice; strict mode
 * rejects all three, lenient mode counts them as warnings.
 *
 * Duplicates are compared after trimming the bases REF and ALT share at
 * their ends (TAT>TGT at 123 is A>G at 124), per ALT allele, within a
 * sliding window: a record sorted by POS can only duplicate one whose
 * trimmed position is not before its own POS.
 */
import type { Diagnostics } from './vcf-errors.js';

const PLAIN = /^[ACGTNacgtn]+$/;

export class OrderChecker {
  private readonly seenChroms = new Set<string>();
  private lastChrom: string | undefined;
  private lastPos = -1;
  private window = new Map<string, number>();

  constructor(private readonly diag: Diagnostics) {}

  check(chrom: string, pos: number, ref: string, alts: readonly string[], line: number): void {
    // Symbolic assembly contigs (<ctg1>) are not positions on a reference: no order (complexfile_passed_000).
    if (chrom.startsWith('<')) return;
    if (chrom !== this.lastChrom) {
      if (this.seenChroms.has(chrom)) this.diag.violation('GENOFED_VCF_ORDER', line, 'records of one contig are not contiguous');
      this.seenChroms.add(chrom);
      this.lastChrom = chrom;
      this.lastPos = pos;
      this.window.clear();
    } else if (pos < this.lastPos) {
      this.diag.violation('GENOFED_VCF_ORDER', line, 'records are not sorted by POS');
      this.window.clear();
    }
    this.lastPos = pos;
    if (this.window.size > 256) {
      for (const [k, p] of this.window) if (p < pos) this.window.delete(k);
    }
    for (const alt of alts) {
      if (!PLAIN.test(alt) || !PLAIN.test(ref)) continue;
      const key = trimmedKey(pos, ref.toUpperCase(), alt.toUpperCase());
      if (this.window.has(key.key)) {
        this.diag.violation('GENOFED_VCF_ORDER', line, 'variant duplicates an earlier record');
        return;
      }
      this.window.set(key.key, key.pos);
    }
  }
}

function trimmedKey(pos: number, ref: string, alt: string): { key: string; pos: number } {
  let r = ref;
  let a = alt;
  while (r.length > 1 && a.length > 1 && r[r.length - 1] === a[a.length - 1]) {
    r = r.slice(0, -1);
    a = a.slice(0, -1);
  }
  let p = pos;
  while (r.length > 1 && a.length > 1 && r[0] === a[0]) {
    r = r.slice(1);
    a = a.slice(1);
    p += 1;
  }
  return { key: `${p}:${r}>${a}`, pos: p };
}
