/**
 * What ingest decides about an expression matrix (README, "Expression"):
 * - the file is read whole and parsed first (node/expression), so a bad
 *   matrix fails before the long VCF pass and the store is never touched;
 * - its sample names must look like pseudonyms unless raw ids were
 *   accepted (a matrix carries no MAC: see README, "How ingest knows");
 * - at least one of them must be a sample the store already knows
 *   (genotyped, phenotyped, or in the previous matrix; this ingest's VCFs
 *   and table included) whenever it knows any: a matrix pseudonymized under
 *   another key links to nobody;
 * - tolerated oddities (non-integer counts, log values that all look like
 *   counts) become report warnings, counted with their first line.
 * Messages name the file, line and column number, never an id or a value.
 */
import { NodeError } from '../errors.js';
import { parseExpressionMatrix, type ExpressionMatrix, type ExpressionValues } from '../expression/index.js';
import { openInput } from '../io/open-input.js';
import { readLines } from '../io/lines.js';
import { PSEUDONYM_PATTERN } from '../pseudonymize/pseudonym.js';

export async function readExpression(path: string, values: ExpressionValues, signal?: AbortSignal): Promise<ExpressionMatrix> {
  const input = await openInput(path);
  async function* text(): AsyncGenerator<string> {
    for await (const line of readLines(input.stream, signal)) yield line.bytes.toString('utf8');
  }
  return parseExpressionMatrix(text(), { label: input.label, values, ...(signal ? { signal } : {}) });
}

/** Sample names must look like pseudonyms unless raw ids were accepted. */
export function checkExpressionIds(m: ExpressionMatrix, label: string): void {
  const bad = m.samples.filter((s) => !PSEUDONYM_PATTERN.test(s)).length;
  if (bad > 0) {
    throw new NodeError('GENOFED_NOT_PSEUDONYMIZED', `${label}:${m.headerLine}: ${bad} of ${m.samples.length} sample columns are not named with genofed pseudonyms; run genofed pseudonymize table --matrix on it with the site key first, or pass --raw-ids to ingest raw sample ids deliberately`);
  }
}

/**
 * A matrix none of whose samples the store knows, when it knows some, is
 * refused (the transaction rolls back): under another site key or with
 * raw ids, its samples would link to no genotype and no phenotype.
 */
export function checkExpressionLinked(m: ExpressionMatrix, label: string, known: (id: string) => boolean, knowsAny: boolean): void {
  if (!knowsAny || m.samples.some(known)) return;
  throw new NodeError('GENOFED_EXPRESSION_UNMATCHED', `${label}: none of the matrix's ${m.samples.length} sample columns is a sample of the store or of this ingest (genotyped, phenotyped or in the previous matrix); the matrix is not stored (are the matrix, the VCFs and the phenotype table pseudonymized with the same site key?)`);
}

/** Report warnings: what the values look like when that contradicts the mode given. */
export function expressionWarnings(m: ExpressionMatrix, label: string): { file: string; code: string; problem: string; count: number; firstLine: number }[] {
  const out: { file: string; code: string; problem: string; count: number; firstLine: number }[] = [];
  if (m.nonInteger.count > 0) {
    out.push({ file: label, code: 'GENOFED_EXPRESSION_FORMAT', problem: 'counts that are not integers (expected counts are used as they are; a matrix on a log scale needs --values log)', count: m.nonInteger.count, firstLine: m.nonInteger.firstLine });
  }
  if (m.allCountLike) {
    out.push({ file: label, code: 'GENOFED_EXPRESSION_FORMAT', problem: 'every log value is a non-negative integer (raw counts need --values counts: log-CPM is computed from them)', count: m.genes.length * m.samples.length, firstLine: m.headerLine });
  }
  return out;
}
