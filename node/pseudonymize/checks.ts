/**
 * The result type shared by `verify vcf|table` and the alignment verifier.
 * `detail` says what differed and where (line/record number, field name,
 * count), never an id, a genotype or a path.
 */
export interface CheckResult {
  name: string;
  ok: boolean;
  detail?: string;
}

/** True when every check passed (and at least one ran: an empty list proves nothing). */
export function allPassed(checks: readonly CheckResult[]): boolean {
  return checks.length > 0 && checks.every((c) => c.ok);
}

/** Human-readable lines for the terminal: one per check. */
export function formatChecks(checks: readonly CheckResult[]): string {
  return checks.map((c) => `${c.ok ? 'PASS' : 'FAIL'}  ${c.name}${c.detail ? `: ${c.detail}` : ''}`).join('\n');
}
