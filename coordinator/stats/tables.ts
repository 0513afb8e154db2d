/**
 * The count tables a case-control test reads, as the coordinator gets them
 * from decrypted network totals. Orientation throughout: A1 is the ALT
 * allele (PLINK's A1 under --keep-allele-order), A2 the REF allele; rows are
 * cases then controls.
 */

/** The 2x2 allele table of one variant. */
export interface AlleleTable {
  /** ALT alleles among cases (PLINK: A1 count in cases). */
  readonly caseA1: number;
  /** REF alleles among cases. */
  readonly caseA2: number;
  /** ALT alleles among controls. */
  readonly controlA1: number;
  /** REF alleles among controls. */
  readonly controlA2: number;
}

/** Genotype counts of one group (missing genotypes are not counted). */
export interface GenotypeCounts {
  readonly homRef: number;
  readonly het: number;
  readonly homAlt: number;
}

/** The 2x3 genotype table of one variant (diploid calls). */
export interface GenotypeTable {
  readonly cases: GenotypeCounts;
  readonly controls: GenotypeCounts;
}

/** Why: the allelic tests read alleles; each diploid genotype contributes two. */
export function alleleTableFromGenotypes(g: GenotypeTable): AlleleTable {
  checkGenotypes(g);
  return {
    caseA1: g.cases.het + 2 * g.cases.homAlt,
    caseA2: g.cases.het + 2 * g.cases.homRef,
    controlA1: g.controls.het + 2 * g.controls.homAlt,
    controlA2: g.controls.het + 2 * g.controls.homRef,
  };
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** Why: a count that is negative or fractional is a caller's bug (totals are rounded and clamped before statistics); no value is echoed. */
export function checkAlleles(t: AlleleTable): void {
  if (!isCount(t.caseA1) || !isCount(t.caseA2) || !isCount(t.controlA1) || !isCount(t.controlA2)) {
    throw new RangeError('allele table: every count must be a non-negative safe integer');
  }
}

export function checkGenotypes(g: GenotypeTable): void {
  for (const c of [g.cases, g.controls]) {
    if (!isCount(c.homRef) || !isCount(c.het) || !isCount(c.homAlt)) {
      throw new RangeError('genotype table: every count must be a non-negative safe integer');
    }
  }
}
