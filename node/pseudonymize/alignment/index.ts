/**
 * SAM/BAM pseudonymization, verification and scan rendering (issue 5,
 * part B). The CLI (`genofed pseudonymize|verify sam|bam`, `genofed scan`)
 * calls these; see README.md in this folder for what happens to each field.
 */
export type { AlignmentFormat, AlignmentMode, AlignmentReport } from './types.js';
/** Rewrite a SAM/BAM with keyed pseudonyms; atomic output; counts-only report. */
export { pseudonymizeAlignment, type PseudonymizeAlignmentOptions } from './pseudonymize.js';
/** Check a pseudonymized file against its original: parses, retained content equal, names consistent, nothing left. */
export { verifyAlignment, type VerifyAlignmentOptions } from './verify.js';
/** Header lines and records as SAM text lines, for `genofed scan`. */
export { alignmentScanText } from './scan-text.js';
/** The aux tags each mode drops (for docs and the CLI's --help). */
export { droppedTags } from './record-rules.js';
