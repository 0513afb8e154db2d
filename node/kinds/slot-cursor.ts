/**
 * Slots of a site's rows in the list it was sent (a phase-1 union, slot
 * order): a forward walk along the list for rows that come in its order
 * (a packed union walked in place), falling back to a map of the keys.
 * Used by the kinds that count a region with one scan (allele counts,
 * association).
 */
import { PackedKeyList } from '../../proto/convert/packed-key-list.js';
import { normalizeContig, variantMatchKey, type KeyList, type VariantKey } from '../../proto/variant.js';

/**
 * slotFinder one row at a time, for rows handed over by a scan as it finds
 * them: a forward walk along the union, and after the first row off its
 * order a map of the keys for that row and every later one.
 */
export function slotCursor(variants: KeyList): (chrom: string, pos: number, ref: string, alt: string) => number | undefined {
  const contigs = new Map<string, string>();
  const norm = (c: string): string => {
    let x = contigs.get(c);
    if (x === undefined) contigs.set(c, (x = normalizeContig(c)));
    return x;
  };
  let i = 0;
  let byKey: Map<string, number> | undefined;
  // A packed union (phase 1) is walked in place: no key object per line.
  const walk = variants instanceof PackedKeyList ? variants.walker(norm) : undefined;
  return (chrom, pos, ref, alt) => {
    if (byKey) return byKey.get(variantMatchKey({ chrom, pos, ref, alt }));
    const c = norm(chrom);
    if (walk) {
      const at = walk.seek(c, pos, ref, alt);
      if (at >= 0) return at;
      i = variants.length;
    }
    while (i < variants.length) {
      const v = variants.at(i)!;
      if (v.pos === pos && v.ref === ref && v.alt === alt && norm(v.chrom) === c) return i++;
      i++;
    }
    byKey = new Map();
    for (let k = 0; k < variants.length; k++) byKey.set(variantMatchKey(variants.at(k)!), k);
    return byKey.get(variantMatchKey({ chrom, pos, ref, alt }));
  };
}

/**
 * Slots of store rows in a phase-1 union: the rows of a region scan are a
 * subsequence of the union in the same order (regions, then pos, REF,
 * ALT), so one forward walk places them without a key string per variant
 * (a map of 1M key strings was 3 s of a 1M-variant query). Rows that do
 * not follow the union's order (a coordinator that listed fewer keys) are
 * placed through a map of the keys instead.
 */
export function slotFinder(variants: KeyList): (rows: readonly VariantKey[]) => (number | undefined)[] {
  return (rows) => {
    const next = slotCursor(variants);
    return rows.map((r) => next(r.chrom, r.pos, r.ref, r.alt));
  };
}
