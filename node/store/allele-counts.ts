/**
 * The allele-count query family: AC, AN, nhomalt and genotype classes per
 * (chrom, pos, ref, alt), over a cohort, optionally per stratum, for a
 * region, a list of variant keys, or the whole store. Semantics: README.md
 * (the same as `bcftools +fill-tags -- -t AC,AN,AC_Hom`).
 */
import { NodeError } from '../errors.js';
import type { CohortAst } from '../../proto/cohort/index.js';
import { mergeRegions, type Region } from '../../proto/region.js';
import { variantMatchKey, type VariantKey } from '../../proto/variant.js';
import { countRecord, decodeTotals, type FileCohort, type StoredRecord } from './aggregate.js';
import { contigName } from './catalog.js';
import type { QueryContext, ScanMode } from './record-scan.js';
import { isEveryone, selectionFor } from './sample-selection.js';
import { TOTALS_INDEX_MAX, TotalsIndexBuilder, type TotalsIndex } from './totals-index.js';

export interface AlleleCountRow {
  stratum?: string;
  chrom: string;
  pos: number;
  ref: string;
  alt: string;
  ac: number;
  an: number;
  nhomalt: number;
  homRef: number;
  het: number;
  homAlt: number;
  missing: number;
  /** Over a variants list: whether the store holds the record (a held record can still have AN 0). */
  present?: boolean;
}

export interface AlleleCountQuery {
  region?: Region;
  /** Several regions (a `-r` list or a regions file): merged, so each record is answered once; rows in mergeRegions order. */
  regions?: readonly Region[];
  variants?: VariantKey[];
  cohort?: string | CohortAst;
  /** One or more phenotype columns; a stratum is the values joined by ',' (`EUR,female`), NA when any is missing. */
  by?: string | readonly string[];
  /** Or disjoint groups as cohort expressions, counted in one scan: rows per group, stratum '0', '1', ... (not with cohort or by). */
  groups?: readonly string[];
}

/** Counters per stratum slot: ac an nhomalt homRef het homAlt missing. */
const F = 7;

interface Acc { chrom: string; pos: number; ref: string; alt: string; c: Int32Array; seen?: boolean; contig?: number }

/**
 * Receives the rows of a region or whole-store scan one by one instead of
 * an array (the index builder; counted queries at genome scale): `counts`
 * holds F = 7 counters per stratum (ac an nhomalt homRef het homAlt
 * missing), valid during the call only.
 */
export type TotalsSink = (contig: number, pos: number, ref: string, alt: string, counts: Int32Array) => void;

export interface AlleleCountOptions {
  /** Scan even where the totals index could answer (the index builder itself). */
  readonly scanOnly?: boolean;
  /** Rows go here, in scan order, and none is returned (region or whole-store queries, not lists). */
  readonly sink?: TotalsSink;
}

function byRefAlt(x: { ref: string; alt: string }, y: { ref: string; alt: string }): number {
  return x.ref < y.ref ? -1 : x.ref > y.ref ? 1 : x.alt < y.alt ? -1 : x.alt > y.alt ? 1 : 0;
}

export async function alleleCounts(ctx: QueryContext, q: AlleleCountQuery, o: AlleleCountOptions = {}): Promise<AlleleCountRow[]> {
  const { scanOnly = false, sink } = o;
  if (sink && q.variants) throw new NodeError('GENOFED_USAGE', 'a sink takes region or whole-store rows, not a variants list');
  const regions = q.region !== undefined || q.regions !== undefined ? mergeRegions([...(q.region ? [q.region] : []), ...(q.regions ?? [])]) : undefined;
  if (regions && q.variants) throw new NodeError('GENOFED_USAGE', 'give either a region or a variants list, not both');
  // Every sample, no strata: the totals computed at ingest answer it without reading genotypes.
  if (q.groups && (q.by !== undefined || !isEveryone(q.cohort))) throw new NodeError('GENOFED_USAGE', 'groups are counted without a cohort or strata');
  const mode: ScanMode = isEveryone(q.cohort) && q.by === undefined && q.groups === undefined ? 'totals' : 'genotypes';
  if (mode === 'totals' && !scanOnly) {
    // The same rows from the in-memory totals index (built from one whole-store scan of this path).
    const index = await totalsIndexOf(ctx);
    if (index && sink) {
      index.each(regions, sink);
      return [];
    }
    if (index) return q.variants ? index.keys(q.variants) : regions ? index.regions(regions) : index.all();
  }
  // The first whole-store genotype query (it fills the record cache) starts DuckDB reading records while
  // the cohort's samples are selected on the side connection: the two queries overlap.
  const ahead = !regions && !q.variants && mode === 'genotypes' && ctx.side ? ctx.records.readAhead() : null;
  const { strata, files } = await selectionFor(ahead ? await ctx.side!() : ctx.connection, ctx.catalog, q);
  const S = strata.length;
  const add = (acc: Acc, counts: ReturnType<typeof countRecord>, a: number): void => {
    const A1 = counts.nAlts + 1;
    for (let s = 0; s < S; s++) {
      const o = s * F;
      const i = s * A1 + a;
      acc.c[o]! += counts.ac[i]!;
      acc.c[o + 1]! += counts.an[s]!;
      acc.c[o + 2]! += counts.nhomalt[i]!;
      acc.c[o + 3]! += counts.homRef[s]!;
      acc.c[o + 4]! += counts.het[i]!;
      acc.c[o + 5]! += counts.homAlt[i]!;
      acc.c[o + 6]! += counts.missing[s]!;
    }
  };
  // Rows keyed by variant; each holds S stratum slots.
  const ordered: Acc[] = [];
  const wanted = q.variants ? new Map<string, Acc>() : null;
  if (q.variants) {
    for (const k of q.variants) {
      const key = variantMatchKey(k);
      if (!wanted!.has(key)) wanted!.set(key, { chrom: k.chrom, pos: k.pos, ref: k.ref, alt: k.alt, c: new Int32Array(S * F) });
    }
  }
  // Records of one (contig, pos) are grouped so keys present in several files merge.
  // A group holds a few alleles: a reused array searched linearly (a Map and a key string per record were GC-heavy at 1M records).
  const group: Acc[] = [];
  let groupPos = -1;
  let groupContig = -1;
  // With a sink a row's counters are valid during the call only: its accumulators are reused (an object
  // and an Int32Array per allele were a quarter of a warm 1M-record cohort count, profiled).
  const spare: Acc[] = [];
  const fresh = (chrom: string, pos: number, ref: string, alt: string, contig: number): Acc => {
    const a = spare.pop();
    if (!a) return { chrom, pos, ref, alt, c: new Int32Array(S * F), contig };
    a.chrom = chrom; a.pos = pos; a.ref = ref; a.alt = alt; a.contig = contig;
    a.c.fill(0);
    return a;
  };
  const flush = (): void => {
    if (group.length === 0) return;
    if (group.length > 1) group.sort(byRefAlt);
    // Indexed loops here and below: for-of runs the iterator protocol until the JIT has optimized the code (a cold query).
    for (let i = 0; i < group.length; i++) {
      const a = group[i]!;
      if (sink) {
        sink(a.contig!, a.pos, a.ref, a.alt, a.c);
        spare.push(a);
      } else ordered.push(a);
    }
    group.length = 0;
  };
  // Consecutive records mostly share their file and contig: looked up once per change.
  let lastFile = -1;
  let f: FileCohort | undefined;
  let lastContig = -1;
  let name = '';
  const onRecord = (contig: number, pos: number, ref: string, alts: string[], rec: StoredRecord): void => {
    if (rec.fileId !== lastFile) { lastFile = rec.fileId; f = files.get(lastFile); }
    if (!f) return;
    if (contig !== lastContig) { lastContig = contig; name = contigName(ctx.catalog, contig); }
    let counts: ReturnType<typeof countRecord> | null = null;
    for (let a = 1; a <= alts.length; a++) {
      const alt = alts[a - 1]!;
      let acc: Acc | undefined;
      if (wanted) {
        acc = wanted.get(variantMatchKey({ chrom: name, pos, ref, alt }));
        if (!acc) continue;
        acc.seen = true;
      } else {
        if (contig !== groupContig || pos !== groupPos) { flush(); groupContig = contig; groupPos = pos; }
        acc = undefined;
        for (let i = 0; i < group.length; i++) { const g = group[i]!; if (g.ref === ref && g.alt === alt) { acc = g; break; } }
        if (!acc) group.push((acc = fresh(name, pos, ref, alt, contig)));
      }
      counts ??= rec.totals ? decodeTotals(rec.totals, rec.nAlts) : countRecord(rec, f!);
      add(acc, counts, a);
    }
  };
  if (q.variants) {
    await ctx.records.scanKeyPositions(q.variants, mode, onRecord);
  } else {
    if (regions) {
      for (const r of regions) {
        await ctx.records.scanRegion(r, mode, onRecord);
        flush();
      }
    } else {
      await ctx.records.scan('TRUE', [], mode, onRecord, ahead);
      flush();
    }
  }
  if (sink) return [];
  const accs = wanted ? q.variants!.map((k) => wanted.get(variantMatchKey(k))!) : ordered;
  const rows: AlleleCountRow[] = [];
  for (let s = 0; s < S; s++) {
    for (const acc of accs) {
      const o = s * F;
      const row: AlleleCountRow = {
        chrom: acc.chrom, pos: acc.pos, ref: acc.ref, alt: acc.alt,
        ac: acc.c[o]!, an: acc.c[o + 1]!, nhomalt: acc.c[o + 2]!,
        homRef: acc.c[o + 3]!, het: acc.c[o + 4]!, homAlt: acc.c[o + 5]!, missing: acc.c[o + 6]!,
      };
      if (wanted) row.present = acc.seen === true;
      rows.push(q.by !== undefined || q.groups !== undefined ? { stratum: strata[s]!, ...row } : row);
    }
  }
  return rows;
}

/** The store's all-sample totals index (totals-index.ts), built from this path's whole-store rows; null over the cap. */
export function totalsIndexOf(ctx: QueryContext): Promise<TotalsIndex | null> {
  return ctx.records.totalsIndex(async () => {
    // A store over the cap is not scanned for nothing: its ALT alleles (an upper bound of the index's rows) first.
    const alleles = Number((await ctx.connection.runAndReadAll('SELECT coalesce(sum(n_alts), 0) FROM records')).getRows()[0]?.[0] ?? 0);
    if (alleles > TOTALS_INDEX_MAX) return null;
    const builder = new TotalsIndexBuilder(ctx.catalog);
    await alleleCounts(ctx, {}, { scanOnly: true, sink: builder.sink });
    return builder.finish();
  });
}
