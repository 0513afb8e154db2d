/**
 * Public surface of the VCF reader (used by `node/store` ingest and by
 * benches). See README.md in this folder for the rules and their codes.
 */
import { openInput } from '../io/open-input.js';
import { readVcf, type ReadVcfOptions, type VcfReader } from './reader.js';

export * from './types.js';
/** The reader: header plus batched sparse records, with validation. */
export { readVcf, type ReadVcfOptions, type VcfReader } from './reader.js';
/** Counted, tolerated problems (lenient mode and bcftools-style warnings). */
export type { VcfWarning } from './vcf-errors.js';
/** Ingest's validation line by line, for streaming callers (pseudonymize, verify, scan): same codes, same messages. */
export { VcfLineValidator, validatedVcfLines, type VcfLineValidatorOptions } from './line-validator.js';
/** The @gmod/vcf path to the same genotypes, for differential tests. */
export { genotypesViaGmod } from './gmod-genotypes.js';
export type { SparseGenotypes } from './genotype-scanner.js';

/**
 * Convenience for callers holding a path: opens plain/gzip/BGZF through
 * `openInput` (which maps truncation to GENOFED_INPUT_TRUNCATED) and uses the
 * file's basename as label.
 */
export async function readVcfFile(path: string, options: Omit<ReadVcfOptions, 'label'> = {}): Promise<VcfReader> {
  const input = await openInput(path);
  return readVcf(input.stream, { ...options, label: input.label });
}

/** Re-exported for callers that check a BGZF file's EOF block themselves. */
export { endsWithBgzfEof } from '../io/open-input.js';

/**
 * What `node ingest` should pass by default: lenient. Every real fixture in
 * test/fixtures/vcf breaks at least one annotation rule (reserved INFO/FORMAT
 * redefinitions, unquoted ##ALT descriptions, INFO counts, GT not first in
 * CompleteGenomics FORMAT...), as bcftools tolerates; the rules that change
 * genotypes or alleles stay fatal. Offer `--strict` for the full check.
 */
export const INGEST_READ_OPTIONS = Object.freeze({ strict: false });
