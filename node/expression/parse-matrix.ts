/**
 * Parse a genes x samples expression matrix (TSV, CSV or whitespace-
 * separated; R's write.table / write.csv output loads as is) into one
 * Float64Array per gene. No I/O: takes lines. The gene id is the first
 * column; every other column is a sample named in the header (pseudonyms:
 * never written to a message). A header one field shorter than the rows
 * (R's write.table without a name for the row names) names samples only.
 *
 * Values are `counts` (raw or expected counts: finite, >= 0; the per-sample
 * library size is the column sum over every gene, computed here in file
 * order) or `log` (log-intensities, log-CPM: used as they are, finite, of
 * magnitude below 2^10, the range proto/expression.ts's fixed point is
 * sized for). Missing values (NA, empty) are refused: impute or filter the
 * genes before ingest. Errors (GENOFED_EXPRESSION_FORMAT) name the file,
 * the line and the column number, never a value, a gene id or a sample name.
 */
import { NodeError } from '../errors.js';

export type ExpressionValues = 'counts' | 'log';

export interface ExpressionMatrix {
  readonly values: ExpressionValues;
  /** Sample names of the header, in column order (pseudonyms; never logged). */
  readonly samples: readonly string[];
  /** Gene ids in file order. */
  readonly genes: readonly string[];
  /** rows[g][s]: gene g's value for sample column s (a count with -0 read as 0, or a log value). */
  readonly rows: readonly Float64Array[];
  /** Counts: column sums over every gene (the library sizes), in sample column order; log: null. */
  readonly columnSums: Float64Array | null;
  /** Line of the header (1-based), for messages about a sample column. */
  readonly headerLine: number;
  /** Counts that are not integers (expected counts are; so is a log-scale matrix given as counts), and the first line holding one (0: none). */
  readonly nonInteger: { readonly count: number; readonly firstLine: number };
  /** Log values: true when every one is a non-negative integer (raw counts given as log values?). */
  readonly allCountLike: boolean;
}

export interface ParseMatrixOptions {
  /** File basename for messages. */
  readonly label: string;
  readonly values: ExpressionValues;
  readonly signal?: AbortSignal;
}

/** Log values at or above this magnitude are not on a log scale (proto/expression.ts sizes its range for |y| < 2^10). */
export const MAX_LOG_VALUE = 1024;

const NUMBER = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const MISSING = new Set(['', 'NA', 'N/A', '.', 'null', 'NULL']);
const NON_FINITE = /^[+-]?(?:inf|infinity|nan)$/i;

function fail(label: string, line: number, problem: string): never {
  throw new NodeError('GENOFED_EXPRESSION_FORMAT', line > 0 ? `${label}:${line}: ${problem}` : `${label}: ${problem}`);
}

type Splitter = (line: string, lineNo: number) => string[];

/** One field without its surrounding quotes (doubled quotes inside become one). */
function unquote(f: string): string {
  return f.length >= 2 && f.startsWith('"') && f.endsWith('"') ? f.slice(1, -1).replace(/""/g, '"') : f;
}

/** Fields split on one delimiter character, RFC 4180 quotes honoured; trimmed. */
function delimited(delimiter: string, label: string): Splitter {
  return (line, lineNo) => {
    if (!line.includes('"')) return line.split(delimiter).map((f) => f.trim());
    const out: string[] = [];
    let i = 0;
    for (;;) {
      while (line[i] === ' ') i++;
      if (line[i] === '"') {
        let v = '';
        i++;
        for (;;) {
          if (i >= line.length) fail(label, lineNo, 'unterminated quoted field');
          if (line[i] === '"') {
            if (line[i + 1] === '"') { v += '"'; i += 2; continue; }
            i++;
            break;
          }
          v += line[i++];
        }
        while (line[i] === ' ') i++;
        if (i < line.length && line[i] !== delimiter) fail(label, lineNo, 'text after a closing quote');
        out.push(v);
      } else {
        const j = line.indexOf(delimiter, i);
        out.push((j < 0 ? line.slice(i) : line.slice(i, j)).trim());
        i = j < 0 ? line.length : j;
      }
      if (i >= line.length) return out;
      i++; // the delimiter
      if (i === line.length) { out.push(''); return out; }
    }
  };
}

function chooseSplitter(header: string, label: string): Splitter {
  if (header.includes('\t')) return delimited('\t', label);
  if (header.includes(',')) return delimited(',', label);
  return (l) => l.trim().split(/\s+/).map(unquote);
}

/** Why a cell is not a usable number, in words that carry no value. */
function cellProblem(text: string): string {
  if (MISSING.has(text)) return 'missing value (NA or empty): impute or filter the gene first';
  if (NON_FINITE.test(text)) return 'value is not finite';
  return 'value is not a number';
}

export async function parseExpressionMatrix(lines: AsyncIterable<string> | Iterable<string>, options: ParseMatrixOptions): Promise<ExpressionMatrix> {
  const { label, values } = options;
  const counts = values === 'counts';
  let split: Splitter | null = null;
  let samples: string[] = [];
  let headerLine = 0;
  let width = 0;
  const genes: string[] = [];
  const rows: Float64Array[] = [];
  const geneLine = new Map<string, number>();
  let sums: Float64Array | null = null;
  let nonInteger = 0;
  let firstNonInteger = 0;
  let allCountLike = true;
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    if ((lineNo & 1023) === 0) options.signal?.throwIfAborted();
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    // A UTF-8 byte-order mark (Excel's CSV export) is not part of the first name.
    if (lineNo === 1 && line.startsWith('\uFEFF')) line = line.slice(1);
    if (line.trim() === '') continue;
    if (!split) {
      split = chooseSplitter(line, label);
      headerLine = lineNo;
      const names = split(line, lineNo);
      // The gene column's name (possibly empty) is dropped; an R-style header has none (decided at the first row).
      samples = names;
      continue;
    }
    const fields = split(line, lineNo);
    if (width === 0) {
      // First row: a header as wide as the rows names the gene column first; one field shorter names samples only.
      if (fields.length === samples.length) samples = samples.slice(1);
      else if (fields.length !== samples.length + 1) fail(label, lineNo, `${fields.length} fields, the header has ${samples.length}`);
      width = samples.length + 1;
      if (samples.length === 0) fail(label, headerLine, 'the header names no sample column');
      const seen = new Set<string>();
      samples.forEach((s, k) => {
        // Column numbers are 1-based over the whole row (the gene id is column 1).
        if (s === '') fail(label, headerLine, `sample column ${k + 2} has no name`);
        if (seen.has(s)) fail(label, headerLine, `sample column ${k + 2} repeats an earlier sample name`);
        seen.add(s);
      });
      if (counts) sums = new Float64Array(samples.length);
    }
    if (fields.length !== width) fail(label, lineNo, `${fields.length} fields, expected ${width} (a gene id and ${width - 1} samples)`);
    const gene = fields[0]!;
    if (gene === '') fail(label, lineNo, 'empty gene id');
    const earlier = geneLine.get(gene);
    if (earlier !== undefined) fail(label, lineNo, `gene id repeats the one on line ${earlier}`);
    geneLine.set(gene, lineNo);
    const row = new Float64Array(width - 1);
    for (let k = 1; k < width; k++) {
      const text = fields[k]!;
      const v = NUMBER.test(text) ? Number(text) : Number.NaN;
      if (!Number.isFinite(v)) fail(label, lineNo, `column ${k + 1}: ${Number.isNaN(v) ? cellProblem(text) : 'value is not finite'}`);
      if (counts) {
        if (v < 0) fail(label, lineNo, `column ${k + 1}: negative count (a matrix on a log scale needs --values log)`);
        if (!Number.isInteger(v) && nonInteger++ === 0) firstNonInteger = lineNo;
        // -0 is stored as 0: library sizes and log-CPM are then the same bits whatever the sign of zero.
        row[k - 1] = v === 0 ? 0 : v;
      } else {
        if (Math.abs(v) >= MAX_LOG_VALUE) fail(label, lineNo, `column ${k + 1}: log value of magnitude ${MAX_LOG_VALUE} or more (counts need --values counts)`);
        if (allCountLike && !(Number.isInteger(v) && v >= 0)) allCountLike = false;
        row[k - 1] = v;
      }
    }
    if (sums) for (let s = 0; s < row.length; s++) sums[s]! += row[s]!;
    genes.push(gene);
    rows.push(row);
  }
  if (!split) fail(label, 0, 'empty file: no header line');
  if (rows.length === 0) fail(label, headerLine, 'no gene rows after the header');
  if (sums) {
    const zero = sums.findIndex((x) => x === 0);
    if (zero >= 0) fail(label, headerLine, `sample column ${zero + 2} has no counts (its library size is 0)`);
    // Column sums of up to 2^53 integer counts are exact; expected counts sum in file order (stored, so fixed).
    if (!sums.every(Number.isFinite)) fail(label, headerLine, 'a column sum of the counts is not finite');
  }
  return { values, samples, genes, rows, columnSums: sums, headerLine, nonInteger: { count: nonInteger, firstLine: firstNonInteger }, allCountLike: !counts && allCountLike };
}
