/**
 * The Store facade: one DuckDB connection, one catalog snapshot, and a
 * queue that runs one operation at a time. Each query family lives in its
 * own module (allele-counts.ts, cohorts.ts, variant-keys.ts,
 * expression.ts, query-log.ts); writers get `withWriteTransaction` and a StoreWriter
 * (writer.ts), never the connection.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { NodeError } from '../errors.js';
import type { CohortAst, PhenotypeColumn } from '../../proto/cohort/index.js';
import type { PhenotypeSchema } from '../../proto/phenotype-schema.js';
import type { Region } from '../../proto/region.js';
import type { VariantKey } from '../../proto/variant.js';
import { alleleCounts, type AlleleCountQuery, type AlleleCountRow } from './allele-counts.js';
import { contigName, describe, loadCatalog, summarize, type Catalog, type StoreSummary } from './catalog.js';
import { isEveryone, selectionFor } from './sample-selection.js';
import { carrierMembers, cohortCount, cohortMembers } from './cohorts.js';
import { openDatabase } from './database.js';
import { expressionGenes, expressionInfo, expressionMembers, expressionSums, expressionValues, libSizes, type ExpressionInfo, type ExpressionSums, type ExpressionSumsQuery } from './expression.js';
import { appendQueryLog, hasQueryId, type QueryLogEntry } from './query-log.js';
import { RecordScanner, type QueryContext } from './record-scan.js';
import { variantDosages } from './dosages.js';
import { resolveRsIds, variantKeyList, variantKeys } from './variant-keys.js';
import type { PackedKeyList } from '../../proto/convert/packed-key-list.js';
import { StoreWriter } from './writer.js';

export { MISSING_STRATUM } from './sample-selection.js';
export { CACHE_BYTES } from './record-scan.js';
export type { AlleleCountQuery, AlleleCountRow, ExpressionInfo, ExpressionSums, ExpressionSumsQuery, QueryLogEntry, StoreSummary };

/** Store.expression(): the matrix's values mode and its query family bound to one handle. */
export interface StoreExpression {
  readonly values: 'counts' | 'log';
  genes(): Promise<string[]>;
  members(cohort: string, options?: { by?: readonly string[] }): Promise<Uint32Array | Map<string, Uint32Array>>;
  libSizes(samples: Uint32Array): Promise<Float64Array>;
  sums(q: ExpressionSumsQuery): Promise<ExpressionSums>;
  /** One gene's quantized values (log-CPM with meanLibSize, or as ingested; clipped to [-clip, clip] when clip > 0) for the samples, in their order; null without the gene. */
  geneValues(gene: string, samples: Uint32Array, meanLibSize: number, clip?: number): Promise<Float64Array | null>;
}

export class Store {
  private ctx: QueryContext;
  private closed = false;
  /**
   * One operation at a time: a DuckDB connection runs one query, and a new
   * query invalidates the previous one's streaming result, so concurrent
   * gRPC requests (and an ingest through this handle) are queued here.
   */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly onClose = new Set<() => Promise<void> | void>();

  private constructor(
    readonly dir: string,
    readonly readOnly: boolean,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    catalog: Catalog,
  ) {
    this.ctx = { connection, catalog, records: new RecordScanner(connection, catalog), side: this.sideConnection };
  }

  /** A second connection (record-scan.ts QueryContext.side), opened on first use, closed with the store. */
  private side: Promise<DuckDBConnection> | null = null;
  private readonly sideConnection = (): Promise<DuckDBConnection> => {
    if (!this.side) {
      const p = this.instance.connect();
      this.side = p;
      p.catch(() => { if (this.side === p) this.side = null; });
    }
    return this.side;
  };

  /** @internal openStore() is the way in. */
  static async open(dir: string, readOnly: boolean, instance: DuckDBInstance, connection: DuckDBConnection): Promise<Store> {
    return new Store(dir, readOnly, instance, connection, await loadCatalog(connection));
  }

  private run<T>(fn: (ctx: QueryContext) => Promise<T>): Promise<T> {
    const op = (): Promise<T> => {
      if (this.closed) throw new NodeError('GENOFED_STORE_IO', 'store is closed');
      return fn(this.ctx);
    };
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Re-read the catalog (a new snapshot, and a new record cache). */
  private async refresh(): Promise<void> {
    const catalog = await loadCatalog(this.connection);
    this.ctx = { connection: this.connection, catalog, records: new RecordScanner(this.connection, catalog), side: this.sideConnection };
  }

  /** The queryable phenotype columns; under a consortium schema with their allowed values / bin edges. */
  phenotypeColumns(): readonly PhenotypeColumn[] {
    return this.ctx.catalog.phenotypeColumns;
  }

  /** SHA-256 (hex) of the consortium phenotype schema the phenotypes were ingested under; null without one. */
  phenotypeSchemaFingerprint(): string | null {
    return this.ctx.catalog.schemaSha256;
  }

  /** The consortium phenotype schema stored at ingest (`--schema`), or null. */
  phenotypeSchema(): PhenotypeSchema | null {
    return this.ctx.catalog.schema;
  }

  /** Counts distinct keys over every record (seconds at 10M records): for `node status`; Info and queries use describe(). */
  summary(): Promise<StoreSummary> {
    return this.run((ctx) => summarize(ctx.connection, ctx.catalog));
  }

  /** summary() without the record count (no scan). */
  describe(): Promise<{ samples: number; contigs: string[]; assembly: string | null }> {
    return this.run((ctx) => describe(ctx.connection, ctx.catalog));
  }

  alleleCounts(q: AlleleCountQuery): Promise<AlleleCountRow[]> {
    return this.run((ctx) => alleleCounts(ctx, q));
  }

  /**
   * Region (or whole-store) counts handed to `each` as the scan finds them,
   * none kept (a 10M-record cohort query as rows exhausted a 4 GB heap):
   * `counts` holds 7 counters (ac an nhomalt homRef het homAlt missing)
   * per stratum, in the order of `strata` ([''] without `by`; the same
   * array every call), valid during the call only. Rows come in
   * alleleCounts' order.
   */
  alleleCountsEach(q: { regions?: readonly Region[]; cohort?: string; by?: readonly string[]; groups?: readonly string[] }, each: (chrom: string, pos: number, ref: string, alt: string, counts: Int32Array, strata: readonly string[]) => void): Promise<void> {
    return this.run(async (ctx) => {
      const query: AlleleCountQuery = { ...(q.regions ? { regions: q.regions } : {}), ...(q.cohort !== undefined ? { cohort: q.cohort } : {}), ...(q.by?.length ? { by: q.by } : {}), ...(q.groups?.length ? { groups: q.groups } : {}) };
      const strata: readonly string[] = query.by === undefined && query.groups === undefined && isEveryone(query.cohort) ? [''] : [...(await selectionFor(ctx.connection, ctx.catalog, query)).strata];
      await alleleCounts(ctx, query, { sink: (contig, pos, ref, alt, counts) => each(contigName(ctx.catalog, contig), pos, ref, alt, counts, strata) });
    });
  }

  cohortCount(cohort: string | CohortAst, options: { carriersOf?: VariantKey[] } = {}): Promise<number> {
    return this.run((ctx) => cohortCount(ctx, cohort, options));
  }

  /** Sorted store sample indices of the cohort's carriers of any of `carriersOf` (cohorts.ts). */
  carrierMembers(cohort: string | CohortAst, carriersOf: VariantKey[]): Promise<Uint32Array> {
    return this.run((ctx) => carrierMembers(ctx, cohort, carriersOf));
  }

  /** Sorted stable sample indices of the cohort; one set per stratum with `by` (cohorts.ts). */
  cohortMembers(cohort?: string | CohortAst, options: { by?: string | readonly string[] } = {}): Promise<Uint32Array | Map<string, Uint32Array>> {
    return this.run((ctx) => cohortMembers(ctx, cohort, options.by));
  }

  /** ALT dosages of `variants` for `samples` (sorted store indices): variants x samples, -1 where not called (dosages.ts). */
  dosages(variants: readonly VariantKey[], samples: Uint32Array): Promise<Int8Array> {
    return this.run((ctx) => variantDosages(ctx, variants, samples));
  }

  /** Keys of a region, or of a region list (merged; each key once). */
  variantKeys(region: Region | readonly Region[]): Promise<VariantKey[]> {
    return this.run((ctx) => variantKeys(ctx, region));
  }

  /** variantKeys of a region list as packed lines (the phase-1 listing: proto/convert/packed-key-list.ts). */
  variantKeyList(regions: readonly Region[]): Promise<PackedKeyList> {
    return this.run((ctx) => variantKeyList(ctx, regions));
  }

  /**
   * dbSNP rs id -> the keys of every ALT allele of the records whose ID
   * column holds it, in store order; ids the store lacks are absent.
   */
  resolveRsIds(ids: readonly string[]): Promise<Map<string, VariantKey[]>> {
    return this.run((ctx) => resolveRsIds(ctx, ids));
  }

  /** The expression matrix's values mode, gene and sample counts; null without one. */
  expressionInfo(): ExpressionInfo | null {
    return expressionInfo(this.ctx.catalog);
  }

  /** Sorted store sample indices of the expression samples matching the cohort (genotypes not required). */
  expressionMembers(cohort?: string | CohortAst): Promise<Uint32Array> {
    return this.run(async (ctx) => (await expressionMembers(ctx, cohort)) as Uint32Array);
  }

  /**
   * The expression matrix as the node's expression kinds read it
   * (node/server/ports.ts ServedExpression); null without one. A view of
   * this handle: its calls queue like every other operation.
   */
  async expression(): Promise<StoreExpression | null> {
    const info = this.expressionInfo();
    if (!info) return null;
    return {
      values: info.values,
      genes: () => this.expressionGenes(),
      members: (cohort, options = {}) => this.run((ctx) => expressionMembers(ctx, cohort, options.by)),
      libSizes: async (samples) => (await this.libSizes(samples)).libSizes,
      sums: (q) => this.expressionSums(q),
      geneValues: (gene, samples, meanLibSize, clip) => this.expressionValues(gene, samples, { ...(info.values === 'counts' ? { meanLibSize } : {}), clip }),
    };
  }

  /** Every gene id of the expression matrix, in JavaScript string order. */
  expressionGenes(): Promise<string[]> {
    return this.run((ctx) => expressionGenes(ctx));
  }

  /** Library sizes (counts matrix) of sorted expression samples, and their sum. */
  libSizes(samples: Uint32Array): Promise<{ libSizes: Float64Array; sum: number }> {
    return this.run(async (ctx) => libSizes(ctx.catalog, samples));
  }

  /** Exact X'X, X'y, y'y of quantized values over sorted expression samples (expression.ts). */
  expressionSums(q: ExpressionSumsQuery): Promise<ExpressionSums> {
    return this.run((ctx) => expressionSums(ctx, q));
  }

  /** One gene's quantized y (log-CPM or the stored log value) per sample; null when the store lacks the gene. */
  expressionValues(gene: string, samples: Uint32Array, options: { meanLibSize?: number; clip?: number } = {}): Promise<Float64Array | null> {
    return this.run((ctx) => expressionValues(ctx, gene, samples, options));
  }

  appendQueryLog(entry: QueryLogEntry): Promise<void> {
    return this.run(async (ctx) => {
      if (this.readOnly) throw new NodeError('GENOFED_STORE_READ_ONLY', 'cannot append to the query log of a store opened read-only');
      await appendQueryLog(ctx.connection, entry);
    });
  }

  hasQueryId(id: string): Promise<boolean> {
    return this.run((ctx) => hasQueryId(ctx.connection, id));
  }

  /**
   * Run `fn` with a StoreWriter inside one transaction, queued like every
   * other operation (queries wait; nothing sees a half-written ingest).
   * COMMIT when `fn` resolves, ROLLBACK when it throws (the error is
   * rethrown as is); the catalog is re-read after COMMIT.
   */
  withWriteTransaction<T>(fn: (writer: StoreWriter) => Promise<T>): Promise<T> {
    return this.run(async (ctx) => {
      if (this.readOnly) throw new NodeError('GENOFED_STORE_READ_ONLY', 'cannot write to a store opened read-only');
      const c = ctx.connection;
      await c.run('BEGIN TRANSACTION');
      const writer = new StoreWriter(c, ctx.catalog);
      let out: T;
      try {
        out = await fn(writer);
        await c.run('COMMIT');
      } catch (err) {
        try {
          await c.run('ROLLBACK');
        } catch {
          // A failed COMMIT has already rolled back; nothing else to undo.
        }
        throw err;
      } finally {
        writer.end();
      }
      try {
        await this.refresh();
      } catch (cause) {
        throw new NodeError('GENOFED_STORE_IO', 'the write was committed but the store catalog cannot be re-read; reopen the store', { cause });
      }
      return out;
    });
  }

  /**
   * Run `fn` when close() is called, before queued operations drain and
   * the database closes (the admin socket stops taking requests then).
   * Returns a function that cancels it.
   */
  whenClosing(fn: () => Promise<void> | void): () => void {
    this.onClose.add(fn);
    return () => this.onClose.delete(fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const fn of [...this.onClose]) await fn();
    this.onClose.clear();
    await this.queue; // let queued operations finish first
    if (this.closed) return;
    this.closed = true;
    const side = this.side ? await this.side.catch(() => null) : null;
    side?.closeSync();
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/**
 * Open (or with `create`, create) the store in `dir`. DuckDB allows one
 * read-write process per file, and no reader while it holds it (README,
 * "Concurrency"): GENOFED_STORE_LOCKED then.
 */
export async function openStore(dir: string, options: { readOnly?: boolean; create?: boolean } = {}): Promise<Store> {
  const readOnly = options.readOnly ?? false;
  const { instance, connection } = await openDatabase(dir, { readOnly, create: options.create ?? false });
  try {
    return await Store.open(dir, readOnly, instance, connection);
  } catch (cause) {
    connection.closeSync();
    instance.closeSync();
    throw new NodeError('GENOFED_STORE_IO', 'cannot read the store catalog', { cause });
  }
}
