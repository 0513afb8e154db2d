/**
 * Reading VCF records back out of the `records` table in store order
 * (contig, pos): by a SQL condition, by region, or at the positions of a
 * list of variant keys; what each query family aggregates. Whole-store
 * genotype scans of a small store are cached in memory (CACHE_BYTES).
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { Region } from '../../proto/region.js';
import type { VariantKey } from '../../proto/variant.js';
import type { StoredRecord } from './aggregate.js';
import { contigIdsFor, type Catalog } from './catalog.js';
import type { TotalsIndex } from './totals-index.js';
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

/** Called per record: store contig id, POS, REF, ALT alleles, the stored record. */
export type OnRecord = (contig: number, pos: number, ref: string, alts: string[], rec: StoredRecord) => void;

/** Largest variants list asked in one SQL `IN (...)` batch. */
const KEY_BATCH = 1000;


/** What a query family reads through: the connection, one catalog snapshot, and its record scanner. */
export interface QueryContext {
  readonly connection: DuckDBConnection;
  readonly catalog: Catalog;
  readonly records: RecordScanner;
}

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

  /** Stream the records selected by `where` in store order (contig, pos), calling `each` per record. */
  async scan(where: string, params: DuckDBValue[], mode: ScanMode, each: OnRecord): Promise<void> {
    if (where === 'TRUE' && mode === 'genotypes' && this.catalog.genotypeBytes <= CACHE_BYTES) {
      (await this.cached()).replay(each);
      return;
    }
    await this.scanDatabase(where, params, mode, each);
  }

  /** The whole store's records with their genotypes, read once (callers check CACHE_BYTES). */
  private async cached(): Promise<RecordCache> {
    if (!this.cache) {
      const cache = new RecordCache();
      await this.scanDatabase('TRUE', [], 'genotypes', cache.add);
      cache.seal();
      this.cache = cache;
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

  private async scanDatabase(where: string, params: DuckDBValue[], mode: ScanMode, each: OnRecord): Promise<void> {
    const extra = mode === 'genotypes' ? ', listed, gt_format, samples, gt' : mode === 'totals' ? ', totals' : '';
    const result = await this.connection.stream(`SELECT file_id, contig_id, pos, ref, alts, n_alts${extra} FROM records WHERE n_alts > 0 AND (${where})${this.catalog.inOrder ? '' : ' ORDER BY contig_id, pos, file_id'}`, params);
    const empty = new Uint8Array(0);
    const width = mode === 'genotypes' ? 10 : mode === 'totals' ? 7 : 6;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const v = Array.from({ length: width }, (_, i) => chunk.getColumnVector(i));
      for (let j = 0; j < chunk.rowCount; j++) {
        const g = mode === 'genotypes';
        const rec: StoredRecord = {
          fileId: v[0]!.getItem(j) as number,
          nAlts: v[5]!.getItem(j) as number,
          listed: g ? (v[6]!.getItem(j) as number) : 0,
          format: g ? (v[7]!.getItem(j) as number) : 0,
          samples: g ? (v[8]!.getItem(j) as { bytes: Uint8Array }).bytes : empty,
          gt: g ? (v[9]!.getItem(j) as { bytes: Uint8Array }).bytes : empty,
          ...(mode === 'totals' ? { totals: (v[6]!.getItem(j) as { bytes: Uint8Array }).bytes } : {}),
        };
        each(v[1]!.getItem(j) as number, v[2]!.getItem(j) as number, v[3]!.getItem(j) as string, (v[4]!.getItem(j) as string).split(','), rec);
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
