/**
 * The variant-key query family: the distinct (chrom, pos, ref, alt) keys a
 * region holds, in store order (contig, pos, then REF and ALT by code
 * unit): what the node lists to the coordinator for a region's union; and
 * the keys of dbSNP rs ids (every ALT allele of the records carrying one).
 */
import { PackedKeyList } from '../../proto/convert/packed-key-list.js';
import { mergeRegions, type Region } from '../../proto/region.js';
import type { VariantKey } from '../../proto/variant.js';
import { contigName } from './catalog.js';
import type { QueryContext } from './record-scan.js';
import { totalsIndexOf } from './allele-counts.js';

/** Keys of one region, or of a list (merged: each key once, in mergeRegions order). */
export async function variantKeys(ctx: QueryContext, region: Region | readonly Region[], scanOnly = false): Promise<VariantKey[]> {
  const regions = 'chrom' in region ? [region as Region] : mergeRegions(region as readonly Region[]);
  if (!scanOnly) {
    // The keys of the all-sample rows (the index holds every allele the scan below lists).
    const index = await totalsIndexOf(ctx);
    if (index) return index.regionKeys(regions);
  }
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

/** The keys variantKeys lists, as the packed lines the listing sends (the totals index writes them without a key object each). */
export async function variantKeyList(ctx: QueryContext, regions: readonly Region[]): Promise<PackedKeyList> {
  const index = await totalsIndexOf(ctx);
  if (index) return index.regionKeysPacked(mergeRegions(regions));
  return PackedKeyList.from(await variantKeys(ctx, regions, true));
}

/** Largest rs-id list asked in one SQL `IN (...)` batch. */
const ID_BATCH = 1000;

/**
 * rs id -> the keys of every ALT allele of every record whose ID column
 * holds it (several records: a multi-allelic site split, or the id at two
 * positions), each key once, in store order. Ids the store does not hold
 * are absent from the map. Ids are matched as written (`rs` lowercase).
 */
export async function resolveRsIds(ctx: QueryContext, ids: readonly string[]): Promise<Map<string, VariantKey[]>> {
  const out = new Map<string, VariantKey[]>();
  if (!ctx.catalog.hasVariantIds) return out;
  const rows: { rs: string; contig: number; pos: number; ref: string; alt: string }[] = [];
  const distinct = [...new Set(ids)];
  for (let i = 0; i < distinct.length; i += ID_BATCH) {
    const part = distinct.slice(i, i + ID_BATCH);
    const result = await ctx.connection.runAndReadAll(`SELECT DISTINCT rs, contig_id, pos, ref, alts FROM variant_ids WHERE rs IN (${part.map(() => '?').join(',')})`, part);
    for (const r of result.getRows()) {
      for (const alt of String(r[4]).split(',')) rows.push({ rs: String(r[0]), contig: Number(r[1]), pos: Number(r[2]), ref: String(r[3]), alt });
    }
  }
  rows.sort((x, y) => x.contig - y.contig || x.pos - y.pos || (x.ref < y.ref ? -1 : x.ref > y.ref ? 1 : x.alt < y.alt ? -1 : x.alt > y.alt ? 1 : 0));
  for (const r of rows) {
    let keys = out.get(r.rs);
    if (!keys) out.set(r.rs, (keys = []));
    const last = keys.at(-1);
    if (last && last.pos === r.pos && last.ref === r.ref && last.alt === r.alt && last.chrom === contigName(ctx.catalog, r.contig)) continue;
    keys.push({ chrom: contigName(ctx.catalog, r.contig), pos: r.pos, ref: r.ref, alt: r.alt });
  }
  return out;
}
