/**
 * Public surface of the VCF reader (used by `node/store` ingest and by
 * benches). See README.md in this folder for the rules and their codes.
 */
import { open } from 'node:fs/promises';
import { NodeError } from '../errors.js';
import { BGZF_EOF } from '../io/bgzf-writer.js';
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
  if (input.compression === 'bgzf' && !(await endsWithBgzfEof(path))) {
    input.stream.destroy();
    // A BGZF file cut at a block boundary decompresses cleanly and would
    // silently lose its last records; htslib only warns. Every BGZF fixture
    // (33 files) ends with the EOF block.
    throw new NodeError('GENOFED_INPUT_TRUNCATED', `${input.label}: BGZF input has no EOF block (truncated at a block boundary)`);
  }
  return readVcf(input.stream, { ...options, label: input.label });
}

/**
 * True when a BGZF file ends with the 28-byte EOF block. `openInput` cannot
 * see a file cut at a block boundary (gunzip ends cleanly); callers that open
 * inputs themselves (node/store ingest) should check this for 'bgzf' inputs.
 */
export async function endsWithBgzfEof(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size < BGZF_EOF.length) return false;
    const tail = Buffer.alloc(BGZF_EOF.length);
    await fh.read(tail, 0, tail.length, size - tail.length);
    return tail.equals(BGZF_EOF);
  } finally {
    await fh.close();
  }
}

/**
 * What `node ingest` should pass by default: lenient. Every real fixture in
 * test/fixtures/vcf breaks at least one annotation rule (reserved INFO/FORMAT
 * redefinitions, unquoted ##ALT descriptions, INFO counts, GT not first in
 * CompleteGenomics FORMAT...), as bcftools tolerates; the rules that change
 * genotypes or alleles stay fatal. Offer `--strict` for the full check.
 */
export const INGEST_READ_OPTIONS = Object.freeze({ strict: false });
