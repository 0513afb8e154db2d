/**
 * Ingest VCFs (and a phenotype table, and an expression matrix) into the
 * store in ONE DuckDB transaction: a failure anywhere (bad line, refused
 * file, sample ids that are not this site's pseudonyms, a table that does
 * not fit the consortium schema or matches no sample, a matrix that links
 * to no sample, crash, kill) leaves the store exactly as it was. Records go
 * in through the Appender, one row per VCF record (genotypes encoded by
 * genotype-codec.ts); the phenotype rules are in ingest-phenotypes.ts, the
 * expression rules in ingest-expression.ts.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { NodeError } from '../errors.js';
import { withOperatorPath } from '../../proto/operator-path.js';
import { openInput, inputLabel } from '../io/open-input.js';
import { readVcf } from '../vcf/index.js';
import type { ExpressionMatrix, ExpressionValues } from '../expression/index.js';
import type { VcfHeader } from '../vcf/types.js';
import type { PhenotypeType } from '../../proto/cohort/index.js';
import type { PhenotypeSchema } from '../../proto/phenotype-schema.js';
import { normalizeContig } from '../../proto/variant.js';
import { ByteSink, encodeGenotypes } from './genotype-codec.js';
import { pseudonymizedSamplesProblem } from '../pseudonymize/sample-list-mac.js';
import { readSiteKeyFile, type SiteKey } from '../pseudonymize/site-key.js';
import { allSamplesCohort, countRecord, encodeTotals } from './aggregate.js';
import { checkFileAssembly, fileAssembly, type StoreAssembly } from './assembly.js';
import { checkIdentifierColumns, checkPhenotypeIds, checkTableMatches, readPhenotypes, resolveSchema } from './ingest-phenotypes.js';
import { checkExpressionIds, checkExpressionLinked, expressionWarnings, readExpression } from './ingest-expression.js';
import { openStore, type Store } from './store.js';
import type { StoreState, StoreWriter } from './writer.js';

export interface IngestProgress {
  file: string;
  bytesRead: number;
  bytesTotal: number;
  variants: number;
}

export interface IngestReport {
  files: number;
  samples: number;
  variants: number;
  phenotypeRows: number;
  samplesWithoutPhenotypes: number;
  phenotypeRowsWithoutGenotypes: number;
  /** Columns of the phenotype table given in this ingest that were stored (schema order under a schema). */
  phenotypeColumns: string[];
  /** Columns of that table NOT stored because the consortium schema does not have them (names only). */
  phenotypeColumnsNotStored: string[];
  /** Fingerprint of the store's consortium phenotype schema after this ingest (null: none). */
  phenotypeSchema: string | null;
  /** Raw-ids ingests only: all-distinct columns stored anyway (a warning; identifier-like names are always refused). */
  identifierColumnsAccepted: { name: string; reason: string }[];
  /**
   * The store's expression matrix after this ingest (null: none): whether
   * this ingest gave it (replacing any earlier one), its size and values
   * mode, and how many of its samples have no genotypes / no phenotype row.
   */
  expression: {
    ingested: boolean;
    values: ExpressionValues;
    genes: number;
    samples: number;
    samplesWithoutGenotypes: number;
    samplesWithoutPhenotypes: number;
  } | null;
  /** Tolerated VCF and expression-matrix problems (lenient mode), counted per kind: never silently dropped. */
  warnings: { file: string; code: string; problem: string; count: number; firstLine: number }[];
}

/** A VCF to ingest that is not a file on disk (benchmarks stream a generator). */
export interface IngestSource {
  /** Name used in messages (a basename, never a path). */
  readonly label: string;
  /** Identity for the re-ingest check (a file's SHA-256; a generator's seed and size). */
  readonly contentId: string;
  open(): Promise<{ stream: Readable; bytesRead(): number; sizeOnDisk: number }>;
}

/**
 * How ingest knows the sample ids are this site's pseudonyms (README, "How
 * ingest knows"): exactly one of these, never a silent default.
 * - `siteKey` / `keyFile`: every VCF with samples must carry names matching
 *   the pseudonym pattern and a `##genofed_pseudonyms` line naming this key
 *   whose MAC verifies over its own sample list; phenotype ids must match
 *   the pattern.
 * - `unverifiedPseudonyms` (the CLI without `--key-file`): the same, but the
 *   MAC cannot be checked without the key.
 * - `rawIds` (`--raw-ids`): raw ids accepted deliberately (development data
 *   such as the public 1000 Genomes ids; see also identifier columns).
 */
export type SampleIdCheck =
  | { siteKey: SiteKey; keyFile?: undefined; rawIds?: false; unverifiedPseudonyms?: undefined }
  | { keyFile: string; siteKey?: undefined; rawIds?: false; unverifiedPseudonyms?: undefined }
  | { unverifiedPseudonyms: true; siteKey?: undefined; keyFile?: undefined; rawIds?: false }
  | { rawIds: true; siteKey?: undefined; keyFile?: undefined; unverifiedPseudonyms?: undefined };

export type IngestOptions = IngestInputs & SampleIdCheck;

export interface IngestInputs {
  vcfs?: string[];
  /** Sources other than files (tests, benchmarks). */
  sources?: IngestSource[];
  phenotypes?: string;
  idColumn?: string;
  types?: Record<string, PhenotypeType>;
  /**
   * Consortium phenotype schema (`--schema`; proto/phenotype-schema.ts):
   * only its columns are stored, values generalized, and it is kept in the
   * store for later tables and every cohort check. Default: the stored one.
   */
  schema?: PhenotypeSchema;
  /**
   * Expression matrix (`--expression`: genes x samples, sample columns named
   * with the site's pseudonyms); replaces the store's matrix as a whole.
   */
  expression?: string;
  /** `--values`: raw counts (default) or values already on a log scale. */
  expressionValues?: ExpressionValues;
  /** Spec violations that do not touch genotypes/alleles are warnings (default) or errors (strict). */
  strict?: boolean;
  onProgress?: (p: IngestProgress) => void;
  signal?: AbortSignal;
  /** Test hook only: throw after this many records, to prove atomicity. */
  failAfterVariants?: number;
}

/** SHA-256 of a file's bytes: the same content under another name is refused. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (cause) {
    throw withOperatorPath(new NodeError('GENOFED_INPUT_NOT_FOUND', `${inputLabel(path)}: cannot read input file`, { cause }), path);
  }
  return hash.digest('hex');
}

function fileSource(path: string, sha: string): IngestSource {
  return { label: inputLabel(path), contentId: sha, open: () => openInput(path) };
}

/** A dbSNP rs id as the VCF ID column writes it (the same test pseudonymize vcf keeps ids by). */
const RS_ID = /^rs[0-9]+$/;

/** The rs ids of an ID column (`rs1;rs2`, `rs1;local_7`): only those are stored. */
function rsIdsOf(id: string): string[] {
  return id.split(';').filter((x) => RS_ID.test(x));
}

/** Progress callbacks at most every 100 ms: a terminal redraw per batch would cost more than the batch. */
const PROGRESS_MS = 100;

class Ingester {
  private readonly sampleIdx = new Map<string, number>();
  private nextSample = 0;
  private readonly contigByNorm = new Map<string, number>();
  private nextContig = 0;
  private nextFile = 0;
  private recordsSeen = 0;
  private readonly assembly: StoreAssembly;
  readonly warnings: IngestReport['warnings'] = [];

  constructor(
    private readonly w: StoreWriter,
    private readonly options: IngestOptions,
    /** null: raw ids accepted; undefined key: pattern and line only (no key at hand). */
    private readonly idCheck: { key: SiteKey | undefined } | null,
    state: StoreState,
  ) {
    for (const [id, idx] of state.samples) this.sampleIdx.set(id, idx);
    this.nextSample = this.sampleIdx.size;
    for (const [norm, id] of state.contigs) this.contigByNorm.set(norm, id);
    this.nextContig = this.contigByNorm.size;
    this.nextFile = state.nextFileId;
    this.assembly = { build: state.assembly, lengths: new Map(state.contigLengths) };
  }

  private async contigId(name: string): Promise<number> {
    const norm = normalizeContig(name);
    let id = this.contigByNorm.get(norm);
    if (id === undefined) {
      id = this.nextContig++;
      this.contigByNorm.set(norm, id);
      await this.w.addContig(id, name, norm);
    }
    return id;
  }

  private async registerSamples(header: VcfHeader, fileId: number, label: string): Promise<void> {
    const seen = new Set<string>();
    const columns: number[] = [];
    const fresh: [number, string][] = [];
    header.samples.forEach((id, col) => {
      if (seen.has(id)) throw new NodeError('GENOFED_VCF_HEADER', `${label}: sample column ${col + 10} repeats an earlier sample name`);
      seen.add(id);
      let idx = this.sampleIdx.get(id);
      if (idx === undefined) {
        idx = this.nextSample++;
        this.sampleIdx.set(id, idx);
        fresh.push([idx, id]);
      }
      columns.push(idx);
    });
    await this.w.addFileSamples(fileId, columns, fresh);
  }

  async ingestSource(src: IngestSource): Promise<number> {
    const w = this.w;
    if (await w.hasContent(src.contentId)) {
      throw new NodeError('GENOFED_STORE_ALREADY_INGESTED', `${src.label}: this file's content was already ingested into the store`);
    }
    const input = await src.open();
    const reader = await readVcf(input.stream, { label: src.label, strict: this.options.strict ?? false, ...(this.options.signal ? { signal: this.options.signal } : {}) });
    const header = reader.header;
    if (this.idCheck) {
      const problem = pseudonymizedSamplesProblem(header.lines, header.samples, this.idCheck.key);
      if (problem) throw new NodeError('GENOFED_NOT_PSEUDONYMIZED', `${src.label}: ${problem}; run genofed pseudonymize vcf on it with the site key first, or pass --raw-ids to ingest raw sample ids deliberately`);
    }
    // One assembly per store: by name, else by contig lengths; and every contig length as recorded.
    const fits = checkFileAssembly(fileAssembly(header, src.label), this.assembly, src.label);
    const fileId = this.nextFile++;
    await w.addFile(fileId, src.contentId, src.label, header.samples.length);
    for (const contig of header.contigs) await this.contigId(contig.id);
    if (fits.build) {
      this.assembly.build = fits.build;
      await w.setAssembly(fits.build);
    }
    for (const [name, length] of fits.lengths) {
      this.assembly.lengths.set(normalizeContig(name), length);
      await w.addContigLength(await this.contigId(name), length);
    }
    await this.registerSamples(header, fileId, src.label);

    const ranges = new Map<number, [number, number]>();
    const everyone = allSamplesCohort(header.samples.length);
    const sampleSink = new ByteSink();
    const gtSink = new ByteSink();
    let records = 0;
    let lastProgress = 0;
    let lastName = '';
    let lastId = -1;
    let sorted = true;
    let prevContig = -1;
    let prevPos = 0;
    const app = await w.records();
    try {
      for await (const batch of reader.variants()) {
        for (const v of batch) {
          if (v.chrom !== lastName) { lastId = await this.contigId(v.chrom); lastName = v.chrom; }
          if (lastId < prevContig || (lastId === prevContig && v.pos < prevPos)) sorted = false;
          prevContig = lastId;
          prevPos = v.pos;
          const r = ranges.get(lastId);
          if (!r) ranges.set(lastId, [v.pos, v.pos]);
          else { if (v.pos < r[0]) r[0] = v.pos; if (v.pos > r[1]) r[1] = v.pos; }
          records++;
          if (this.options.failAfterVariants !== undefined && ++this.recordsSeen > this.options.failAfterVariants) {
            throw new NodeError('GENOFED_STORE_IO', `${src.label}:${v.line}: injected failure (test hook failAfterVariants)`);
          }
          if (v.alts.length === 0) continue; // ALT '.': no allele to count
          const enc = encodeGenotypes(v, header.samples.length, sampleSink, gtSink);
          const totals = encodeTotals(countRecord({ fileId, nAlts: v.alts.length, listed: enc.listed, format: enc.format, samples: enc.samples, gt: enc.gt, totals: undefined }, everyone));
          app.append({ fileId, contigId: lastId, pos: v.pos, ref: v.ref, alts: v.alts, genotypes: enc, totals, ...(v.id.includes('rs') ? { rsIds: rsIdsOf(v.id) } : {}) });
        }
        const now = Date.now();
        if (this.options.onProgress && now - lastProgress >= PROGRESS_MS) {
          lastProgress = now;
          this.options.onProgress({ file: src.label, bytesRead: input.bytesRead(), bytesTotal: input.sizeOnDisk, variants: records });
        }
      }
    } finally {
      app.close();
    }
    for (const wn of reader.warnings()) this.warnings.push({ file: src.label, code: wn.code, problem: wn.problem, count: wn.count, firstLine: wn.firstLine });
    this.options.onProgress?.({ file: src.label, bytesRead: input.bytesRead(), bytesTotal: input.sizeOnDisk, variants: records });
    await w.finishFile(fileId, records, sorted, ranges);
    // Double-count check: another file with a shared sample covering an overlapping range of a shared contig.
    if (await w.sharesSamplesOnOverlappingRange(fileId)) {
      throw new NodeError('GENOFED_STORE_SAMPLE_OVERLAP', `${src.label}: shares samples with an ingested file that has records in an overlapping range of the same contig; its genotypes would be counted twice`);
    }
    return records;
  }

  /**
   * Store sample indices of `ids` (an expression matrix's columns); ids new
   * to the store get the next indices and are added as identities.
   */
  async identify(ids: readonly string[]): Promise<number[]> {
    const fresh: [number, string][] = [];
    const out = ids.map((id) => {
      let idx = this.sampleIdx.get(id);
      if (idx === undefined) {
        idx = this.nextSample++;
        this.sampleIdx.set(id, idx);
        fresh.push([idx, id]);
      }
      return idx;
    });
    await this.w.addSamples(fresh);
    return out;
  }

  /**
   * Store index of every sample id the store knows, including this
   * ingest's: genotyped, or from an expression matrix (the unmatched-table
   * and unlinked-matrix checks).
   */
  get known(): ReadonlyMap<string, number> {
    return this.sampleIdx;
  }
}

/**
 * Ingest into an open, writable store (the node server and its admin
 * socket call this on their own handle). Queued behind running queries.
 */
export async function ingestInto(store: Store, options: IngestOptions): Promise<IngestReport> {
  if (store.readOnly) throw new NodeError('GENOFED_STORE_READ_ONLY', 'cannot ingest into a store opened read-only');
  const idCheck = await sampleIdCheck(options);
  const vcfs = options.vcfs ?? [];
  // Hash before touching the store: a duplicate is refused before any parsing.
  const sources: IngestSource[] = [];
  const ids = new Set<string>();
  for (const path of vcfs) {
    const sha = await fileSha256(path);
    if (ids.has(sha)) throw new NodeError('GENOFED_STORE_ALREADY_INGESTED', `${inputLabel(path)}: the same content is given twice in this ingest`);
    ids.add(sha);
    sources.push(fileSource(path, sha));
  }
  sources.push(...(options.sources ?? []));
  if (sources.length === 0 && options.phenotypes === undefined && options.schema === undefined && options.expression === undefined) throw new NodeError('GENOFED_USAGE', 'nothing to ingest: give at least one VCF, a phenotype table, an expression matrix or a schema');
  if (options.expressionValues !== undefined && options.expression === undefined) throw new NodeError('GENOFED_USAGE', '--values applies to an expression matrix (--expression)');
  if (options.expressionValues !== undefined && options.expressionValues !== 'counts' && options.expressionValues !== 'log') throw new NodeError('GENOFED_USAGE', '--values must be counts or log');
  let done: Omit<IngestReport, 'phenotypeSchema'>;
  try {
    done = await store.withWriteTransaction((w) => ingestNow(w, options, idCheck, sources));
  } catch (err) {
    if (err instanceof Error && 'code' in err && typeof (err as { code: unknown }).code === 'string' && String((err as { code: string }).code).startsWith('GENOFED_')) throw err;
    throw new NodeError('GENOFED_STORE_IO', 'ingest failed in the store database; the store is unchanged', { cause: err });
  }
  return { ...done, phenotypeSchema: store.phenotypeSchemaFingerprint() };
}

/** The sample-id check the options ask for (exactly one mode; see SampleIdCheck). */
async function sampleIdCheck(options: IngestOptions): Promise<{ key: SiteKey | undefined } | null> {
  const modes = [options.siteKey !== undefined, options.keyFile !== undefined, options.unverifiedPseudonyms === true, options.rawIds === true].filter(Boolean).length;
  if (modes !== 1) {
    throw new NodeError('GENOFED_USAGE', modes === 0
      ? 'ingest needs the site key (--key-file) to check that sample ids are this site\'s pseudonyms, or --raw-ids to accept raw ids deliberately'
      : 'give only one of the site key (--key-file), unverified pseudonyms, or --raw-ids');
  }
  if (options.rawIds === true) return null;
  if (options.siteKey) return { key: options.siteKey };
  if (options.keyFile !== undefined) return { key: await readSiteKeyFile(options.keyFile) };
  return { key: undefined };
}

/** Inside the write transaction: the phenotype decisions, every VCF, the expression matrix, the phenotype table, the schema. */
async function ingestNow(w: StoreWriter, options: IngestOptions, idCheck: { key: SiteKey | undefined } | null, sources: IngestSource[]): Promise<Omit<IngestReport, 'phenotypeSchema'>> {
  const state = await w.state();
  const { schema, isNew } = resolveSchema(w.catalog, options.schema, options.phenotypes !== undefined, state.hasPhenotypeTable);
  // Parse the phenotype table first: a bad one fails before the long VCF pass.
  const label = options.phenotypes !== undefined ? inputLabel(options.phenotypes) : '';
  const phenotypes = options.phenotypes !== undefined ? await readPhenotypes(options.phenotypes, options, schema) : undefined;
  let identifierColumnsAccepted: IngestReport['identifierColumnsAccepted'] = [];
  if (phenotypes) {
    if (idCheck) checkPhenotypeIds(phenotypes, label);
    if (!schema) identifierColumnsAccepted = checkIdentifierColumns(phenotypes, label, idCheck === null);
  }
  // The matrix too is parsed before the VCF pass.
  const exprLabel = options.expression !== undefined ? inputLabel(options.expression) : '';
  const expression = options.expression !== undefined ? await readExpression(options.expression, options.expressionValues ?? 'counts', options.signal) : undefined;
  if (expression && idCheck) checkExpressionIds(expression, exprLabel);
  let variants = 0;
  const ing = new Ingester(w, options, idCheck, state);
  for (const src of sources) variants += await ing.ingestSource(src);
  if (expression) await storeExpression(w, ing, expression, exprLabel, phenotypes ? new Set(phenotypes.ids) : await w.phenotypeIds());
  if (phenotypes) {
    checkTableMatches(phenotypes, label, ing.known);
    await w.replacePhenotypes(phenotypes);
  }
  if (schema && isNew) await w.setPhenotypeSchema(schema);
  const counts = await w.counts();
  const stored = w.catalog.expression;
  const values = expression?.values ?? stored?.values;
  return {
    files: sources.length,
    samples: counts.samples,
    variants,
    phenotypeRows: counts.phenotypeRows,
    samplesWithoutPhenotypes: counts.samples - counts.samplesWithPhenotypes,
    phenotypeRowsWithoutGenotypes: counts.phenotypeRows - counts.samplesWithPhenotypes,
    phenotypeColumns: phenotypes ? phenotypes.columns.map((col) => col.name) : [],
    phenotypeColumnsNotStored: phenotypes ? [...phenotypes.notStored] : [],
    identifierColumnsAccepted,
    expression: values === undefined ? null : {
      ingested: expression !== undefined,
      values,
      genes: expression ? expression.genes.length : stored!.genes,
      samples: counts.expressionSamples,
      samplesWithoutGenotypes: counts.expressionWithoutGenotypes,
      samplesWithoutPhenotypes: counts.expressionWithoutPhenotypes,
    },
    warnings: [...ing.warnings, ...(expression ? expressionWarnings(expression, exprLabel) : [])],
  };
}

/**
 * Link the matrix's samples to store identities (new ones for samples the
 * store does not know) and replace the stored matrix. `phenotypeIds`: the
 * ids of the phenotype table the store will hold (this ingest's, else the
 * stored one).
 */
async function storeExpression(w: StoreWriter, ing: Ingester, m: ExpressionMatrix, label: string, phenotypeIds: ReadonlySet<string>): Promise<void> {
  checkExpressionLinked(m, label, (id) => ing.known.has(id) || phenotypeIds.has(id), ing.known.size > 0 || phenotypeIds.size > 0);
  const columns = await ing.identify(m.samples);
  await w.replaceExpression({ values: m.values, columns, genes: m.genes, rows: m.rows, libSizes: m.columnSums });
}

/** `genofed node ingest`: open (creating if needed), ingest atomically, close. */
export async function ingest(storeDir: string, options: IngestOptions): Promise<IngestReport> {
  const store = await openStore(storeDir, { create: true });
  try {
    return await ingestInto(store, options);
  } finally {
    await store.close();
  }
}
