/**
 * Header rules of the guideline levels `low` and `high` (issue 13), on top
 * of the standard rules of `header-rules.ts`. The reference tool
 * (`labhai/VCF-Anonymization`) rewrites `##cmdline=...` to `##cmdline=.`
 * and cuts `##reference=` to a file name, and its verifier counts both as
 * targets: a `##cmdline=.` line must exist where the input had
 * `##cmdline=`, and a `##reference=` line without `/` where it had one.
 * Standard drops command lines and reduces `##reference` to an assembly name
 * or drops it, so the levels put back exactly the lines the verifier looks
 * for, holding nothing. Pure functions over one line.
 */
import type { HeaderAction } from './header-rules.js';
import type { FieldDef, VcfLevel } from './level-rules.js';

/** The line the reference verifier requires where the input had `##cmdline=`. */
export const MASKED_CMDLINE = '##cmdline=.';
/** Written where standard would drop `##reference` (no known assembly): a file name could carry a project or patient name. */
export const MASKED_REFERENCE = '##reference=.';

/**
 * The level's verdict for one meta line, given the standard verdict.
 * `state.cmdline` is set once the `##cmdline=.` line was written: one is
 * enough for the verifier, and repeated identical lines add nothing.
 */
export function levelMetaAction(line: string, standard: HeaderAction, level: VcfLevel, state: { cmdline: boolean }): HeaderAction {
  if (level === 'standard') return standard;
  if (line.startsWith('##cmdline=')) {
    if (state.cmdline) return { action: 'drop', reason: 'command line' };
    state.cmdline = true;
    return { action: 'rewrite', line: MASKED_CMDLINE, reason: 'cmdline (level)' };
  }
  if (line.startsWith('##reference=') && standard.action === 'drop') return { action: 'rewrite', line: MASKED_REFERENCE, reason: 'reference (level)' };
  return standard;
}

/** `##INFO=<ID=AF,Number=A,Type=Float,...>` -> ['AF', { number: 'A', type: 'Float' }]; null for other lines. */
export function infoDefinition(line: string): [string, FieldDef] | null {
  if (!line.startsWith('##INFO=<')) return null;
  const id = /[<,]ID=([^,>]+)/.exec(line)?.[1];
  const number = /[<,]Number=([^,>]+)/.exec(line)?.[1];
  const type = /[<,]Type=([^,>]+)/.exec(line)?.[1];
  if (!id || !number || !type) return null;
  return [id, { number, type }];
}

/**
 * The reference verifier's metadata rules over the header lines of the
 * original and of the output: [targets, masked].
 */
export function metadataRules(original: readonly string[], output: readonly string[]): { targets: number; masked: number; failed: string[] } {
  let targets = 0;
  let masked = 0;
  const failed: string[] = [];
  if (original.some((l) => l.startsWith('##cmdline='))) {
    targets++;
    if (output.some((l) => l.trim() === MASKED_CMDLINE)) masked++;
    else failed.push('##cmdline=. missing');
  }
  if (original.some((l) => l.startsWith('##reference='))) {
    targets++;
    if (output.some((l) => l.startsWith('##reference=') && !l.includes('/'))) masked++;
    else failed.push('##reference= without a path missing');
  }
  return { targets, masked, failed };
}
