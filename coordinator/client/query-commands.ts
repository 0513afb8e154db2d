/**
 * Implementations of `genofed query af` and `genofed query cohort`: check
 * the options, read a variants file with the shared parser
 * (proto/variant.ts), call the REST API, print TSV/CSV/JSON/VCF/.afreq/text
 * on stdout (or `--out FILE`) and the responding sites on stderr.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseVariantItems, parseVariantKey, parseVariantList, type VariantKey } from '../../proto/variant.js';
import { canonicalRegions, formatRegions, parseRegionsFile } from '../../proto/region.js';
import { gunzipSync } from 'node:zlib';
import { parseCohort } from '../../proto/cohort/index.js';
import { CoordinatorError } from '../errors.js';
import { ApiClient } from './api-client.js';
import type { AlleleFrequencyAnswer } from '../federation/types.js';
import type { QueryAfOptions, QueryCohortOptions, QueryCommonOptions, QuerySchemaOptions } from './cli.js';
import { afTsvAsync, disclosureLine, schemaText, sitesLine } from './format.js';
import { afWideTsv } from './wide-format.js';
import { afVcf } from './vcf-export.js';
import { afreqAsync } from './afreq.js';
import { csvAsync } from './csv.js';
import { writeFileOut } from './out-file.js';
import { rowProgress, waitingFor } from './progress.js';
import { strataCells } from '../../proto/query.js';
import { parsePhenotypeSchema } from '../../proto/phenotype-schema.js';
import { withOperatorPath } from '../../proto/operator-path.js';

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,5}$/.test(value)) throw new CoordinatorError('GENOFED_USAGE', `${flag}: expected a positive integer`);
  return Number(value);
}

export function client(o: QueryCommonOptions): ApiClient {
  if (!o.coordinator) throw new CoordinatorError('GENOFED_USAGE', '--coordinator (or GENOFED_COORDINATOR) is required');
  if (!o.token) throw new CoordinatorError('GENOFED_USAGE', '--token (or GENOFED_TOKEN) is required');
  const timeout = positiveInt(o.timeout, '--timeout') ?? 600;
  return new ApiClient({ url: o.coordinator, token: o.token, timeoutMs: timeout * 1000 });
}

/** Read a variants file; errors name the file by basename and the line. */
export async function readVariantsFile(path: string): Promise<VariantKey[]> {
  const label = basename(path);
  const text = await readFile(path, 'utf8').catch((cause: unknown) => {
    throw withOperatorPath(new CoordinatorError('GENOFED_USAGE', `${label}: cannot read variants file`, { cause }), path);
  });
  const list = parseVariantList(text, label);
  if (list.length === 0) throw withOperatorPath(new CoordinatorError('GENOFED_USAGE', `${label}: no variants in file`), path);
  return list;
}

/**
 * Read a variants file for `query af` / `query assoc`: key lines and dbSNP
 * rs id lines (`rs1234`, resolved by the sites), as the API takes them
 * (keys as objects, rs ids as strings).
 */
export async function readVariantItemsFile(path: string): Promise<(VariantKey | string)[]> {
  const label = basename(path);
  const text = await readFile(path, 'utf8').catch((cause: unknown) => {
    throw withOperatorPath(new CoordinatorError('GENOFED_USAGE', `${label}: cannot read variants file`, { cause }), path);
  });
  const items = parseVariantItems(text, label);
  if (items.length === 0) throw withOperatorPath(new CoordinatorError('GENOFED_USAGE', `${label}: no variants in file`), path);
  return items.map((x) => (x.kind === 'key' ? x.key : x.rsId));
}

/** One stderr line for rs ids no site holds ('' when none). */
export function unresolvedLine(unresolved: readonly string[] | undefined): string {
  if (!unresolved?.length) return '';
  return `${unresolved.length} rs id(s) held by no site (no rows): ${unresolved.slice(0, 20).join(', ')}${unresolved.length > 20 ? ', ...' : ''}`;
}

/** `--carriers-of`: a file if one exists at that path, else comma-separated keys. */
export async function readCarriersOf(arg: string): Promise<VariantKey[]> {
  const isFile = await stat(arg).then((s) => s.isFile(), () => false);
  if (isFile) return readVariantsFile(arg);
  const keys = arg.split(',').map((s) => s.trim()).filter(Boolean);
  if (keys.length === 0) throw new CoordinatorError('GENOFED_USAGE', '--carriers-of: no variants given');
  return keys.map((k, i) => parseVariantKey(k, `--carriers-of item ${i + 1}`));
}

/** Write to stdout respecting backpressure; a closed pipe (`| head`) ends quietly. */
export async function writeOut(chunks: Iterable<string> | AsyncIterable<string>): Promise<void> {
  const out = process.stdout;
  let buf = '';
  const flush = async (): Promise<void> => {
    if (!buf) return;
    const data = buf;
    buf = '';
    if (!out.write(data)) await new Promise<void>((resolve) => out.once('drain', resolve));
  };
  for await (const c of chunks) {
    buf += c;
    if (buf.length >= 1 << 16) await flush();
  }
  await flush();
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

/**
 * `--region LIST` or `--regions-file FILE` (bcftools -r / -R; plain or
 * gzip), checked here before any network round trip, as the canonical
 * region list the API takes; undefined when neither is given.
 */
export async function regionOption(o: { region?: string; regionsFile?: string }): Promise<string | undefined> {
  if (o.region !== undefined) return canonicalRegions(o.region);
  if (o.regionsFile === undefined) return undefined;
  const path = o.regionsFile;
  const label = basename(path);
  const bytes = await readFile(path).catch((cause: unknown) => {
    throw withOperatorPath(new CoordinatorError('GENOFED_USAGE', `${label}: cannot read regions file`, { cause }), path);
  });
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  const regions = parseRegionsFile(text.split(/\r?\n/), { label });
  if (regions.length === 0) throw withOperatorPath(new CoordinatorError('GENOFED_USAGE', `${label}: no regions in file`), path);
  return formatRegions(regions);
}

/** Exactly one of --region, --regions-file and --variants. */
export function oneScope(o: { region?: string; regionsFile?: string; variants?: string }): void {
  if ([o.region, o.regionsFile, o.variants].filter((x) => x !== undefined).length !== 1) {
    throw new CoordinatorError('GENOFED_USAGE', 'give exactly one of --region, --regions-file and --variants');
  }
}

export async function runQueryAf(o: QueryAfOptions): Promise<void> {
  oneScope(o);
  // Syntax errors are caught here, before any network round trip (columns and values are checked by the coordinator against the schema).
  const region = await regionOption(o);
  if (o.cohort !== undefined) parseCohort(o.cohort);
  const by = o.by !== undefined ? o.by.split(',').map((c) => c.trim()).filter(Boolean) : undefined;
  if (by !== undefined && (by.length === 0 || by.length > 3)) throw new CoordinatorError('GENOFED_USAGE', '--by: 1 to 3 comma-separated columns');
  if (o.format === 'wide' && by === undefined) throw new CoordinatorError('GENOFED_USAGE', '--format wide needs --by');
  if (o.grpmaxExclude !== undefined && by === undefined) throw new CoordinatorError('GENOFED_USAGE', '--grpmax-exclude needs --by');
  if (o.format === 'afreq' && by !== undefined) throw new CoordinatorError('GENOFED_USAGE', '--format afreq has no strata: drop --by (or use --format vcf, wide or tsv)');
  const grpmaxExclude = o.grpmaxExclude === undefined ? undefined : o.grpmaxExclude.trim() === 'none' ? [] : o.grpmaxExclude.split(',').map((g) => g.trim()).filter(Boolean);
  const api = client(o);
  const variants = o.variants !== undefined ? await readVariantItemsFile(o.variants) : undefined;
  // The wide header and the VCF's ##INFO lines list every cell, withheld ones too: the cells come from the consortium schema.
  const cells = (o.format === 'wide' || o.format === 'vcf') && by !== undefined ? strataCells(parsePhenotypeSchema({ format: 'genofed-phenotype-schema', version: 1, columns: (await api.phenotypeSchema()).columns }, "the coordinator's schema"), by) : [];
  const emit = (chunks: Iterable<string> | AsyncIterable<string>): Promise<void> => (o.out !== undefined ? writeFileOut(o.out, chunks) : writeOut(chunks));
  const body = {
    ...(region !== undefined ? { region } : {}),
    ...(variants ? { variants } : {}),
    ...(o.cohort !== undefined ? { cohort: o.cohort } : {}),
    ...(by ? { by } : {}),
    ...(grpmaxExclude ? { grpmaxExclude } : {}),
  };
  let answer: Omit<AlleleFrequencyAnswer, 'rows'>;
  let rowCount: number;
  if (o.format === 'json' || o.format === 'wide' || o.format === 'vcf') {
    // The JSON document, the wide table and the VCF (one line per variant over every cell, sorted) need the whole answer.
    const whole = await waitingFor(api.alleleFrequency(body));
    const query = { ...(region !== undefined ? { region } : {}), ...(variants ? { variants: variants.length } : {}), ...(o.cohort !== undefined ? { cohort: o.cohort } : {}), ...(by ? { by } : {}) };
    await emit(o.format === 'json' ? [`${JSON.stringify(whole)}\n`] : o.format === 'wide' ? afWideTsv(whole, by!, cells) : afVcf(whole, { cells, query }));
    answer = whole;
    rowCount = whole.rows.length;
  } else {
    // The long table (TSV, CSV) and .afreq: rows are written as their NDJSON lines arrive, never held as one answer.
    const progress = rowProgress();
    const stream = api.alleleFrequencyStream(body);
    const rows = progress.count(stream.rows);
    const tsv = (): AsyncGenerator<string> => afTsvAsync(rows, by, { exists: variants !== undefined });
    try {
      await emit(o.format === 'afreq' ? afreqAsync(rows) : o.format === 'csv' ? csvAsync(tsv()) : tsv());
    } finally {
      progress.done();
    }
    answer = stream.summary();
    rowCount = progress.rows;
  }
  process.stderr.write(`genofed: query ${answer.queryId}: ${rowCount} rows; ${sitesLine(answer.sites)}\n`);
  const missing = unresolvedLine(answer.unresolved);
  if (missing) process.stderr.write(`genofed: ${missing}\n`);
  const note = disclosureLine(answer);
  if (note) process.stderr.write(`genofed: ${note}\n`);
}

export async function runQueryCohort(o: QueryCohortOptions): Promise<void> {
  parseCohort(o.cohort);
  const api = client(o);
  const carriersOf = o.carriersOf !== undefined ? await readCarriersOf(o.carriersOf) : undefined;
  const answer = await waitingFor(api.cohortCount({
    cohort: o.cohort,
    ...(carriersOf ? { carriersOf } : {}),
  }));
  if (o.format === 'json') {
    await writeOut([`${JSON.stringify(answer)}\n`]);
  } else {
    await writeOut([`${answer.count}\n`]);
    process.stderr.write(`genofed: query ${answer.queryId}: ${sitesLine(answer.sites)}\n`);
    const note = disclosureLine(answer);
    if (note) process.stderr.write(`genofed: ${note}\n`);
  }
}

export async function runQuerySchema(o: QuerySchemaOptions): Promise<void> {
  const schema = await client(o).phenotypeSchema();
  await writeOut(o.format === 'json' ? [`${JSON.stringify(schema)}\n`] : schemaText(schema));
}
