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
