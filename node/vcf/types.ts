/**
 * What the VCF reader yields to the store. Genotypes are sparse: a sample
 * whose genotype is a fully called diploid hom-ref (0/0 or 0|0) is implicit,
 * every other sample (het, hom-alt, haploid, partially or fully missing,
 * any ploidy) is listed. In 1000 Genomes data most genotypes are 0|0, so
 * this keeps the hot path and the store small.
 */

export interface VcfContig {
  readonly id: string;
  readonly length?: number;
}

export interface VcfHeader {
  /** e.g. 'VCFv4.2' */
  readonly fileformat: string;
  /** Sample ids in column order (never logged or put in messages). */
  readonly samples: readonly string[];
  readonly contigs: readonly VcfContig[];
  /** Assembly name from ##reference / ##contig assembly=, if any (e.g. 'GRCh37'). */
  readonly assembly?: string;
  /** All header lines (without the trailing newline), including #CHROM. */
  readonly lines: readonly string[];
}

/** Allele codes inside `alleles`: */
export const ALLELE_MISSING = -1; // '.'

export interface VcfVariant {
  readonly chrom: string;
  /** 1-based POS. */
  readonly pos: number;
  readonly id: string;
  readonly ref: string;
  /** ALT alleles; symbolic ones (<DEL>, <CN0>, <*>, <NON_REF>) kept as written. Empty when ALT is '.'. */
  readonly alts: readonly string[];
  /** 1-based line number in the decompressed file, for error messages. */
  readonly line: number;
  /**
   * Samples not implicit (see above), in increasing sample index order.
   * For the k-th listed sample: `sample[k]` is its column index, its
   * genotype's alleles are `alleles[offset[k] .. offset[k+1])` (ploidy =
   * offset[k+1]-offset[k]; 0 when GT is absent or '.' for a sample with no
   * genotype at all), each an allele index (0 = REF, 1.. = ALT) or
   * ALLELE_MISSING.
   */
  readonly sample: Int32Array;
  readonly offset: Int32Array; // length sample.length + 1
  readonly alleles: Int16Array;
}
