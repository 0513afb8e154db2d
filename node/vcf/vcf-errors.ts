/**
 * Errors and warnings of the VCF reader. Every message has the shape
 * `<file>:<line>: <problem>`: the file's basename, the 1-based line number
 * in the decompressed text, and the kind of problem - never a value from the
 * line (a genotype, a sample id, an INFO value), because these messages end
 * up in operator logs at a hospital.
 */
import { NodeError, type NodeErrorCode } from '../errors.js';

export type VcfErrorCode = Extract<NodeErrorCode, `GENOFED_VCF_${string}`> | 'GENOFED_INPUT_FORMAT';

/** Build the error for a problem at `line` of `label` (0 = the file as a whole). */
export function vcfError(code: VcfErrorCode, label: string, line: number, problem: string, cause?: unknown): NodeError {
  const where = line > 0 ? `${label}:${line}` : label;
  return new NodeError(code, `${where}: ${problem}`, cause === undefined ? undefined : { cause });
}

/** One kind of tolerated problem, counted (never silently dropped). */
export interface VcfWarning {
  /** The code it would have raised in strict mode. */
  readonly code: VcfErrorCode;
  /** Kind of problem, without data values. */
  readonly problem: string;
  readonly count: number;
  /** First line it was seen on. */
  readonly firstLine: number;
}

/**
 * Rule classes that `strict: false` downgrades to counted warnings. They
 * concern annotations (INFO/FORMAT values other than GT, header metadata
 * hygiene, record order), never the genotypes or alleles the counts come from.
 */
export class Diagnostics {
  private readonly seen = new Map<string, { code: VcfErrorCode; problem: string; count: number; firstLine: number }>();

  constructor(
    readonly label: string,
    readonly strict: boolean,
  ) {}

  /** Always fatal: the record cannot be counted correctly. */
  fail(code: VcfErrorCode, line: number, problem: string, cause?: unknown): never {
    throw vcfError(code, this.label, line, problem, cause);
  }

  /** A spec violation: fatal when strict, a counted warning otherwise. */
  violation(code: VcfErrorCode, line: number, problem: string): void {
    if (this.strict) throw vcfError(code, this.label, line, problem);
    this.warn(code, line, problem);
  }

  /** Tolerated in every mode (as bcftools does), but counted. */
  warn(code: VcfErrorCode, line: number, problem: string): void {
    const w = this.seen.get(problem);
    if (w) w.count += 1;
    else this.seen.set(problem, { code, problem, count: 1, firstLine: line });
  }

  warnings(): VcfWarning[] {
    return [...this.seen.values()].map((w) => ({ ...w }));
  }
}
