/**
 * The demo's stratified allele frequencies: one `allele-frequency` query
 * with strata `by: super_pop` per region, through the REST API as
 * `genofed query af --by super_pop` sends it; all rows go to
 * DIR/af-strata.tsv, the first few common variants are printed in long
 * format (one row per stratum, with gnomAD's faf95) and with their grpmax
 * and faf95_max, and the printed rows are checked against counts made per
 * stratum from the unsplit input.
 */
import type { ApiClient } from '../client/api-client.js';
import { disclosureLine, formatAf, formatFreq } from '../client/format.js';
import { applyAlleleFrequencyPolicy, type DisclosurePolicy } from '../disclosure/index.js';
import type { AlleleFrequencyRow, GroupMaximaRow, ReleasedCount } from '../federation/types.js';
import { faf95, fafMax, grpmax, type StratumCounts } from '../stats/index.js';
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
  /** grpmax and faf95_max of the printed variants, and the groups the coordinator left out of them. */
  readonly shownMaxima: readonly GroupMaximaRow[];
  readonly excluded: readonly string[];
}

/** True when the table has the strata columns (the 1000G panel does; a user's table may not). */
export function hasStrataColumns(table: PhenotypeTable): boolean {
  return STRATA_BY.every((c) => table.columns.some((x) => x.name === c));
}

export async function queryStrata(api: ApiClient, regions: readonly string[], guard: <T>(p: Promise<T>) => Promise<T>, signal: AbortSignal, log: (l: string) => void): Promise<StrataSection> {
  const rows: AlleleFrequencyRow[] = [];
  const maxima: GroupMaximaRow[] = [];
  let excluded: readonly string[] = [];
  for (const region of regions) {
    const answer = await guard(api.alleleFrequency({ region, by: [...STRATA_BY] }, signal));
    rows.push(...answer.rows);
    maxima.push(...(answer.groupMaxima?.rows ?? []));
    excluded = answer.groupMaxima?.exclude ?? excluded;
    log(`demo: allele-frequency ${region} by ${STRATA_BY.join(',')}: ${answer.rows.length} rows (query ${answer.queryId})`);
    const note = disclosureLine(answer);
    if (note) log(`demo: ${note}`);
  }
  const isAll = (r: AlleleFrequencyRow): boolean => Object.values(r.strata ?? {}).every((v) => v === 'all');
  const picked = new Set(rows.filter((r) => isAll(r) && typeof r.af === 'number' && r.af >= SHOWN_MIN_AF).slice(0, STRATA_SHOWN).map(comparisonKey));
  // Grouped by variant, strata in answer order (all samples first).
  const shown = [...picked].flatMap((key) => rows.filter((r) => comparisonKey(r) === key));
  const shownMaxima = maxima.filter((m) => picked.has(comparisonKey(m)));
  return { by: [...STRATA_BY], regions, rows, shown, shownMaxima, excluded };
}

export function printStrata(s: StrataSection, log: (l: string) => void): void {
  const cells = new Set(s.rows.map((r) => Object.values(r.strata ?? {}).join(','))).size;
  const variants = s.rows.length / Math.max(1, cells);
  log('');
  log(`== allele frequency by ${s.by.join(' x ')} (${s.regions.join(', ')}): ${variants} variants x ${cells} strata (all samples, then each cell) = ${s.rows.length} rows in af-strata.tsv; the first ${STRATA_SHOWN} variants with AF >= ${SHOWN_MIN_AF}:`);
  const cols = [...s.by, 'chrom', 'pos', 'ref', 'alt', 'ac', 'an', 'af', 'nhomalt', 'faf95'];
  const cell = (r: AlleleFrequencyRow): string[] => [
    ...s.by.map((c) => r.strata?.[c] ?? ''), r.chrom, String(r.pos), clip(r.ref), clip(r.alt), String(r.ac), String(r.an), formatAf(r.af, r.an), String(r.nhomalt), formatFreq(r.faf95),
  ];
  for (const l of tableLines(cols, s.shown.map(cell))) log(l);
  log(`  gnomAD's group maxima over the ${s.by[0]} groups (released cells only${s.excluded.length ? `; ${s.excluded.join(', ')} left out as in gnomAD` : ''}):`);
  for (const m of s.shownMaxima) {
    const top = m.grpmax ? `grpmax ${m.grpmax.group} AF ${formatFreq(m.grpmax.af)} (${m.grpmax.ac}/${m.grpmax.an})` : 'grpmax none';
    log(`    ${m.chrom}:${m.pos} ${clip(m.ref)}>${clip(m.alt)}: ${top}, ${m.faf95_max ? `faf95_max ${m.faf95_max.group} ${formatFreq(m.faf95_max.faf95)}` : 'faf95_max none'}`);
  }
}

/** faf95 as the answer releases it: from numeric AC and AN only. */
function releasedFaf(ac: ReleasedCount, an: ReleasedCount): number | null {
  return typeof ac === 'number' && typeof an === 'number' && an > 0 && ac <= an ? faf95(ac, an) : null;
}

/**
 * Mismatches between the printed rows and per-stratum counts of the
 * unsplit input (`records`: their VCF lines) under the same disclosure
 * policy (AC, AN, nhomalt, and faf95 from the released counts); the
 * all-sample rows against the whole-input reference; and each printed
 * grpmax / faf95_max against coordinator/stats over the plaintext cells
 * that are released. Shows up to 5; every printed row must be found.
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
  const show = (l: string): void => {
    if (bad <= 5) log(`demo: MISMATCH ${l}`);
  };
  const candidates = new Map<string, Map<string, StratumCounts>>();
  for (const r of s.shown) {
    const key = comparisonKey(r);
    const label = s.by.map((c) => r.strata?.[c] ?? '').join(',');
    const i = index.get(label);
    const raw = i === undefined ? reference.get(key) : counts.get(key)?.[i];
    const what = `${r.chrom}:${r.pos} ${r.ref}>${r.alt} [${label}]`;
    if (!raw) {
      bad += 1;
      show(`${what}: no plaintext count for this stratified row`);
      continue;
    }
    const e = applyAlleleFrequencyPolicy([raw], policy).rows[0]!;
    const faf = releasedFaf(e.ac, e.an);
    if (e.ac !== r.ac || e.an !== r.an || e.nhomalt !== r.nhomalt || faf !== r.faf95) {
      bad += 1;
      show(`${what}: federated ac/an/nhomalt/faf95 ${r.ac}/${r.an}/${r.nhomalt}/${formatFreq(r.faf95)}, plaintext ${e.ac}/${e.an}/${e.nhomalt}/${formatFreq(faf)}`);
    }
    // A group is a grpmax candidate when its cell was released with numeric AC and AN (one column: group = cell).
    if (i !== undefined && typeof e.ac === 'number' && typeof e.an === 'number') {
      if (!candidates.has(key)) candidates.set(key, new Map());
      candidates.get(key)!.set(label, { ac: e.ac, an: e.an });
    }
  }
  if (s.by.length === 1) {
    for (const m of s.shownMaxima) {
      const c = candidates.get(comparisonKey(m)) ?? new Map<string, StratumCounts>();
      const top = grpmax(c, { exclude: s.excluded });
      const faf = fafMax(c, { exclude: s.excluded });
      const want = `${top ? `${top.stratum} ${top.ac}/${top.an}` : 'none'}, ${faf ? `${faf.stratum} ${faf.faf}` : 'none'}`;
      const got = `${m.grpmax ? `${m.grpmax.group} ${m.grpmax.ac}/${m.grpmax.an}` : 'none'}, ${m.faf95_max ? `${m.faf95_max.group} ${m.faf95_max.faf95}` : 'none'}`;
      if (want !== got) {
        bad += 1;
        show(`${m.chrom}:${m.pos} ${m.ref}>${m.alt}: federated grpmax, faf95_max ${got}; from the plaintext cells ${want}`);
      }
    }
  }
  return bad;
}
