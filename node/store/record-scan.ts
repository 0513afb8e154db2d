/**
 * Reading VCF records back out of the `records` table in store order
 * (contig, pos): by a SQL condition, by region, or at the positions of a
 * list of variant keys; what each query family aggregates. Whole-store
 * genotype scans of a small store are cached in memory (CACHE_BYTES).
 */
import type { DuckDBBlobVector, DuckDBConnection, DuckDBResult, DuckDBIntegerVector, DuckDBSmallIntVector, DuckDBTinyIntVector, DuckDBValue, DuckDBVarCharVector } from '@duckdb/node-api';
import type { Region } from '../../proto/region.js';
import type { VariantKey } from '../../proto/variant.js';
import type { StoredRecord } from './aggregate.js';
import { contigIdsFor, type Catalog } from './catalog.js';
import type { TotalsIndex } from './totals-index.js';
import { readBlobColumns, readInts, readShortStrings } from './chunk-columns.js';
import { RecordCache } from './record-cache.js';

/**
 * Whole-store scans of a store whose genotype BLOBs total at most this many
 * bytes are cached in memory after the first one. The cache cannot go stale:
 * while this process holds the DuckDB file no other process can write it,
 * and ingests through this handle replace the scanner with the catalog.
 * 256 MiB holds e.g. 2,504 samples x 150k common SNPs (1.25 kB each, dense
 * form). A warm EUR cohort query on IL2RA then skips DuckDB's scan and the
 * BLOB copies.
 */
export const CACHE_BYTES = 256 * 1024 * 1024;

/** What a scan reads: keys only, keys + genotype BLOBs, or keys + the all-sample totals. */
export type ScanMode = 'keys' | 'genotypes' | 'totals';

/**
 * Called per record: store contig id, POS, REF, ALT alleles, the stored
 * record. The record's bytes and the ALT list are valid during the call
 * only and read-only (views of DuckDB's chunk or of the record cache; ALT
 * lists are shared between records).
 */
export type OnRecord = (contig: number, pos: number, ref: string, alts: string[], rec: StoredRecord) => void;

/** Largest variants list asked in one SQL `IN (...)` batch. */
const KEY_BATCH = 1000;


/**
 * What a query family reads through: the connection, one catalog snapshot,
 * and its record scanner; `side`, a second connection to the same database
 * (opened on first use), runs small SQL (a cohort's selection) while the
 * main one streams records. Queries run outside write transactions (the
 * Store's queue), so both see the same committed state.
 */
export interface QueryContext {
  readonly connection: DuckDBConnection;
  readonly catalog: Catalog;
  readonly records: RecordScanner;
  readonly side?: () => Promise<DuckDBConnection>;
}

/** A whole-store scan whose query was started ahead (RecordScanner.readAhead). */
export type ReadAhead = Promise<DuckDBResult>;

export class RecordScanner {
  private cache: RecordCache | null = null;
  private totals: Promise<TotalsIndex | null> | undefined;

  /**
   * The store's all-sample totals index (totals-index.ts), built by `build`
   * on first use and kept as long as this scanner (one catalog snapshot);
   * null when the store is too large to index. A failed build is retried
   * next time.
   */
  totalsIndex(build: () => Promise<TotalsIndex | null>): Promise<TotalsIndex | null> {
    if (!this.totals) {
      const p = build();
      this.totals = p;
      p.catch(() => { if (this.totals === p) this.totals = undefined; });
    }
    return this.totals;
  }

  constructor(private readonly connection: DuckDBConnection, readonly catalog: Catalog) {}

  /**
   * Start the query of the whole-store genotype scan that fills the
   * record cache, so DuckDB reads the first records while the caller
   * prepares (a cohort's selection on the side connection); pass it to
   * `scan('TRUE', [], 'genotypes', each, ahead)` before any other query on
   * this connection. Null when the cache exists or the store is too large
   * for it.
   */
  readAhead(): ReadAhead | null {
    if (this.cache || this.catalog.genotypeBytes > CACHE_BYTES) return null;
    const p = this.connection.stream(this.recordsSql('TRUE', 'genotypes'));
    // Seen by the scan that awaits it; never unhandled if the caller fails first.
    p.catch(() => {});
    return p;
  }

  /** Stream the records selected by `where` in store order (contig, pos), calling `each` per record; `ahead` from readAhead (whole store only). */
  async scan(where: string, params: DuckDBValue[], mode: ScanMode, each: OnRecord, ahead?: ReadAhead | null): Promise<void> {
    if (where === 'TRUE' && mode === 'genotypes' && this.catalog.genotypeBytes <= CACHE_BYTES) {
      if (this.cache) this.cache.replay(each);
      // The first whole-store query counts while the cache fills: one pass, no replay.
      else await this.cached(each, ahead ?? undefined);
      return;
    }
    await this.scanDatabase(where, params, mode, each);
  }

  /**
   * The whole store's records with their genotypes, read once (callers
   * check CACHE_BYTES); `each`, when given, sees every record as it is
   * cached. A scan that fails (or whose `each` throws) leaves no cache.
   */
  private async cached(each?: OnRecord, ahead?: ReadAhead): Promise<RecordCache> {
    if (!this.cache) {
      const cache = new RecordCache(this.catalog.genotypeBytes);
      await this.readResult(await (ahead ?? this.connection.stream(this.recordsSql('TRUE', 'genotypes'))), 'genotypes', each ?? ((): void => {}), cache);
      cache.seal();
      this.cache = cache;
    } else if (each) {
      this.cache.replay(each);
    }
    return this.cache;
  }

  /**
   * The records whose POS lies in the region (every contig alias of its
   * name). Genotype scans of a store small enough for the record cache are
   * answered from it (binary search on contig id and POS: the order the
   * SQL scan returns).
   */
  async scanRegion(region: Region, mode: ScanMode, each: OnRecord): Promise<void> {
    if (mode === 'genotypes' && this.catalog.genotypeBytes <= CACHE_BYTES) {
      const cache = await this.cached();
      if (cache.inOrder) {
        for (const id of [...contigIdsFor(this.catalog, region.chrom)].sort((a, b) => a - b)) {
          const from = cache.lowerBound(id, region.start);
          cache.replay(each, from, cache.endOf(id, region.end, from));
        }
        return;
      }
    }
    const { where, params } = regionWhere(this.catalog, region);
    await this.scan(where, params, mode, each);
  }

  /**
   * Scan the records at the positions of `keys` (every contig alias of each
   * key), in batches of KEY_BATCH positions per contig; callers match
   * REF/ALT themselves.
   */
  async scanKeyPositions(keys: readonly VariantKey[], mode: ScanMode, each: OnRecord): Promise<void> {
    const byContig = new Map<number, Set<number>>();
    for (const k of keys) {
      for (const id of contigIdsFor(this.catalog, k.chrom)) {
        let s = byContig.get(id);
        if (!s) byContig.set(id, (s = new Set()));
        s.add(k.pos);
      }
    }
    for (const [id, posSet] of byContig) {
      const all = [...posSet];
      for (let i = 0; i < all.length; i += KEY_BATCH) {
        const part = all.slice(i, i + KEY_BATCH);
        await this.scan(`contig_id = ${id} AND pos IN (${part.map(() => '?').join(',')})`, part, mode, each);
      }
    }
  }

  /** The records query of a scan: rows selected by `where`, in store order. */
  private recordsSql(where: string, mode: ScanMode): string {
    const extra = mode === 'genotypes' ? ', listed, gt_format, samples, gt' : mode === 'totals' ? ', totals' : '';
    return `SELECT file_id, contig_id, pos, ref, alts, n_alts${extra} FROM records WHERE n_alts > 0 AND (${where})${this.catalog.inOrder ? '' : ' ORDER BY contig_id, pos, file_id'}`;
  }

  private async scanDatabase(where: string, params: DuckDBValue[], mode: ScanMode, each: OnRecord): Promise<void> {
    await this.readResult(await this.connection.stream(this.recordsSql(where, mode), params), mode, each);
  }

  /**
   * Read a records query (recordsSql) to the end. BLOBs and short strings
   * are read a chunk at a time (chunk-columns.ts); with `cache`, every
   * record also goes into it (a chunk's BLOBs copied straight into its pool).
   */
  private async readResult(result: DuckDBResult, mode: ScanMode, each: OnRecord, cache?: RecordCache): Promise<void> {
    const empty = new Uint8Array(0);
    const g = mode === 'genotypes';
    const t = mode === 'totals';
    // ALT columns repeat (SNPs: a handful of distinct values): one read-only list each.
    const altLists = new Map<string, string[]>();
    const strings = new Map<number, string>();
    // The next chunk is fetched (DuckDB decompresses it on a worker thread) while this one is read.
    let next = result.fetchChunk();
    for (;;) {
      const chunk = await next;
      const rows = chunk ? chunk.rowCount : 0;
      if (!chunk || rows === 0) break;
      next = result.fetchChunk();
      // A rejected prefetch is seen at the next await; one left behind by a throwing `each` must not go unhandled.
      next.catch(() => {});
      const fileId = readInts(chunk.getColumnVector(0) as DuckDBIntegerVector, rows);
      const contig = readInts(chunk.getColumnVector(1) as DuckDBIntegerVector, rows);
      const pos = readInts(chunk.getColumnVector(2) as DuckDBIntegerVector, rows);
      const ref = readShortStrings(chunk.getColumnVector(3) as DuckDBVarCharVector, rows, strings);
      const alts = readShortStrings(chunk.getColumnVector(4) as DuckDBVarCharVector, rows, strings);
      const nAlts = readInts(chunk.getColumnVector(5) as DuckDBSmallIntVector, rows);
      const listed = g ? readInts(chunk.getColumnVector(6) as DuckDBIntegerVector, rows) : null;
      const format = g ? readInts(chunk.getColumnVector(7) as DuckDBTinyIntVector, rows) : null;
      // samples and gt (or totals) of every row in one buffer; column c's row j spans offsets[c * (rows + 1) + j ...].
      // Filling the cache: straight into its pool (the records' views are then views of the pool).
      const blobs = g ? readBlobColumns([chunk.getColumnVector(8) as DuckDBBlobVector, chunk.getColumnVector(9) as DuckDBBlobVector], rows, cache?.reserve)
        : t ? readBlobColumns([chunk.getColumnVector(6) as DuckDBBlobVector], rows) : null;
      const bytes = blobs ? blobs.bytes : empty;
      const offs = blobs ? blobs.offsets : new Uint32Array(0);
      const R = rows + 1;
      for (let j = 0; j < rows; j++) {
        const s0 = offs[j]!;
        const s1 = offs[j + 1]!;
        const rec: StoredRecord = {
          fileId: fileId[j]!,
          nAlts: nAlts[j]!,
          listed: listed ? listed[j]! : 0,
          format: format ? format[j]! : 0,
          // Dense records list no samples: no view for them.
          samples: g && s1 > s0 ? bytes.subarray(s0, s1) : empty,
          gt: g ? bytes.subarray(offs[R + j]!, offs[R + j + 1]!) : empty,
          totals: t ? bytes.subarray(s0, s1) : undefined,
        };
        const a = alts[j]!;
        let list = altLists.get(a);
        if (!list) altLists.set(a, (list = a.split(',')));
        if (cache) cache.addAt(contig[j]!, pos[j]!, ref[j]!, list, rec, s0, offs[R + j]!);
        each(contig[j]!, pos[j]!, ref[j]!, list, rec);
      }
    }
  }
}

/** SQL condition of a region: its contig's ids (aliases) and POS inside [start, end]. */
export function regionWhere(catalog: Catalog, region: Region): { where: string; params: DuckDBValue[] } {
  const ids = contigIdsFor(catalog, region.chrom);
  if (ids.length === 0) return { where: 'FALSE', params: [] };
  return { where: `contig_id IN (${ids.join(',')}) AND pos BETWEEN ? AND ?`, params: [region.start, region.end] };
}
