/**
 * Bodies of the store's commands (loaded lazily by cli.ts): option checks,
 * a progress bar on a terminal, TSV/JSON output on stdout. Each opens the
 * store file; when a running node holds it (GENOFED_STORE_LOCKED), the
 * command goes through the node's admin socket instead, with the same
 * output (admin-client.ts).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { NodeError } from '../errors.js';
import { withOperatorPath } from '../../proto/operator-path.js';
import { inputLabel, openInput } from '../io/open-input.js';
import { readLines } from '../io/lines.js';
import type { PhenotypeType } from '../../proto/cohort/index.js';
import type { ExpressionValues } from '../expression/index.js';
import { parseRegions, parseRegionsFile, type Region } from '../../proto/region.js';
import { parseVariantItems, type VariantKey, type VariantListItem } from '../../proto/variant.js';
import { readPhenotypeSchemaFile } from '../phenotypes/index.js';
import { connectAdmin } from './admin-client.js';
import type { AdminAlleleCountArgs } from './admin-protocol.js';
import { ingest, type IngestProgress, type IngestReport, type SampleIdCheck } from './ingest.js';
import { openStore, type AlleleCountRow } from './store.js';

/** What the query commands need: the Store opened read-only, or a running node's admin socket. */
interface QueryStore {
  alleleCounts(q: AdminAlleleCountArgs): Promise<AlleleCountRow[]>;
  cohortCount(cohort: string): Promise<number>;
  resolveRsIds(ids: readonly string[]): Promise<Map<string, VariantKey[]>>;
  close(): Promise<void>;
}

function isLocked(err: unknown): boolean {
  return err instanceof NodeError && err.code === 'GENOFED_STORE_LOCKED';
}

/** The store file read-only; if a running node holds it, that node's admin socket (when it has one). */
async function openForQuery(dir: string): Promise<QueryStore> {
  try {
    return await openStore(dir, { readOnly: true });
  } catch (err) {
    if (!isLocked(err)) throw err;
    const admin = await connectAdmin(dir);
    if (!admin) throw err;
    return admin;
  }
}

function parseTypes(text: string | undefined): Record<string, PhenotypeType> | undefined {
  if (text === undefined) return undefined;
  const out: Record<string, PhenotypeType> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.lastIndexOf('=');
    const name = part.slice(0, eq).trim();
    const type = part.slice(eq + 1).trim();
    if (eq <= 0 || !['categorical', 'integer', 'number'].includes(type)) {
      throw new NodeError('GENOFED_USAGE', `--types: expected col=categorical|integer|number, got '${part}'`);
    }
    out[name] = type as PhenotypeType;
  }
  return out;
}

function checkFormat(format: string): 'tsv' | 'json' {
  if (format !== 'tsv' && format !== 'json') throw new NodeError('GENOFED_USAGE', `--format must be tsv or json, not '${format}'`);
  return format;
}

async function progressBar(): Promise<{ update(p: IngestProgress): void; stop(): void } | null> {
  if (!process.stderr.isTTY) return null;
  const { SingleBar, Presets } = (await import('cli-progress')).default;
  const bar = new SingleBar({
    format: '{file} |{bar}| {percentage}% {mb}/{totalMb} MB {variants} variants {rate} variants/s',
    stream: process.stderr,
    hideCursor: true,
  }, Presets.shades_classic);
  const start = Date.now();
  let started = '';
  return {
    update(p) {
      const mb = (n: number): string => (n / 1e6).toFixed(1);
      const payload = { file: p.file, mb: mb(p.bytesRead), totalMb: mb(p.bytesTotal), variants: p.variants, rate: Math.round(p.variants / Math.max(0.001, (Date.now() - start) / 1000)) };
      if (started !== p.file) {
        if (started) bar.stop();
        bar.start(Math.max(1, p.bytesTotal), Math.min(p.bytesRead, p.bytesTotal), payload);
        started = p.file;
      } else bar.update(Math.min(p.bytesRead, p.bytesTotal), payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export interface IngestCliOptions {
  store: string;
  vcf: string[];
  phenotypes?: string;
  idColumn?: string;
  types?: string;
  strict?: boolean;
  keyFile?: string;
  rawIds?: boolean;
  schema?: string;
  expression?: string;
  values?: string;
}

/**
 * --key-file (the sample names must be this site's pseudonyms: the MAC of
 * `pseudonymize vcf` verifies under the site key) or --raw-ids (accepted
 * deliberately); one of them is required: without the key nothing proves
 * whose pseudonyms the names are.
 */
function idCheckOf(opts: IngestCliOptions): SampleIdCheck {
  if (opts.keyFile !== undefined && opts.rawIds) throw new NodeError('GENOFED_USAGE', 'give --key-file or --raw-ids, not both');
  if (opts.rawIds) return { rawIds: true };
  if (opts.keyFile !== undefined) return { keyFile: opts.keyFile };
  if (opts.vcf.length === 0) return { unverifiedPseudonyms: true };
  throw new NodeError('GENOFED_USAGE', '--key-file site.key is required to check that the sample names are this site\'s pseudonyms (pseudonymize vcf writes the proof); --raw-ids accepts raw ids deliberately');
}

/** --values: counts (default) or log; only with --expression. */
function expressionValuesOf(opts: IngestCliOptions): ExpressionValues | undefined {
  if (opts.expression === undefined) {
    if (opts.values !== undefined) throw new NodeError('GENOFED_USAGE', '--values applies to an expression matrix: give --expression');
    return undefined;
  }
  const v = opts.values ?? 'counts';
  if (v !== 'counts' && v !== 'log') throw new NodeError('GENOFED_USAGE', `--values must be counts or log, not '${v}'`);
  return v;
}

export async function runIngest(opts: IngestCliOptions): Promise<void> {
  if (opts.vcf.length === 0 && opts.phenotypes === undefined && opts.schema === undefined && opts.expression === undefined) throw new NodeError('GENOFED_USAGE', 'give at least one --vcf, --phenotypes, --expression or --schema');
  const expressionValues = expressionValuesOf(opts);
  const types = parseTypes(opts.types);
  const idCheck = idCheckOf(opts);
  const schema = opts.schema !== undefined ? await readPhenotypeSchemaFile(opts.schema) : undefined;
  const bar = await progressBar();
  const onProgress = bar ? (p: IngestProgress) => bar.update(p) : undefined;
  let report: IngestReport;
  try {
    try {
      report = await ingest(opts.store, {
        ...idCheck,
        vcfs: opts.vcf,
        ...(opts.phenotypes !== undefined ? { phenotypes: opts.phenotypes } : {}),
        ...(opts.idColumn !== undefined ? { idColumn: opts.idColumn } : {}),
        ...(types ? { types } : {}),
        ...(schema ? { schema } : {}),
        ...(opts.expression !== undefined ? { expression: opts.expression, expressionValues } : {}),
        strict: opts.strict ?? false,
        ...(onProgress ? { onProgress } : {}),
      });
    } catch (err) {
      // A running node holds the store: ingest through it (one transaction in its store queue).
      const admin = isLocked(err) ? await connectAdmin(opts.store) : null;
      if (!admin) throw err;
      report = await admin.ingest({
        ...(idCheck.rawIds ? { rawIds: true } : {}),
        ...(idCheck.keyFile !== undefined ? { keyFile: resolve(idCheck.keyFile) } : {}),
        ...(idCheck.unverifiedPseudonyms ? { unverifiedPseudonyms: true } : {}),
        vcfs: opts.vcf.map((v) => resolve(v)),
        ...(opts.phenotypes !== undefined ? { phenotypes: resolve(opts.phenotypes) } : {}),
        ...(opts.idColumn !== undefined ? { idColumn: opts.idColumn } : {}),
        ...(types ? { types } : {}),
        ...(schema ? { schema } : {}),
        ...(opts.expression !== undefined ? { expression: resolve(opts.expression), expressionValues } : {}),
        strict: opts.strict ?? false,
      }, onProgress);
    }
  } finally {
    bar?.stop();
  }
  const out = process.stdout;
  out.write(`ingested ${report.files} file(s), ${report.variants} records; the store now has ${report.samples} samples\n`);
  if (opts.phenotypes !== undefined) {
    out.write(`phenotypes: ${report.phenotypeRows} rows from ${inputLabel(opts.phenotypes)}; query columns: ${report.phenotypeColumns.join(', ') || 'none'}\n`);
    if (report.phenotypeColumnsNotStored.length > 0) out.write(`columns not stored (not in the consortium schema): ${report.phenotypeColumnsNotStored.join(', ')}\n`);
  }
  if (report.phenotypeSchema !== null) out.write(`phenotype schema: ${report.phenotypeSchema}\n`);
  out.write(`samples without phenotypes: ${report.samplesWithoutPhenotypes}\n`);
  out.write(`phenotype rows without genotypes: ${report.phenotypeRowsWithoutGenotypes}\n`);
  const e = report.expression;
  if (e) {
    if (e.ingested && opts.expression !== undefined) out.write(`expression: ${e.genes} genes x ${e.samples} samples (${e.values}) from ${inputLabel(opts.expression)}; it replaces any earlier matrix\n`);
    out.write(`expression samples without genotypes: ${e.samplesWithoutGenotypes}\n`);
    out.write(`expression samples without phenotypes: ${e.samplesWithoutPhenotypes}\n`);
  }
  for (const w of report.warnings) {
    process.stderr.write(`warning: ${w.file}:${w.firstLine}: ${w.problem} (${w.count} record(s); ${w.code})\n`);
  }
}

function af(r: AlleleCountRow): number | null {
  return r.an > 0 ? Number((r.ac / r.an).toPrecision(6)) : null;
}

/** A regions file's lines (plain or gzip), for proto/region.ts parseRegionsFile (which does no I/O). */
async function readRegionsFile(path: string): Promise<Region[]> {
  const input = await openInput(path);
  const lines: string[] = [];
  for await (const line of readLines(input.stream)) lines.push(line.bytes.toString('utf8'));
  return parseRegionsFile(lines, { label: input.label });
}

/**
 * The keys of a variants file: key lines as written, each rs id line
 * replaced in place by the keys of every ALT allele of its records (store
 * order). An rs id the store lacks gives no row; they are listed on stderr.
 */
async function expandRsIds(store: Pick<QueryStore, 'resolveRsIds'>, items: readonly VariantListItem[]): Promise<VariantKey[]> {
  const rsIds = items.flatMap((i) => (i.kind === 'rsid' ? [i.rsId] : []));
  const resolved = rsIds.length > 0 ? await store.resolveRsIds(rsIds) : new Map<string, VariantKey[]>();
  const missing = [...new Set(rsIds.filter((id) => !resolved.has(id)))];
  if (missing.length > 0) process.stderr.write(`note: ${missing.length} of ${new Set(rsIds).size} rs ids are not in the store (no rows): ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', ...' : ''}\n`);
  return items.flatMap((i) => (i.kind === 'key' ? [i.key] : resolved.get(i.rsId) ?? []));
}

export async function runQueryAf(opts: { store: string; region?: string; regionsFile?: string; variants?: string; cohort?: string; by?: string; format: string }): Promise<void> {
  const format = checkFormat(opts.format);
  if ([opts.region, opts.regionsFile, opts.variants].filter((x) => x !== undefined).length !== 1) throw new NodeError('GENOFED_USAGE', 'give exactly one of --region, --regions-file or --variants');
  const regions = opts.region !== undefined ? parseRegions(opts.region) : opts.regionsFile !== undefined ? await readRegionsFile(opts.regionsFile) : undefined;
  let items: VariantListItem[] | undefined;
  if (opts.variants !== undefined) {
    const text = await readFile(opts.variants, 'utf8').catch((cause: unknown) => {
      throw withOperatorPath(new NodeError('GENOFED_INPUT_NOT_FOUND', `${inputLabel(opts.variants!)}: cannot read variants file`, { cause }), opts.variants!);
    });
    items = parseVariantItems(text, inputLabel(opts.variants));
  }
  const store = await openForQuery(opts.store);
  try {
    const variants = items ? await expandRsIds(store, items) : undefined;
    const rows = await store.alleleCounts({
      ...(regions ? { regions } : {}),
      ...(variants ? { variants } : {}),
      ...(opts.cohort !== undefined ? { cohort: opts.cohort } : {}),
      ...(opts.by !== undefined ? { by: opts.by } : {}),
    });
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify(rows.map((r) => ({ ...r, af: af(r) })))}\n`);
      return;
    }
    const lines: string[] = [`${opts.by !== undefined ? 'stratum\t' : ''}chrom\tpos\tref\talt\tac\tan\taf\tnhomalt`];
    for (const r of rows) {
      const a = af(r);
      lines.push(`${r.stratum !== undefined ? `${r.stratum}\t` : ''}${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}\t${r.ac}\t${r.an}\t${a === null ? '.' : a}\t${r.nhomalt}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await store.close();
  }
}

export async function runQueryCohort(opts: { store: string; cohort: string; format: string }): Promise<void> {
  const format = checkFormat(opts.format);
  const store = await openForQuery(opts.store);
  try {
    const n = await store.cohortCount(opts.cohort);
    process.stdout.write(format === 'json' ? `${JSON.stringify({ samples: n })}\n` : `samples\n${n}\n`);
  } finally {
    await store.close();
  }
}
