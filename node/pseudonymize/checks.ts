/**
 * The result type shared by every verifier (`verify vcf|sam|bam|table`, and
 * the level, FASTQ and sanitize checks that return the same type).
 * `detail` says what differed and where (line/record number, field name,
 * count), never an id, a genotype or a path. The optional structured fields
 * are what a verification report (`report/verification-report.ts`) records
 * per rule; a verifier fills those it can compute cheaply.
 */
export interface CheckResult {
  name: string;
  ok: boolean;
  detail?: string;
  /** How many elements the rule applies to (sample columns, records, STR or rare sites, ids searched). */
  targets?: number;
  /** How many of the targets were found handled (pseudonymized, masked, equal, absent). */
  masked?: number;
  /**
   * Where targets were left unhandled: positions such as `line 12`,
   * `record 5`, `sample column 3`, `1:10583`, never a value. At most
   * MAX_POSITIONS are listed (`targets - masked` gives the full count).
   */
  unmaskedPositions?: string[];
  /** Digests the rule compared, by role (`original`, `pseudonymized`, `expected`, `actual`): lower-case hex SHA-256. */
  digests?: Record<string, string>;
}

/** Positions listed per check: enough to find the first problems, bounded so a report of a 10M-record file stays small. */
export const MAX_POSITIONS = 100;

/** The first MAX_POSITIONS positions (why: see MAX_POSITIONS). */
export function cappedPositions(positions: readonly string[]): string[] {
  return positions.slice(0, MAX_POSITIONS);
}

/** True when every check passed (and at least one ran: an empty list proves nothing). */
export function allPassed(checks: readonly CheckResult[]): boolean {
  return checks.length > 0 && checks.every((c) => c.ok);
}

/** Human-readable lines for the terminal: one per check. */
export function formatChecks(checks: readonly CheckResult[]): string {
  return checks.map((c) => `${c.ok ? 'PASS' : 'FAIL'}  ${c.name}${c.detail ? `: ${c.detail}` : ''}`).join('\n');
}
