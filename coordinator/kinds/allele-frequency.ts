/**
 * Allele frequencies at the coordinator: a region (phase 1 union) or a
 * researcher's list, optionally a cohort and strata; network totals ->
 * rows (all-sample rows first, then one block per stratum cell) with
 * disclosure control on every row. The rows follow slot order, so they can
 * be released piece by piece as the sites' chunks complete (`begin`);
 * `answer` is the same over all totals at once.
 */
import { alleleCounts, withSites, type AlleleCountsParams } from '../../proto/kinds/allele-counts.js';
import { canonicalStrata, strataCells, variantListDigestHex } from '../../proto/query.js';
import { canonicalRegions } from '../../proto/region.js';
import { parseRsId, variantMatchKey, type VariantKey, type VariantListItem } from '../../proto/variant.js';
import { MAX_RS_IDS } from '../../proto/kinds/rsid-keys.js';
import { AlleleCountRelease, applyAlleleFrequencyPolicy, withStrataWithheld } from '../disclosure/index.js';
import { CoordinatorError } from '../errors.js';
import { isRsIdRef, type AlleleFrequencyAnswer, type AlleleFrequencyRequest, type AlleleFrequencyRow, type VariantItemRef } from '../federation/types.js';
import { excludedGroups, groupMaxima, releasedFaf95 } from './group-maxima.js';
import type { Plan, StreamingKind } from './kind.js';

type Row = AlleleFrequencyRow;
type Body = Pick<AlleleFrequencyAnswer, 'groupMaxima'> & { readonly disclosure: NonNullable<AlleleFrequencyAnswer['disclosure']> };

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

export const alleleFrequency: StreamingKind<AlleleFrequencyRequest, Row, Body> = {
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

  answer(totals, x) {
    const w = alleleFrequency.begin(x);
    const rows = w.rows(totals, 0);
    return { rows, ...w.end() };
  },

  begin({ req, params, list, ctx, withheld, noise }) {
    const p = params as AlleleCountsParams;
    const V = list.length;
    const cells = strataCells(ctx.schema, p.strata);
    const blocks = [{ values: p.strata.map(() => 'all') }, ...cells.map((c) => ({ values: c.values.map(String) }))];
    // Over a researcher's list the nodes also count the sites holding each record: `exists` says whether any does
    // (under DP that count is noisy: exists is then null). A region's union holds only observed records.
    const sitesCounted = withSites(p);
    const n = sitesCounted ? 4 : 3;
    // The all-sample block comes first in slot order: its sites counts serve every block's `exists`.
    const allSites = sitesCounted && p.strata.length > 0 ? new Float64Array(V) : undefined;
    // gnomAD's group maxima need every cell's released rows (strata only).
    const byCell: (Row[] | undefined)[] = cells.map((_, ci) => (withheld.has(ci + 1) ? undefined : []));
    // Disclosure control on the network totals (after any noise: post-processing), row by row;
    // gnomAD's derived fields come from released values only (group-maxima.ts).
    const rel = new AlleleCountRelease(ctx.policy);
    const strataOf = blocks.map((b) => (p.strata.length ? Object.fromEntries(p.strata.map((s, j) => [s, b.values[j]!])) : undefined));
    let next = 0;
    return {
      rows(values, firstGroup) {
        if (firstGroup !== next || values.length % n !== 0) throw new CoordinatorError('GENOFED_INTERNAL', 'allele-frequency: totals out of order');
        const groups = values.length / n;
        next += groups;
        const released: Row[] = [];
        for (let g = 0; g < groups; g++) {
          const group = firstGroup + g;
          const bi = Math.floor(group / V);
          const i = group - bi * V;
          const o = g * n;
          if (allSites && bi === 0) allSites[i] = values[o + 3]!;
          // A stratum the nodes withheld (1..k-1 people network-wide) has no rows.
          if (withheld.has(bi)) continue;
          const sites = !sitesCounted ? 1 : allSites ? allSites[i]! : values[o + 3]!;
          const v = list.at(i)!;
          const r = rel.release(values[o]!, values[o + 1]!, values[o + 2]!);
          const strata = strataOf[bi];
          // Field order as the JSON answer has always had it: strata, key, exists, counts, af, faf95.
          const row = {
            ...(strata ? { strata: { ...strata } } : {}),
            chrom: v.chrom, pos: v.pos, ref: v.ref, alt: v.alt, exists: !sitesCounted ? true : noise ? null : sites > 0,
            ac: r.ac, an: r.an, nhomalt: r.nhomalt, af: r.af, faf95: releasedFaf95(r.ac, r.an),
          } as Row;
          if (bi > 0) byCell[bi - 1]!.push(row);
          released.push(row);
        }
        return released;
      },
      end() {
        if (next !== V * blocks.length) throw new CoordinatorError('GENOFED_INTERNAL', `allele-frequency: ${next} of ${V * blocks.length} totals released`);
        const strata = [...withheld].sort((a, b) => a - b).map((i) => cells[i - 1]!.label);
        const maxima = p.strata.length > 0 ? groupMaxima(list, p.strata, cells, byCell, req.grpmaxExclude) : null;
        const all = rel.note();
        return { groupMaxima: maxima, disclosure: withStrataWithheld(all, strata, strata.length * V) };
      },
    };
  },
};
