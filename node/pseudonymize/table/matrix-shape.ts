/**
 * Telling an expression matrix from a phenotype table before either is
 * pseudonymized the wrong way, since each mistake leaks:
 * - a matrix taken as a table keeps its header, the raw sample ids, as
 *   column names (and pseudonymizes the gene ids instead): refused unless
 *   the id columns are named (`--id-column`) or `--matrix` is given;
 * - a table taken as a matrix keeps its id column raw: `--matrix` refuses a
 *   cell outside the first column that is neither a number nor missing.
 * Messages name the file, line and column number, never a value.
 */
import { NodeError } from '../../errors.js';
import type { Row } from './delimited.js';

const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$|^[-+]?(?:Inf|inf|Infinity|NaN|nan)$/;

/**
 * Gene and transcript ids of the usual annotations: Ensembl (ENSG, ENST,
 * ENSMUSG, ... with an optional version), FlyBase, WormBase, RefSeq,
 * yeast systematic names, Arabidopsis AGI codes. Gene symbols (TP53) are
 * not recognised.
 */
const GENE_ID = /^(?:ENS[A-Z]*[GT]\d{6,}(?:\.\d+)?|FBgn\d{7}|WBGene\d{8}|[NX][MR]_\d+(?:\.\d+)?|Y[A-P][LR]\d{3}[WC](?:-[A-Z])?|AT[1-5CM]G\d{5}(?:\.\d+)?)$/;

/** Rows needed before a table is judged to be a matrix. */
const MIN_ROWS = 10;

/**
 * True when at least MIN_ROWS rows have a gene id in the first column (90%
 * of them at least) and only numbers or missing values elsewhere.
 */
export function looksLikeExpressionMatrix(body: readonly Row[], missing: ReadonlySet<string>): boolean {
  if (body.length < MIN_ROWS || (body[0]?.fields.length ?? 0) < 2) return false;
  let genes = 0;
  for (const r of body) {
    if (GENE_ID.test(r.fields[0]?.trim() ?? '')) genes++;
    for (let k = 1; k < r.fields.length; k++) {
      const v = r.fields[k]!;
      if (!missing.has(v) && !NUMBER.test(v.trim())) return false;
    }
  }
  return genes >= 0.9 * body.length;
}

/** `--matrix`: every cell after the first column (the gene id; R-style rows included) is a number or missing. */
export function checkMatrixBody(body: readonly Row[], missing: ReadonlySet<string>, label: string): void {
  for (const r of body) {
    for (let k = 1; k < r.fields.length; k++) {
      const v = r.fields[k]!;
      if (!missing.has(v) && !NUMBER.test(v.trim())) {
        throw new NodeError('GENOFED_INPUT_FORMAT', `${label}: line ${r.line}: column ${k + 1} is not a number: --matrix takes a genes x samples matrix of numbers (a table with sample ids in a column is pseudonymized without --matrix)`);
      }
    }
  }
}
