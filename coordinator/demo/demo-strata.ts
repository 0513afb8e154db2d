/**
 * The demo's stratified allele frequencies: one `allele-frequency` query
 * with strata `by: super_pop` per region, through the REST API as
 * `genofed query af --by super_pop` sends it; all rows go to
 * DIR/af-strata.tsv, the first few common variants are printed in long
 * format (one row per stratum), and the printed rows are checked against
 * counts made per stratum from the unsplit input.
 */
import type { ApiClient } from '../client/api-client.js';
import { disclosureLine, formatAf } from '../client/format.js';
import { applyAlleleFrequencyPolicy, type DisclosurePolicy } from '../disclosure/index.js';
import type { AlleleFrequencyRow } from '../federation/types.js';
import { clip, tableLines } from './demo-table.js';
import { comparisonKey, countByGroup, type GroupCounts, type PhenotypeTable, type ReferenceRow, type SampleRecord } from './plaintext-reference.js';

/**
 * super_pop alone, not gnomAD's super_pop x gender: the network-wide cells
 * would be large (~250 people each), but each node's differencing guard
 * compares its LOCAL member sets, and with the demo's 3 sample blocks
 * hospital-b holds 38 EAS males and 4 EAS females: the cell `EAS,male` and
 * the association's controls `super_pop = 'EAS'` differ there by 4 < k
 * people, so whichever of the two queries comes second is refused
 * (GENOFED_COHORT_DIFFERENCING). super_pop cells are the association's
 * groups themselves (identical sets are allowed).
 */
export const STRATA_BY = ['super_pop'] as const;
/** Variants printed (6 rows each: all samples, then the 5 super-populations); the rest are in af-strata.tsv. */
export const STRATA_SHOWN = 4;
/** A printed variant is common in the whole panel: rare ones are `<5` in every cell. */
const SHOWN_MIN_AF = 0.05;

export interface StrataSection {
  readonly by: readonly string[];
  readonly regions: readonly string[];
  readonly rows: readonly AlleleFrequencyRow[];
  /** The printed rows (every stratum of the first STRATA_SHOWN common variants). */
  readonly shown: readonly AlleleFrequencyRow[];
}

/** True when the table has the strata columns (the 1000G panel does; a user's table may not). */
export function hasStrataColumns(table: PhenotypeTable): boolean {
  return STRATA_BY.every((c) => table.columns.some((x) => x.name === c));
}

export async function queryStrata(api: ApiClient, regions: readonly string[], guard: <T>(p: Promise<T>) => Promise<T>, signal: AbortSignal, log: (l: string) => void): Promise<StrataSection> {
  const rows: AlleleFrequencyRow[] = [];
  for (const region of regions) {
    const answer = await guard(api.alleleFrequency({ region, by: [...STRATA_BY] }, signal));
    rows.push(...answer.rows);
    log(`demo: allele-frequency ${region} by ${STRATA_BY.join(',')}: ${answer.rows.length} rows (query ${answer.queryId})`);
    const note = disclosureLine(answer);
    if (note) log(`demo: ${note}`);
  }
  const isAll = (r: AlleleFrequencyRow): boolean => Object.values(r.strata ?? {}).every((v) => v === 'all');
  const picked = new Set(rows.filter((r) => isAll(r) && typeof r.af === 'number' && r.af >= SHOWN_MIN_AF).slice(0, STRATA_SHOWN).map(comparisonKey));
  // Grouped by variant, strata in answer order (all samples first).
  const shown = [...picked].flatMap((key) => rows.filter((r) => comparisonKey(r) === key));
  return { by: [...STRATA_BY], regions, rows, shown };
}

/** faf95 (gnomAD's filtering allele frequency) is printed when the answer rows carry it. */
function faf95Of(r: AlleleFrequencyRow): number | null | undefined {
  return (r as { faf95?: number | null }).faf95;
}

export function printStrata(s: StrataSection, log: (l: string) => void): void {
  const cells = new Set(s.rows.map((r) => Object.values(r.strata ?? {}).join(','))).size;
  const variants = s.rows.length / Math.max(1, cells);
  log('');
  log(`== allele frequency by ${s.by.join(' x ')} (${s.regions.join(', ')}): ${variants} variants x ${cells} strata (all samples, then each cell) = ${s.rows.length} rows in af-strata.tsv; the first ${STRATA_SHOWN} variants with AF >= ${SHOWN_MIN_AF}:`);
  const withFaf = s.shown.some((r) => faf95Of(r) !== undefined);
  const cols = [...s.by, 'chrom', 'pos', 'ref', 'alt', 'ac', 'an', 'af', 'nhomalt', ...(withFaf ? ['faf95'] : [])];
  const cell = (r: AlleleFrequencyRow): string[] => {
    const faf = faf95Of(r);
    return [
      ...s.by.map((c) => r.strata?.[c] ?? ''), r.chrom, String(r.pos), clip(r.ref), clip(r.alt), String(r.ac), String(r.an), formatAf(r.af, r.an), String(r.nhomalt),
      ...(withFaf ? [typeof faf === 'number' ? String(Number(faf.toPrecision(4))) : '.'] : []),
    ];
  };
  for (const l of tableLines(cols, s.shown.map(cell))) log(l);
}

/**
 * Mismatches between the printed rows and per-stratum counts of the
 * unsplit input (`records`: their VCF lines) under the same disclosure
 * policy; the all-sample rows against the whole-input reference. Shows up
 * to 5; every printed row must be found.
 */
export function checkStrata(
  s: StrataSection, records: readonly SampleRecord[], table: PhenotypeTable, genotyped: ReadonlySet<string>,
  reference: ReadonlyMap<string, ReferenceRow>, policy: DisclosurePolicy, log: (l: string) => void,
): number {
  const labels = [...new Set(s.shown.map((r) => s.by.map((c) => r.strata?.[c] ?? '').join(',')))].filter((l) => l.split(',').some((v) => v !== 'all'));
  const index = new Map(labels.map((l, i) => [l, i]));
  const groupOf = (id: string): number => {
    const row = table.rows.get(id);
    if (!row || !genotyped.has(id)) return -1;
    return index.get(s.by.map((c) => row[c] ?? '').join(',')) ?? -1;
  };
  const counts = new Map<string, GroupCounts[]>();
  for (const rec of records) for (const [key, c] of countByGroup(rec, labels.length, groupOf)) counts.set(key, c);
  let bad = 0;
  for (const r of s.shown) {
    const key = comparisonKey(r);
    const label = s.by.map((c) => r.strata?.[c] ?? '').join(',');
    const i = index.get(label);
    const raw = i === undefined ? reference.get(key) : counts.get(key)?.[i];
    const what = `${r.chrom}:${r.pos} ${r.ref}>${r.alt} [${label}]`;
    if (!raw) {
      bad += 1;
      if (bad <= 5) log(`demo: MISMATCH ${what}: no plaintext count for this stratified row`);
      continue;
    }
    const e = applyAlleleFrequencyPolicy([raw], policy).rows[0]!;
    if (e.ac !== r.ac || e.an !== r.an || e.nhomalt !== r.nhomalt) {
      bad += 1;
      if (bad <= 5) log(`demo: MISMATCH ${what}: federated ac/an/nhomalt ${r.ac}/${r.an}/${r.nhomalt}, plaintext ${e.ac}/${e.an}/${e.nhomalt}`);
    }
  }
  return bad;
}
