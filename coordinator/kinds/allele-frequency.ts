/**
 * Allele frequencies at the coordinator: a region (phase 1 union) or a
 * researcher's list, optionally a cohort and strata; network totals ->
 * rows (all-sample rows first, then one block per stratum cell) with
 * disclosure control on every row.
 */
import { alleleCounts, withSites, type AlleleCountsParams } from '../../proto/kinds/allele-counts.js';
import { canonicalStrata, strataCells, unpackAlleleCounts, variantListDigestHex } from '../../proto/query.js';
import { canonicalRegions } from '../../proto/region.js';
import { parseRsId, variantMatchKey, type VariantKey, type VariantListItem } from '../../proto/variant.js';
import { MAX_RS_IDS } from '../../proto/kinds/rsid-keys.js';
import { applyAlleleFrequencyPolicy, withStrataWithheld } from '../disclosure/index.js';
import { CoordinatorError } from '../errors.js';
import { isRsIdRef, type AlleleFrequencyAnswer, type AlleleFrequencyRequest, type VariantItemRef } from '../federation/types.js';
import { excludedGroups, groupMaxima, releasedFaf95 } from './group-maxima.js';
import type { CoordinatorKind, Plan } from './kind.js';

type Body = Pick<AlleleFrequencyAnswer, 'rows' | 'groupMaxima'> & { readonly disclosure: NonNullable<AlleleFrequencyAnswer['disclosure']> };

/**
 * The plan of a researcher's list: the keys as given, or, when it names
 * variants by rs id, the items for the engine's lookup (at most
 * MAX_RS_IDS distinct ids).
 */
export function planList(variants: readonly VariantItemRef[]): Plan {
  if (!variants.some(isRsIdRef)) return { variants: dedupeKeys(variants as readonly VariantKey[]) };
  const items: VariantListItem[] = variants.map((v, i) => (isRsIdRef(v) ? { kind: 'rsid', rsId: parseRsId(v.rsId, `variants item ${i + 1}`) } : { kind: 'key', key: v }));
  if (new Set(items.flatMap((x) => (x.kind === 'rsid' ? [x.rsId] : []))).size > MAX_RS_IDS) throw new CoordinatorError('GENOFED_QUERY_INVALID', `variants: at most ${MAX_RS_IDS} distinct rs ids per query`);
  return { lookup: items };
}

/** A requested list keeps its order; repeated keys (alias-aware) are asked once. */
export function dedupeKeys(keys: readonly VariantKey[]): VariantKey[] {
  const seen = new Set<string>();
  const out: VariantKey[] = [];
  for (const k of keys) {
    const m = variantMatchKey(k);
    if (!seen.has(m)) { seen.add(m); out.push({ chrom: k.chrom, pos: k.pos, ref: k.ref, alt: k.alt }); }
  }
  return out;
}

export const alleleFrequency: CoordinatorKind<AlleleFrequencyRequest, Body> = {
  spec: alleleCounts,

  plan(req) {
    if ((req.region === undefined) === (req.variants === undefined)) throw new CoordinatorError('GENOFED_QUERY_INVALID', 'region, variants: give exactly one');
    // A region list as bcftools -r takes it (one region, a whole contig, comma-separated), signed in canonical form.
    if (req.region !== undefined) return { region: canonicalRegions(req.region) };
    return planList(req.variants!);
  },

  params(req, list, ctx): AlleleCountsParams {
    if (req.grpmaxExclude !== undefined) {
      if (!req.by?.length) throw new CoordinatorError('GENOFED_QUERY_INVALID', 'grpmaxExclude: needs by (grpmax is over the groups of the first by column)');
      const cells = strataCells(ctx.schema, req.by);
      excludedGroups(req.grpmaxExclude, canonicalStrata(ctx.schema, req.by)[0]!, [...new Set(cells.map((c) => String(c.values[0])))]);
    }
    return {
      kind: 'allele-counts', cohort: req.cohort ?? '', variantCount: list.length, variantsSha256: variantListDigestHex(list),
      strata: canonicalStrata(ctx.schema, req.by ?? []), region: req.region !== undefined ? canonicalRegions(req.region) : '',
    };
  },

  empty: (req, ctx) => ({
    rows: [],
    groupMaxima: req.by?.length ? groupMaxima([], canonicalStrata(ctx.schema, req.by), strataCells(ctx.schema, req.by), [], req.grpmaxExclude) : null,
    disclosure: applyAlleleFrequencyPolicy([], ctx.policy).disclosure,
  }),

  answer(totals, { req, params, list, ctx, withheld, noise }) {
    const p = params as AlleleCountsParams;
    const V = list.length;
    const cells = strataCells(ctx.schema, p.strata);
    const blocks = [{ values: p.strata.map(() => 'all') }, ...cells.map((c) => ({ values: c.values.map(String) }))];
    // Over a researcher's list the nodes also count the sites holding each record: `exists` says whether any does
    // (under DP that count is noisy: exists is then null). A region's union holds only observed records.
    const sitesCounted = withSites(p);
    const n = sitesCounted ? 4 : 3;
    const all = unpackAlleleCounts(totals.subarray(0, n * V), V, sitesCounted);
    const exists = (i: number): boolean | null => (!sitesCounted ? true : noise ? null : all[i]!.sites! > 0);
    const raw = blocks.flatMap((b, bi) => {
      // A stratum the nodes withheld (1..k-1 people network-wide) has no rows.
      if (withheld.has(bi)) return [];
      const counts = bi === 0 ? all : unpackAlleleCounts(totals.subarray(bi * n * V, (bi + 1) * n * V), V, sitesCounted);
      return list.map((v, i) => {
        const c = counts[i]!;
        return {
          ...(p.strata.length ? { strata: Object.fromEntries(p.strata.map((s, j) => [s, b.values[j]!])) } : {}),
          chrom: v.chrom, pos: v.pos, ref: v.ref, alt: v.alt, ac: c.ac, an: c.an, af: c.an > 0 ? c.ac / c.an : null, nhomalt: c.nhomalt, exists: exists(i),
        };
      });
    });
    // Disclosure control on the network totals (after any noise: post-processing).
    // gnomAD's derived fields come from released values only (group-maxima.ts).
    const rows = applyAlleleFrequencyPolicy(raw, ctx.policy);
    const released = rows.rows.map((r) => ({ ...r, faf95: releasedFaf95(r.ac, r.an) }));
    const strata = [...withheld].sort((a, b) => a - b).map((i) => cells[i - 1]!.label);
    let maxima = null;
    if (p.strata.length > 0) {
      // Released rows are block after block (withheld blocks absent), V rows each.
      const byCell: (typeof released | undefined)[] = [];
      let at = V; // after the all-sample block
      for (let ci = 0; ci < cells.length; ci++) {
        if (withheld.has(ci + 1)) { byCell.push(undefined); continue; }
        byCell.push(released.slice(at, at + V));
        at += V;
      }
      maxima = groupMaxima(list, p.strata, cells, byCell, req.grpmaxExclude);
    }
    return { rows: released, groupMaxima: maxima, disclosure: withStrataWithheld(rows.disclosure, strata, strata.length * V) };
  },
};
