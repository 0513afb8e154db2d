/**
 * The variant-key query family: the distinct (chrom, pos, ref, alt) keys a
 * region holds, in store order (contig, pos, then REF and ALT by code
 * unit): what the node lists to the coordinator for a region's union.
 */
import { mergeRegions, type Region } from '../../proto/region.js';
import type { VariantKey } from '../../proto/variant.js';
import { contigName } from './catalog.js';
import type { QueryContext } from './record-scan.js';

/** Keys of one region, or of a list (merged: each key once, in mergeRegions order). */
export async function variantKeys(ctx: QueryContext, region: Region | readonly Region[]): Promise<VariantKey[]> {
  const out: VariantKey[] = [];
  const seen = new Set<string>();
  let groupKey = '';
  let group: VariantKey[] = [];
  const flush = (): void => {
    group.sort((x, y) => (x.ref < y.ref ? -1 : x.ref > y.ref ? 1 : x.alt < y.alt ? -1 : x.alt > y.alt ? 1 : 0));
    out.push(...group);
    group = [];
    seen.clear();
  };
  const regions = 'chrom' in region ? [region as Region] : mergeRegions(region as readonly Region[]);
  for (const r of regions) {
    await ctx.records.scanRegion(r, 'keys', (contig, pos, ref, alts) => {
      const gk = `${contig}:${pos}`;
      if (gk !== groupKey) { flush(); groupKey = gk; }
      const chrom = contigName(ctx.catalog, contig);
      for (const alt of alts) {
        const k = `${ref}\t${alt}`;
        if (seen.has(k)) continue;
        seen.add(k);
        group.push({ chrom, pos, ref, alt });
      }
    });
    flush();
  }
  return out;
}
