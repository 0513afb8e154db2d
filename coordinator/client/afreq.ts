/**
 * `genofed query af --format afreq`: the allele-frequency answer as PLINK
 * 2's `--freq` report (`.afreq`), so a network total drops in where a
 * pipeline reads one: header `#CHROM ID REF ALT ALT_FREQS OBS_CT`
 * (plink2 v2.00a3 with default columns), one line per ALT allele (as
 * plink2 on a `bcftools norm -m-` split file), ID = `CHR:POS:REF:ALT` (what
 * plink2 writes after `--set-all-var-ids @:#:$r:$a`: the answer has no rs
 * ids), ALT_FREQS = AC/AN with 6 significant digits (plink2's precision),
 * OBS_CT = AN (allele observations). A value disclosure control withheld,
 * or AF where AN is 0, is `NA` (PLINK's missing value). No strata: one
 * table per cohort (`--cohort`); the stratified forms are TSV, wide and VCF.
 */
import type { AlleleFrequencyRow } from '../federation/types.js';
import { formatAf } from './format.js';

export const AFREQ_HEADER = '#CHROM\tID\tREF\tALT\tALT_FREQS\tOBS_CT';

/** Why: one `.afreq` line per row (the all-sample rows of an answer without strata). */
export function afreqLine(r: AlleleFrequencyRow): string {
  const freq = typeof r.ac === 'number' && typeof r.an === 'number' && r.an > 0 ? formatAf(r.af, r.an) : 'NA';
  return `${r.chrom}\t${r.chrom}:${r.pos}:${r.ref}:${r.alt}\t${r.ref}\t${r.alt}\t${freq === '.' ? 'NA' : freq}\t${typeof r.an === 'number' ? r.an : 'NA'}\n`;
}

/** Why: the report over rows as they arrive (the CLI streams the answer), header first even when there is no row. */
export async function* afreqAsync(rows: AsyncIterable<AlleleFrequencyRow>): AsyncGenerator<string> {
  yield `${AFREQ_HEADER}\n`;
  for await (const r of rows) yield afreqLine(r);
}
