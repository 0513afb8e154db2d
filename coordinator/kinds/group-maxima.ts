/**
 * gnomAD's derived frequency fields over the RELEASED strata of an
 * allele-frequency answer: `faf95` per row, and per variant `grpmax` and
 * `faf95_max` over the groups of the first `--by` column (coordinator/stats
 * has the definitions and their oracles).
 *
 * Everything here is computed from values disclosure control has already
 * released, never from the decrypted totals: a group is a candidate only
 * when every one of its cells was released with numeric AC and AN (with
 * `--by super_pop,gender` a group's counts are the sum of its `gender`
 * cells), so nothing withheld can be recovered from a maximum.
 */
import type { StratumCell } from '../../proto/query.js';
import { CoordinatorError } from '../errors.js';
import type { AlleleFrequencyRow, GroupMaxima, GroupMaximaRow, ReleasedCount, VariantRef } from '../federation/types.js';
import { faf95, fafMax, GNOMAD_EXCLUDED_STRATA, grpmax, type StratumCounts } from '../stats/index.js';

/** faf95 of a released row: null when AC or AN is withheld (or not a possible pair, e.g. after rounding). */
export function releasedFaf95(ac: ReleasedCount, an: ReleasedCount): number | null {
  if (typeof ac !== 'number' || typeof an !== 'number' || !Number.isSafeInteger(ac) || !Number.isSafeInteger(an) || ac < 0 || ac > an || an === 0) return null;
  return faf95(ac, an);
}

/**
 * The excluded groups: the researcher's list (each must be a value of the
 * group column: a typo would silently exclude nothing) or gnomAD's default.
 */
export function excludedGroups(exclude: readonly string[] | undefined, column: string, values: readonly string[]): string[] {
  if (exclude === undefined) return [...GNOMAD_EXCLUDED_STRATA];
  const known = new Set(values.map((v) => v.toLowerCase()));
  for (const e of exclude) {
    if (!known.has(e.toLowerCase())) throw new CoordinatorError('GENOFED_QUERY_INVALID', `grpmaxExclude: '${e}' is not a value of '${column}' (values: ${values.join(', ')})`);
  }
  return [...exclude];
}

interface Sum { ac: number; an: number; nhomalt: number | null; ok: boolean }

/**
 * Per variant of `list`, the group maxima over the groups of the first
 * stratification column. `rowsByCell` holds the released rows of each
 * cell (in `cells` order; undefined for a withheld cell), V rows each in
 * list order.
 */
export function groupMaxima(
  list: { readonly length: number; at(i: number): VariantRef | undefined },
  strata: readonly string[],
  cells: readonly StratumCell[],
  rowsByCell: readonly (readonly AlleleFrequencyRow[] | undefined)[],
  exclude: readonly string[] | undefined,
): GroupMaxima {
  const column = strata[0]!;
  const groups = [...new Set(cells.map((c) => String(c.values[0])))];
  const excluded = excludedGroups(exclude, column, groups);
  const rows: GroupMaximaRow[] = Array.from({ length: list.length }, (_, i) => {
    const v = list.at(i)!;
    const sums = new Map<string, Sum>(groups.map((g) => [g, { ac: 0, an: 0, nhomalt: 0, ok: true }]));
    cells.forEach((cell, ci) => {
      const s = sums.get(String(cell.values[0]))!;
      const r = rowsByCell[ci]?.[i];
      if (!r || typeof r.ac !== 'number' || typeof r.an !== 'number') { s.ok = false; return; }
      s.ac += r.ac;
      s.an += r.an;
      s.nhomalt = s.nhomalt !== null && typeof r.nhomalt === 'number' ? s.nhomalt + r.nhomalt : null;
    });
    const candidates = new Map<string, StratumCounts>();
    for (const [g, s] of sums) if (s.ok && Number.isSafeInteger(s.ac) && s.ac <= s.an) candidates.set(g, { ac: s.ac, an: s.an });
    const top = grpmax(candidates, { exclude: excluded });
    const faf = fafMax(candidates, { exclude: excluded });
    return {
      chrom: v.chrom, pos: v.pos, ref: v.ref, alt: v.alt,
      grpmax: top ? { group: top.stratum, ac: top.ac, an: top.an, af: top.af, nhomalt: sums.get(top.stratum)!.nhomalt } : null,
      faf95_max: faf ? { group: faf.stratum, faf95: faf.faf } : null,
    };
  });
  return { column, exclude: excluded, rows };
}
