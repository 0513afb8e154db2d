/**
 * Phase 1's union: the sorted union of the sites' variant keys in a region
 * list, the slot order of the aggregate round. `unionOfPackedKeys` merges
 * the sites' packed lists as received, one decoded batch per site at a
 * time, into a PackedKeyList (about 25 bytes per key: issue 11, bounded
 * coordinator memory); `unionOfKeys` is the same union over key objects
 * (the reference, and the path for a site whose list is out of order).
 */
import { PackedKeyList } from '../../proto/convert/packed-key-list.js';
import { compareLines, PackedLineReader, type LineFields } from '../../proto/convert/packed-lines.js';
import { unpackVariantKeys } from '../../proto/convert/variants.js';
import type { Region } from '../../proto/region.js';
import { compareVariantKeys, normalizeContig, type VariantKey } from '../../proto/variant.js';

/** One site's phase-1 answer as received: packed batches (validated), their key count and the contig spellings they use. */
export interface SiteKeys {
  readonly chunks: readonly Uint8Array[];
  readonly count: number;
  readonly contigs: ReadonlySet<string>;
}

/** normalizeContig with a cache per spelling (called once per contig change). */
function contigNormalizer(): (chrom: string) => string {
  const normalized = new Map<string, string>();
  return (chrom) => {
    let n = normalized.get(chrom);
    if (n === undefined) normalized.set(chrom, (n = normalizeContig(chrom)));
    return n;
  };
}

/** Thrown inside the merge when a site's list is not in region order and sorted, or not ASCII: the object path takes over. */
class Fallback extends Error {}

/** A line kept for comparison after its reader moved on (no allocation per key). */
class Mark implements LineFields {
  bytes: Uint8Array = new Uint8Array(0);
  pos = 0;
  refStart = 0;
  refEnd = 0;
  end = 0;
  region = -1;
  set(r: LineFields, region: number): void {
    this.bytes = r.bytes;
    this.pos = r.pos;
    this.refStart = r.refStart;
    this.refEnd = r.refEnd;
    this.end = r.end;
    this.region = region;
  }
}

/** Reads one site's packed lines in order, in place (packed-lines.ts): no key object or string per key. */
class SiteCursor {
  private chunk = 0;
  private reader: PackedLineReader | undefined;
  /** The current line (valid while `has`), its contig as spelled and normalized, and its region (-1: not yet placed). */
  line!: PackedLineReader;
  has = false;
  chrom = '';
  chromNorm = '';
  region = -1;
  readonly last = new Mark();

  constructor(private readonly chunks: readonly Uint8Array[], private readonly norm: (c: string) => string) {
    this.advance();
  }

  advance(): void {
    this.region = -1;
    for (;;) {
      const r = this.reader;
      if (r && r.next()) {
        if (!r.ascii) throw new Fallback();
        if (r.chromChanged) this.chromNorm = this.norm((this.chrom = r.chrom()));
        this.line = r;
        this.has = true;
        return;
      }
      if (this.chunk >= this.chunks.length) {
        this.has = false;
        return;
      }
      this.reader = new PackedLineReader(this.chunks[this.chunk++]!);
    }
  }
}

/**
 * The union as unionOfKeys defines it, merged from the sites' packed
 * lines in place (lines copied byte for byte where the site spells the
 * contig as the union does). An honest site sends its keys region by
 * region (mergeRegions order), sorted within each; a list that is not, or
 * holds a non-ASCII allele, is handled by unionOfKeys over all keys.
 */
export function unionOfPackedKeys(perSite: readonly SiteKeys[], regions: readonly Region[]): { list: PackedKeyList; inOrder: boolean } {
  try {
    return { list: mergePacked(perSite, regions), inOrder: true };
  } catch (err) {
    if (!(err instanceof Fallback)) throw err;
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
  const cursors = perSite.map((s) => new SiteCursor(s.chunks, norm));
  /** The region of a cursor's current line (cached on the cursor; hint: the region of its previous line). */
  const regionOf = (c: SiteCursor, hint: number): number => {
    if (c.region >= 0) return c.region;
    const pos = c.line.pos;
    if (hint >= 0 && regionContig[hint] === c.chromNorm && pos >= regions[hint]!.start && pos <= regions[hint]!.end) return (c.region = hint);
    return (c.region = regions.findIndex((r, i) => regionContig[i] === c.chromNorm && pos >= r.start && pos <= r.end));
  };
  /** The site's current line if it lies in region ri; skips lines outside every region; throws on disorder. */
  const current = (c: SiteCursor, ri: number): PackedLineReader | undefined => {
    for (;;) {
      if (!c.has) return undefined;
      const r = regionOf(c, c.last.region);
      if (r === -1) { c.advance(); continue; }
      if (r < ri || r < c.last.region) throw new Fallback();
      if (r > ri) return undefined;
      return c.line;
    }
  };
  const out = PackedKeyList.builder();
  const prev = new Mark();
  const tied: SiteCursor[] = [];
  for (let ri = 0; ri < regions.length; ri++) {
    const sp = spellings.get(regionContig[ri]!);
    const chrom = sp && sp.size === 1 ? [...sp][0]! : regions[ri]!.chrom;
    prev.region = -1;
    for (;;) {
      // The smallest current line and every site that holds it (sites mostly share keys: one step per union key).
      let bestLine: PackedLineReader | undefined;
      tied.length = 0;
      for (const c of cursors) {
        const l = current(c, ri);
        if (!l) continue;
        const d = bestLine ? compareLines(l, bestLine) : -1;
        if (d < 0) { bestLine = l; tied.length = 0; tied.push(c); } else if (d === 0) tied.push(c);
      }
      if (!bestLine) break;
      for (const c of tied) {
        if (c.last.region === ri && compareLines(c.last, c.line) > 0) throw new Fallback();
        c.last.set(c.line, ri);
      }
      let best = tied[0]!;
      for (const c of tied) if (c.chrom === chrom) { best = c; break; }
      const line = best.line;
      const duplicate = prev.region === ri && compareLines(prev, line) === 0;
      if (!duplicate) {
        prev.set(line, ri);
        if (best.chrom === chrom) out.pushLine(line.bytes, line.start, line.end + 1);
        else out.push(chrom, line.pos, line.ref(), line.alt());
      }
      for (const c of tied) c.advance();
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

