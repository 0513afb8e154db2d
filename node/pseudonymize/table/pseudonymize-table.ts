/**
 * Phenotype tables and expression matrices (issue 5, "Tables"):
 * - id columns (default: the first column) replaced with the 'sample'
 *   pseudonym, the same function as VCF sample columns and @RG SM, so a
 *   person matches across files of the site;
 * - `matrix`: a genes x samples matrix; the header's sample names are
 *   replaced and every other byte is kept (R-style headers one field
 *   shorter than the rows are recognised); every cell after the first
 *   column must be a number or missing (matrix-shape.ts), and a table that
 *   looks like a matrix is refused without `matrix` or named id columns;
 * - named date columns shifted by the person's key-derived offset
 *   (`dates.ts`) or generalized to the year;
 * - columns whose name looks like an identifier (`patient_id`, `mrn_no`,
 *   `phone`, `zip`, `first_name`, `date_of_birth`: `isIdLikeColumnName`)
 *   are dropped unless they are id columns (pseudonymized) or named date
 *   columns (shifted); keeping one by name is refused;
 * - all-numeric columns whose values are all distinct (>= 10 rows: record
 *   numbers, all-digit phone numbers) are dropped;
 * - `keep`: an allow-list; only its columns and the id/date columns survive;
 * - other columns are kept when numeric or low-cardinality categorical,
 *   and dropped (unless kept by name) when they hold dates, references to
 *   ids of the id columns, long text (mean > 40 characters) or
 *   high-cardinality text (more distinct values than half the rows: free
 *   text, accession numbers, file names), or when fewer than 4 rows make
 *   the call impossible.
 * Tables are read whole into memory (phenotype tables and matrices of a
 * site are megabytes; the pasilla matrix is 0.5 MB).
 */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { NodeError } from '../../errors.js';
import { isIdLikeColumnName, valuesUniquePerRow } from '../../../proto/phenotype-schema.js';
import { writeFileAtomically } from '../../io/atomic-output.js';
import { bgzfBlock, BGZF_BLOCK_INPUT, BGZF_EOF } from '../../io/bgzf-writer.js';
import { detectCompression, type Compression } from '../../io/open-input.js';
import { PseudonymCache } from '../pseudonym.js';
import type { MapCollector } from '../reid-map.js';
import type { SiteKey } from '../site-key.js';
import { DateShifter, parseDate, shiftDate } from './dates.js';
import { formatRow, parseDelimited, type Row, type Table } from './delimited.js';
import { validateTableAsIngest } from './ingest-validation.js';
import { checkMatrixBody, looksLikeExpressionMatrix } from './matrix-shape.js';
import { withOperatorPath } from '../../../proto/operator-path.js';

export type DateMode = 'shift' | 'year';

export interface TableOptions {
  key: SiteKey;
  /** Names of id columns (all pseudonymized as 'sample'); default: the first column. The first one is the person for date shifts. */
  idColumns?: string[];
  /** Genes x samples matrix: pseudonymize the header's sample names only. */
  matrix?: boolean;
  dateColumns?: string[];
  dateMode?: DateMode;
  /** Columns kept even if they look like free text (never an identifier-like name: refused). */
  keepText?: string[];
  /**
   * Allow-list: only these columns (plus the id and date columns) can
   * survive; every other column is dropped ('not in --keep'). Listed
   * columns still pass the rules below; an identifier-like name is refused.
   */
  keep?: string[];
  /** Cell values meaning "missing": never pseudonymized or shifted. */
  missingValues?: string[];
  /** Force a delimiter (default: sniffed from the first line). */
  delimiter?: string;
  /**
   * Default true: the input must pass ingest's parser first (ingest-validation.ts).
   * false (`--no-ingest-check`) for a table not meant for `node ingest`: a
   * longitudinal table (one row per visit repeats the person's id), a matrix
   * with missing values; ingest would refuse the output.
   */
  ingestCheck?: boolean;
  map?: MapCollector;
  /** Basename for errors. */
  label: string;
}

export const DEFAULT_MISSING = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', '.'];

export interface DroppedColumn {
  /** Column name (schema, not data); omitted in matrix mode where names are samples. */
  name: string;
  reason: string;
}

/** Counts and column names only: never a cell value or an id. */
export interface TableReport {
  format: 'table';
  keyId: string;
  keyVersion: number;
  matrix: boolean;
  rows: number;
  columnsIn: number;
  columnsOut: number;
  idsPseudonymized: number;
  datesChanged: number;
  dateMode: DateMode;
  /** Column names by fate (empty in matrix mode, where the header names are samples). */
  columnsKept: string[];
  columnsPseudonymized: string[];
  /** Date columns: shifted per person, or reduced to the year with `dateMode: 'year'`. */
  columnsShifted: string[];
  columnsDropped: DroppedColumn[];
}

const NUMERIC = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$|^[-+]?(?:Inf|inf|Infinity)$/;

/** Column classification for columns that are neither id, date nor kept by name. */
export function classifyColumn(values: readonly string[], idValues: ReadonlySet<string>): { keep: boolean; reason: string } {
  if (values.length === 0) return { keep: true, reason: 'empty' };
  if (values.every((v) => NUMERIC.test(v.trim()))) return { keep: true, reason: 'numeric' };
  if (values.every((v) => parseDate(v) !== null)) return { keep: false, reason: 'date column not named in --date-columns' };
  if (values.some((v) => v.split(/[,; ]+/).some((t) => idValues.has(t)))) return { keep: false, reason: 'refers to ids of the id column' };
  if (values.length < 4) return { keep: false, reason: 'text column with too few rows to judge' };
  const mean = values.reduce((a, v) => a + v.length, 0) / values.length;
  if (mean > 40) return { keep: false, reason: 'long free text' };
  if (new Set(values).size > values.length / 2) return { keep: false, reason: 'high-cardinality text' };
  return { keep: true, reason: 'categorical' };
}

type Verdict = { fate: 'pseudonymized' | 'shifted' | 'kept' } | { fate: 'dropped'; reason: string };

/**
 * What happens to one column, in order: id columns are pseudonymized, date
 * columns shifted (or reduced to the year); an identifier-like name
 * (`isIdLikeColumnName`) is dropped and may not be kept by name; with
 * `--keep`, an unlisted column is dropped; `--keep-text` keeps; an
 * all-numeric column whose values are all distinct (>= 10: a record number,
 * an all-digit phone number) is dropped; the rest is classified by content.
 */
function columnVerdict(
  name: string, c: number,
  o: { idSet: ReadonlySet<number>; dateCols: ReadonlySet<number>; keepCols: ReadonlySet<number>; allowCols: ReadonlySet<number> | null; label: string },
  values: () => string[], idValues: ReadonlySet<string>,
): Verdict {
  if (o.idSet.has(c)) return { fate: 'pseudonymized' };
  if (o.dateCols.has(c)) return { fate: 'shifted' };
  if (isIdLikeColumnName(name)) {
    for (const [set, flag] of [[o.keepCols, '--keep-text'], [o.allowCols, '--keep']] as const) {
      if (set?.has(c)) throw new NodeError('GENOFED_USAGE', `${o.label}: ${flag}: column '${name}' looks like an identifier and cannot be kept; list it in --id-column to pseudonymize it, or leave it out`);
    }
    return { fate: 'dropped', reason: 'identifier-like name' };
  }
  if (o.allowCols && !o.allowCols.has(c)) return { fate: 'dropped', reason: 'not in --keep' };
  if (o.keepCols.has(c)) return { fate: 'kept' };
  const v = values();
  if (v.length > 0 && v.every((x) => NUMERIC.test(x.trim())) && valuesUniquePerRow(v)) return { fate: 'dropped', reason: 'unique per row: identifier' };
  const verdict = classifyColumn(v, idValues);
  return verdict.keep ? { fate: 'kept' } : { fate: 'dropped', reason: verdict.reason };
}

function columnIndex(header: readonly string[], name: string, label: string): number {
  const i = header.indexOf(name);
  if (i < 0) throw new NodeError('GENOFED_USAGE', `${label}: no column named '${name}' in the header`);
  return i;
}

/**
 * Pseudonymize a parsed table; returns the output text and the report.
 * Throws GENOFED_INPUT_FORMAT (with the line number) on a wrong column
 * count or an unparseable date in a date column.
 */
export function pseudonymizeTable(table: Table, text: string, options: TableOptions): { text: string; report: TableReport } {
  const { label, key } = options;
  const cache = new PseudonymCache(key);
  const missing = new Set(options.missingValues ?? DEFAULT_MISSING);
  const dateMode = options.dateMode ?? 'shift';
  const header = table.rows[0];
  if (!header) throw new NodeError('GENOFED_INPUT_FORMAT', `${label}: line 1: empty table`);
  const body = table.rows.slice(1);
  const report: TableReport = {
    format: 'table', keyId: key.keyId, keyVersion: key.version, matrix: !!options.matrix, rows: body.length,
    columnsIn: header.fields.length, columnsOut: header.fields.length, idsPseudonymized: 0, datesChanged: 0, dateMode,
    columnsKept: [], columnsPseudonymized: [], columnsShifted: [], columnsDropped: [],
  };
  const sample = (v: string): string => {
    const p = cache.get('sample', v);
    options.map?.add('sample', v.trim().normalize('NFC'), p);
    report.idsPseudonymized++;
    return p;
  };

  // Column counts: every row as wide as the header, except that trailing
  // unnamed header columns (the 1000G panel's header ends in two tabs) may be absent.
  const width = header.fields.length;
  let named = width;
  while (named > 0 && header.fields[named - 1] === '') named--;
  const rWidth = options.matrix && body[0] && body[0].fields.length === width + 1 ? width + 1 : width;
  for (const r of body) {
    if (r.fields.length !== rWidth && !(rWidth === width && r.fields.length >= named && r.fields.length < width)) {
      throw new NodeError('GENOFED_INPUT_FORMAT', `${label}: line ${r.line}: ${r.fields.length} columns, the header has ${width}`);
    }
  }

  if (options.matrix) {
    checkMatrixBody(body, missing, label);
    const first = rWidth === width + 1 ? 0 : 1; // R-style header has no name for the gene column
    const fields = header.fields.map((f, k) => (k >= first && !missing.has(f) ? sample(f) : f));
    const nl = text.indexOf('\n');
    const rest = nl < 0 ? '' : text.slice(nl + 1);
    return { text: formatRow(fields, header.quoted, table.delimiter) + table.eol + rest, report };
  }

  if (!options.idColumns?.length && looksLikeExpressionMatrix(body, missing)) {
    throw new NodeError('GENOFED_USAGE', `${label}: looks like a genes x samples expression matrix (gene ids in the first column, numbers elsewhere), whose header names are the sample ids: give --matrix to pseudonymize them, or --id-column to pseudonymize it as a table`);
  }
  const idCols = (options.idColumns?.length ? options.idColumns : [header.fields[0] ?? '']).map((n) => columnIndex(header.fields, n, label));
  const dateCols = new Set((options.dateColumns ?? []).map((n) => columnIndex(header.fields, n, label)));
  const keepCols = new Set((options.keepText ?? []).map((n) => columnIndex(header.fields, n, label)));
  const allowCols = options.keep ? new Set(options.keep.map((n) => columnIndex(header.fields, n, label))) : null;
  const idSet = new Set(idCols);
  const idValues = new Set<string>();
  for (const r of body) for (const c of idCols) {
    const v = r.fields[c];
    if (v !== undefined && !missing.has(v)) idValues.add(v);
  }
  const verdicts = header.fields.map((name, c) => columnVerdict(name, c, { idSet, dateCols, keepCols, allowCols, label }, () => body.map((r) => r.fields[c]).filter((v): v is string => v !== undefined && !missing.has(v)), idValues));
  const keep: boolean[] = verdicts.map((v) => v.fate !== 'dropped');
  verdicts.forEach((v, c) => {
    const name = header.fields[c]!;
    if (v.fate === 'dropped') report.columnsDropped.push({ name, reason: v.reason });
    else if (v.fate === 'pseudonymized') report.columnsPseudonymized.push(name);
    else if (v.fate === 'shifted') report.columnsShifted.push(name);
    else report.columnsKept.push(name);
  });
  report.columnsOut = keep.filter(Boolean).length;

  const shifter = new DateShifter(key);
  const person = idCols[0]!;
  const out: string[] = [];
  const emit = (r: Row, fields: string[]): void => {
    out.push(formatRow(fields.filter((_, k) => keep[k] ?? true), r.quoted.filter((_, k) => keep[k] ?? true), table.delimiter) + table.eol);
  };
  emit(header, header.fields);
  for (const r of body) {
    const fields = r.fields.map((v, c) => {
      if (missing.has(v)) return v;
      if (idSet.has(c)) return sample(v);
      if (dateCols.has(c)) {
        const d = parseDate(v);
        if (!d) throw new NodeError('GENOFED_INPUT_FORMAT', `${label}: line ${r.line}: column '${header.fields[c]}' holds a value that is not a date (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)`);
        report.datesChanged++;
        if (dateMode === 'year') return String(d.year).padStart(4, '0');
        const who = r.fields[person];
        if (who === undefined || missing.has(who)) throw new NodeError('GENOFED_INPUT_FORMAT', `${label}: line ${r.line}: a date cannot be shifted without a person id`);
        return shiftDate(d, shifter.offsetDays(who));
      }
      return v;
    });
    emit(r, fields);
  }
  return { text: out.join(''), report };
}

/** Read a (possibly gzipped) table file as text; tells whether it was compressed. */
export async function readTableText(path: string): Promise<{ text: string; compression: Compression }> {
  const compression = await detectCompression(path);
  const raw = await readFile(path).catch((cause: unknown) => {
    throw withOperatorPath(new NodeError('GENOFED_INPUT_NOT_FOUND', `${basename(path)}: cannot read input file`, { cause }), path);
  });
  if (compression === 'none') return { text: raw.toString('utf8'), compression };
  try {
    return { text: gunzipSync(raw).toString('utf8'), compression };
  } catch (cause) {
    throw withOperatorPath(new NodeError('GENOFED_INPUT_TRUNCATED', `${basename(path)}: compressed input is truncated or corrupt`, { cause }), path);
  }
}

/** BGZF-compress a whole buffer (tables are small). */
export function bgzfCompress(data: Buffer): Buffer {
  const blocks: Buffer[] = [];
  for (let o = 0; o < data.length; o += BGZF_BLOCK_INPUT) blocks.push(bgzfBlock(data.subarray(o, o + BGZF_BLOCK_INPUT)));
  blocks.push(BGZF_EOF);
  return Buffer.concat(blocks);
}

export interface TableFileOptions extends Omit<TableOptions, 'label'> {
  input: string;
  output: string;
  /** Replace an existing output file (default: refuse with GENOFED_OUTPUT_EXISTS). */
  overwrite?: boolean;
}

/** Pseudonymize a table file into `output` atomically (gzip in -> BGZF out). */
export async function pseudonymizeTableFile(options: TableFileOptions): Promise<TableReport> {
  if (resolve(options.input) === resolve(options.output)) throw new NodeError('GENOFED_USAGE', 'output must not be the input file');
  const label = basename(options.input);
  const { text, compression } = await readTableText(options.input);
  // Ingest's own parsers first (ingest-validation.ts): what ingest would reject fails here with its code and file:line message.
  if (options.ingestCheck !== false) await validateTableAsIngest(text, { label, idColumns: options.idColumns, matrix: options.matrix });
  const table = parseDelimited(text, label, options.delimiter);
  const { text: outText, report } = pseudonymizeTable(table, text, { ...options, label });
  const bytes = Buffer.from(outText, 'utf8');
  await writeFileAtomically(options.output, compression === 'none' ? bytes : bgzfCompress(bytes), { noClobber: !options.overwrite });
  return report;
}
