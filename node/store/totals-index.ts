/**
 * The all-sample totals of every allele in the store, in store order
 * (contig id, POS, then REF and ALT), held in typed arrays: what an
 * all-sample allele-count query over a region or a list reads instead of
 * scanning the `records` table again (a 1M-record scan decodes 2M strings
 * and 1M totals BLOBs through DuckDB's JS vectors: ~4 s of a 1M-variant
 * federated query, twice, measured). Built from one whole-store totals
 * scan the first time such a query runs, through the same grouping as the
 * scan path (allele-counts.ts), and dropped with the scanner when an ingest
 * replaces the catalog. ~44 bytes per allele; a store with more than
 * TOTALS_INDEX_MAX alleles is not indexed (queries scan as before).
 */
import { PackedKeyList } from '../../proto/convert/packed-key-list.js';
import type { Region } from '../../proto/region.js';
import { variantMatchKey, type VariantKey } from '../../proto/variant.js';
import { contigIdsFor, contigName, type Catalog } from './catalog.js';
import { grown, lowerBound, StringTable } from './columns.js';

/** Alleles above which no index is built (~530 MB). */
export const TOTALS_INDEX_MAX = 12_000_000;

/** Per allele: ac an nhomalt homRef het homAlt missing. */
export const TOTALS_COUNTERS = 7;

export interface TotalsRow {
  chrom: string; pos: number; ref: string; alt: string;
  ac: number; an: number; nhomalt: number; homRef: number; het: number; homAlt: number; missing: number;
}

/**
 * Collects the scan path's whole-store rows (allele-counts.ts, as its
 * sink) into growing typed arrays. `finish` gives null when they were more
 * than `max` (collection stops growing then) or not in (contig id, POS)
 * order (ranges could not be found by binary search).
 */
export class TotalsIndexBuilder {
  private n = 0;
  private cap = 1 << 10;
  private contig = new Int32Array(this.cap);
  private pos = new Int32Array(this.cap);
  private ref = new Uint32Array(this.cap);
  private alt = new Uint32Array(this.cap);
  private counts = new Int32Array(this.cap * TOTALS_COUNTERS);
  private readonly table = new StringTable();
  private usable = true;

  constructor(private readonly catalog: Catalog, private readonly max = TOTALS_INDEX_MAX) {}

  private grow(): void {
    this.cap *= 2;
    this.contig = grown(this.contig, this.cap);
    this.pos = grown(this.pos, this.cap);
    this.ref = grown(this.ref, this.cap);
    this.alt = grown(this.alt, this.cap);
    this.counts = grown(this.counts, this.cap * TOTALS_COUNTERS);
  }

  /** One row: contig id, POS, REF, ALT, the 7 all-sample counters. */
  readonly sink = (contig: number, pos: number, ref: string, alt: string, c: Int32Array): void => {
    if (!this.usable) return;
    const i = this.n;
    if (i >= this.max || (i > 0 && (contig < this.contig[i - 1]! || (contig === this.contig[i - 1]! && pos < this.pos[i - 1]!)))) {
      this.usable = false;
      return;
    }
    if (i === this.cap) this.grow();
    this.contig[i] = contig;
    this.pos[i] = pos;
    this.ref[i] = this.table.intern(ref);
    this.alt[i] = this.table.intern(alt);
    this.counts.set(c.subarray(0, TOTALS_COUNTERS), i * TOTALS_COUNTERS);
    this.n = i + 1;
  };

  finish(): TotalsIndex | null {
    if (!this.usable) return null;
    const n = this.n;
    return TotalsIndex.of(this.catalog, n, this.contig.slice(0, n), this.pos.slice(0, n), this.ref.slice(0, n), this.alt.slice(0, n), this.table.strings, this.counts.slice(0, n * TOTALS_COUNTERS));
  }
}

export class TotalsIndex {
  private constructor(
    private readonly catalog: Catalog,
    readonly length: number,
    private readonly contig: Int32Array,
    private readonly pos: Int32Array,
    private readonly ref: Uint32Array,
    private readonly alt: Uint32Array,
    private readonly strings: readonly string[],
    private readonly counts: Int32Array,
  ) {}

  /** @internal TotalsIndexBuilder.finish() makes one. */
  static of(catalog: Catalog, length: number, contig: Int32Array, pos: Int32Array, ref: Uint32Array, alt: Uint32Array, strings: readonly string[], counts: Int32Array): TotalsIndex {
    return new TotalsIndex(catalog, length, contig, pos, ref, alt, strings, counts);
  }

  /** First row at or after (contig id, POS). */
  private lowerBound(id: number, p: number): number {
    return lowerBound(this.contig, this.pos, this.length, id, p);
  }

  private row(i: number): TotalsRow {
    const o = i * TOTALS_COUNTERS;
    const c = this.counts;
    return {
      chrom: contigName(this.catalog, this.contig[i]!), pos: this.pos[i]!, ref: this.strings[this.ref[i]!]!, alt: this.strings[this.alt[i]!]!,
      ac: c[o]!, an: c[o + 1]!, nhomalt: c[o + 2]!, homRef: c[o + 3]!, het: c[o + 4]!, homAlt: c[o + 5]!, missing: c[o + 6]!,
    };
  }

  /** Row indices of merged regions, in the scan path's order: region by region, contig ids ascending, then POS, REF, ALT. */
  private *indicesIn(regions: readonly Region[]): Generator<number> {
    const ranges = this.rangesIn(regions);
    for (let r = 0; r < ranges.length; r += 2) for (let i = ranges[r]!; i < ranges[r + 1]!; i++) yield i;
  }

  /** Rows of merged regions, in the scan path's order. */
  regions(regions: readonly Region[]): TotalsRow[] {
    return Array.from(this.indicesIn(regions), (i) => this.row(i));
  }

  /** Rows of merged regions (every row without regions) to a sink, in the scan path's order, no row objects (counts: a view, valid during the call). */
  each(regions: readonly Region[] | undefined, sink: (contig: number, pos: number, ref: string, alt: string, counts: Int32Array) => void): void {
    // One scratch row of counters, refilled per row (a subarray view per row was a million allocations).
    const row = new Int32Array(TOTALS_COUNTERS);
    const c = this.counts;
    const ranges = regions ? this.rangesIn(regions) : [0, this.length];
    for (let r = 0; r < ranges.length; r += 2) {
      const to = ranges[r + 1]!;
      for (let i = ranges[r]!; i < to; i++) {
        const o = i * TOTALS_COUNTERS;
        for (let k = 0; k < TOTALS_COUNTERS; k++) row[k] = c[o + k]!;
        sink(this.contig[i]!, this.pos[i]!, this.strings[this.ref[i]!]!, this.strings[this.alt[i]!]!, row);
      }
    }
  }

  /** Row ranges [from, to) of merged regions, in the scan path's order (indicesIn without a generator step per row). */
  private rangesIn(regions: readonly Region[]): number[] {
    const out: number[] = [];
    for (const r of regions) {
      for (const id of [...contigIdsFor(this.catalog, r.chrom)].sort((a, b) => a - b)) {
        const from = this.lowerBound(id, r.start);
        let to = from;
        while (to < this.length && this.contig[to] === id && this.pos[to]! <= r.end) to++;
        if (to > from) out.push(from, to);
      }
    }
    return out;
  }

  /** The keys of merged regions as a packed list (the phase-1 listing's wire form): no key object or string per key. */
  regionKeysPacked(regions: readonly Region[]): PackedKeyList {
    const out = PackedKeyList.builder();
    // UTF-8 of each interned allele string and contig name, made once (dense by index: no map lookup per key).
    const utf8: (Uint8Array | undefined)[] = new Array(this.strings.length);
    const contigs: (Uint8Array | undefined)[] = [];
    const ranges = this.rangesIn(regions);
    for (let r = 0; r < ranges.length; r += 2) {
      const to = ranges[r + 1]!;
      const id = this.contig[ranges[r]!]!;
      const chrom = (contigs[id] ??= Buffer.from(contigName(this.catalog, id), 'utf8'));
      for (let i = ranges[r]!; i < to; i++) {
        const ri = this.ref[i]!;
        const ai = this.alt[i]!;
        out.pushBytes(chrom, this.pos[i]!, (utf8[ri] ??= Buffer.from(this.strings[ri]!, 'utf8')), (utf8[ai] ??= Buffer.from(this.strings[ai]!, 'utf8')));
      }
    }
    return out.finish();
  }

  regionKeys(regions: readonly Region[]): VariantKey[] {
    return Array.from(this.indicesIn(regions), (i) => ({ chrom: contigName(this.catalog, this.contig[i]!), pos: this.pos[i]!, ref: this.strings[this.ref[i]!]!, alt: this.strings[this.alt[i]!]! }));
  }

  /** Every row, in store order. */
  all(): TotalsRow[] {
    return Array.from({ length: this.length }, (_, i) => this.row(i));
  }

  /**
   * One row per key, in the list's order, summed over every contig alias
   * the store holds (as the scan path matches keys); `present` when the
   * store holds the key. The row names the key as listed.
   */
  keys(keys: readonly VariantKey[]): (TotalsRow & { present: boolean })[] {
    // A key listed twice (or under two spellings of its contig) is one row, named as first listed.
    const first = new Map<string, TotalsRow & { present: boolean }>();
    return keys.map((k) => {
      const mk = variantMatchKey(k);
      const seen = first.get(mk);
      if (seen) return seen;
      const row = { chrom: k.chrom, pos: k.pos, ref: k.ref, alt: k.alt, ac: 0, an: 0, nhomalt: 0, homRef: 0, het: 0, homAlt: 0, missing: 0, present: false };
      for (const id of contigIdsFor(this.catalog, k.chrom)) {
        for (let i = this.lowerBound(id, k.pos); i < this.length && this.contig[i] === id && this.pos[i] === k.pos; i++) {
          if (this.strings[this.ref[i]!] !== k.ref || this.strings[this.alt[i]!] !== k.alt) continue;
          const o = i * TOTALS_COUNTERS;
          const c = this.counts;
          row.ac += c[o]!; row.an += c[o + 1]!; row.nhomalt += c[o + 2]!; row.homRef += c[o + 3]!;
          row.het += c[o + 4]!; row.homAlt += c[o + 5]!; row.missing += c[o + 6]!;
          row.present = true;
        }
      }
      first.set(mk, row);
      return row;
    });
  }
}
