/**
 * Phase 1's union: the sorted union of the sites' variant keys in a region
 * list, the slot order of the aggregate round. `unionOfPackedKeys` merges
 * the sites' packed lists as received, one decoded batch per site at a
 * time, into a PackedKeyList (about 25 bytes per key: issue 11, bounded
 * coordinator memory); `unionOfKeys` is the same union over key objects
 * (the reference, and the path for a site whose list is out of order).
 */
import { PackedKeyList } from '../../proto/convert/packed-key-list.js';
import { unpackVariantKeys } from '../../proto/convert/variants.js';
import type { Region } from '../../proto/region.js';
import { compareVariantKeys, normalizeContig, type VariantKey } from '../../proto/variant.js';

/** One site's phase-1 answer as received: packed batches (validated), their key count and the contig spellings they use. */
export interface SiteKeys {
  readonly chunks: readonly Uint8Array[];
  readonly count: number;
  readonly contigs: ReadonlySet<string>;
}

/** Reads one site's keys in order, one decoded batch at a time. */
class SiteCursor {
  private chunk = 0;
  private keys: VariantKey[] = [];
  private at = 0;

  constructor(private readonly chunks: readonly Uint8Array[]) {}

  peek(): VariantKey | undefined {
    while (this.at >= this.keys.length) {
      if (this.chunk >= this.chunks.length) return undefined;
      this.keys = unpackVariantKeys(this.chunks[this.chunk++]!);
      this.at = 0;
    }
    return this.keys[this.at];
  }

  advance(): void {
    this.at += 1;
  }
}

/** normalizeContig with a cache per spelling (called once per key). */
function contigNormalizer(): (chrom: string) => string {
  const normalized = new Map<string, string>();
  return (chrom) => {
    let n = normalized.get(chrom);
    if (n === undefined) normalized.set(chrom, (n = normalizeContig(chrom)));
    return n;
  };
}

/** Thrown inside the merge when a site's list is not in region order and sorted: the object path takes over. */
class OutOfOrder extends Error {}

function regionIndex(regions: readonly Region[], regionContig: readonly string[]): (k: VariantKey, norm: string, hint: number) => number {
  return (k, c, hint) => {
    if (hint >= 0 && regionContig[hint] === c && k.pos >= regions[hint]!.start && k.pos <= regions[hint]!.end) return hint;
    return regions.findIndex((r, i) => regionContig[i] === c && k.pos >= r.start && k.pos <= r.end);
  };
}

/**
 * The union as unionOfKeys defines it, merged from the sites' packed
 * lists without holding their keys as objects. An honest site sends its
 * keys region by region (mergeRegions order), sorted within each; a list
 * that is not is handled by unionOfKeys over all keys.
 */
export function unionOfPackedKeys(perSite: readonly SiteKeys[], regions: readonly Region[]): { list: PackedKeyList; inOrder: boolean } {
  try {
    return { list: mergePacked(perSite, regions), inOrder: true };
  } catch (err) {
    if (!(err instanceof OutOfOrder)) throw err;
    const keys = perSite.map((s) => s.chunks.flatMap((c) => unpackVariantKeys(c)));
    return { list: PackedKeyList.from(unionOfKeys(keys, regions)), inOrder: false };
  }
}

function mergePacked(perSite: readonly SiteKeys[], regions: readonly Region[]): PackedKeyList {
  const regionContig = regions.map((r) => normalizeContig(r.chrom));
  const norm = contigNormalizer();
  // Spellings per normalized contig over every site (a store spells each contig one way).
  const spellings = new Map<string, Set<string>>();
  for (const s of perSite) {
    for (const chrom of s.contigs) {
      const c = norm(chrom);
      let sp = spellings.get(c);
      if (!sp) spellings.set(c, (sp = new Set()));
      sp.add(chrom);
    }
  }
  const where = regionIndex(regions, regionContig);
  const cursors = perSite.map((s) => new SiteCursor(s.chunks));
  // Per site: the region of its current key (-1: outside every region, skipped) and its last key taken.
  const hint = perSite.map(() => -1);
  const last: (VariantKey | undefined)[] = perSite.map(() => undefined);
  const lastRegion = perSite.map(() => -1);
  /** The site's current key if it lies in region ri; skips keys outside every region; throws on disorder. */
  const current = (s: number, ri: number): VariantKey | undefined => {
    for (;;) {
      const k = cursors[s]!.peek();
      if (!k) return undefined;
      const r = where(k, norm(k.chrom), hint[s]!);
      if (r < 0) { cursors[s]!.advance(); continue; }
      hint[s] = r;
      if (r < ri || r < lastRegion[s]!) throw new OutOfOrder();
      if (r > ri) return undefined;
      return k;
    }
  };
  const out = PackedKeyList.builder();
  for (let ri = 0; ri < regions.length; ri++) {
    const sp = spellings.get(regionContig[ri]!);
    const chrom = sp && sp.size === 1 ? [...sp][0]! : regions[ri]!.chrom;
    let prev: VariantKey | undefined;
    for (;;) {
      let best = -1;
      let bestKey: VariantKey | undefined;
      for (let s = 0; s < cursors.length; s++) {
        const k = current(s, ri);
        if (k && (!bestKey || compareVariantKeys(k, bestKey) < 0)) { best = s; bestKey = k; }
      }
      if (best < 0) break;
      const l = last[best];
      if (l && lastRegion[best] === ri && compareVariantKeys(l, bestKey!) > 0) throw new OutOfOrder();
      last[best] = bestKey;
      lastRegion[best] = ri;
      cursors[best]!.advance();
      if (prev && compareVariantKeys(prev, bestKey!) === 0) continue;
      prev = bestKey;
      out.push(chrom, bestKey!.pos, bestKey!.ref, bestKey!.alt);
    }
  }
  return out.finish();
}

/**
 * The union of the sites' keys in a region list, in the order bcftools
 * prints `-r` records: regions as mergeRegions orders them (contigs in the
 * order first named), keys of a region sorted (proto compareVariantKeys).
 * Sites may spell a contig `chr22` or `22`: keys are matched
 * alias-normalized (one slot) and reported as the stores spell the contig
 * when every site that holds it spells it alike, else as the region does.
 * Keys outside every region (a site off protocol) are dropped.
 */
export function unionOfKeys(perSite: readonly (readonly VariantKey[])[], regions: readonly Region[]): VariantKey[] {
  const regionContig = regions.map((r) => normalizeContig(r.chrom));
  const norm = contigNormalizer();
  const spellings = new Map<string, Set<string>>();
  // [region][site]: each site's keys of the region, in the order it sent them.
  const parts: VariantKey[][][] = regions.map(() => []);
  for (const keys of perSite) {
    const mine = regions.map((): VariantKey[] => []);
    let ri = -1;
    let spelled = '';
    for (const k of keys) {
      const c = norm(k.chrom);
      // Keys arrive region by region: try the last region first.
      if (ri < 0 || regionContig[ri] !== c || k.pos < regions[ri]!.start || k.pos > regions[ri]!.end) {
        ri = regions.findIndex((r, i) => regionContig[i] === c && k.pos >= r.start && k.pos <= r.end);
        if (ri < 0) continue;
      }
      if (k.chrom !== spelled) {
        spelled = k.chrom;
        let sp = spellings.get(c);
        if (!sp) spellings.set(c, (sp = new Set()));
        sp.add(k.chrom);
      }
      mine[ri]!.push(k);
    }
    mine.forEach((m, i) => parts[i]!.push(m));
  }
  return parts.flatMap((sites, ri) => {
    const c = regionContig[ri]!;
    const sp = spellings.get(c);
    const chrom = sp && sp.size === 1 ? [...sp][0]! : regions[ri]!.chrom;
    return mergeSortedKeys(sites, chrom);
  });
}

/**
 * The sorted union (proto compareVariantKeys: pos, REF, ALT) of several
 * lists of one region, each key once, as keys on `chrom`: a k-way merge of
 * the lists as sent (an honest site sends them sorted; a list that is not
 * is sorted first).
 */
function mergeSortedKeys(lists: readonly VariantKey[][], chrom: string): VariantKey[] {
  const sorted = lists.map((l) => {
    for (let i = 1; i < l.length; i++) if (compareVariantKeys(l[i - 1]!, l[i]!) > 0) return [...l].sort(compareVariantKeys);
    return l;
  }).filter((l) => l.length > 0);
  const at = new Array<number>(sorted.length).fill(0);
  const out: VariantKey[] = [];
  let last: VariantKey | undefined;
  for (;;) {
    let best = -1;
    for (let s = 0; s < sorted.length; s++) {
      if (at[s]! >= sorted[s]!.length) continue;
      if (best < 0 || compareVariantKeys(sorted[s]![at[s]!]!, sorted[best]![at[best]!]!) < 0) best = s;
    }
    if (best < 0) return out;
    const k = sorted[best]![at[best]!]!;
    at[best]! += 1;
    if (last && compareVariantKeys(last, k) === 0) continue;
    last = k;
    out.push({ chrom, pos: k.pos, ref: k.ref, alt: k.alt });
  }
}

