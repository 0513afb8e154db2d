/**
 * Which reference assembly a VCF is on, and whether it fits the store: a
 * store holds one assembly, because the same position means another base
 * on another build (chr1 is 249,250,621 bp on GRCh37, 248,956,422 on
 * GRCh38) and counts from two builds would be summed under one key.
 *
 * A file's build comes from its names (`##reference`, `##contig
 * assembly=`), else from its `##contig` lengths (a table of the primary
 * chromosomes of GRCh37 and GRCh38, chr1 of NCBI36 and T2T-CHM13). A file
 * whose names and lengths disagree is refused; a file with neither is
 * accepted. Whatever the names, a contig whose length differs from the
 * length the store recorded for it is refused (hg19's chrM, 16,571 bp,
 * against GRCh37's MT, 16,569: another sequence).
 */
import { NodeError } from '../errors.js';
import { normalizeContig } from '../../proto/variant.js';
import type { VcfHeader } from '../vcf/types.js';

export type Build = 'GRCh37' | 'GRCh38' | 'NCBI36' | 'T2T-CHM13';

/** Names of each build as references and contig lines write them, most specific first. */
const NAMES: readonly (readonly [RegExp, Build])[] = [
  [/(?:^|[^a-z0-9])(?:grch38|hg38|hs38(?:d[0-9h]+)?|b38)(?:[^a-z0-9]|$)/i, 'GRCh38'],
  [/(?:^|[^a-z0-9])(?:grch37|hg19|hs37(?:d5)?|b37|human_g1k_v37|homo_sapiens_assembly19|build37)(?:[^a-z0-9]|$)/i, 'GRCh37'],
  [/(?:^|[^a-z0-9])(?:ncbi36|hg18|b36|human_b36)(?:[^a-z0-9]|$)/i, 'NCBI36'],
  [/(?:^|[^a-z0-9])(?:t2t-chm13|chm13(?:v[0-9.]+)?|t2t)(?:[^a-z0-9]|$)/i, 'T2T-CHM13'],
];

/** The build a reference or assembly name denotes (`hs37d5.fa.gz` -> GRCh37), or null. */
export function buildOfName(value: string): Build | null {
  for (const [re, build] of NAMES) if (re.test(value)) return build;
  return null;
}

/** Primary chromosome lengths (normalized names): GRCh37 and GRCh38 from their 1000 Genomes / NYGC headers. */
const LENGTHS: Readonly<Record<Build, Readonly<Record<string, number>>>> = {
  GRCh37: {
    1: 249250621, 2: 243199373, 3: 198022430, 4: 191154276, 5: 180915260, 6: 171115067, 7: 159138663, 8: 146364022,
    9: 141213431, 10: 135534747, 11: 135006516, 12: 133851895, 13: 115169878, 14: 107349540, 15: 102531392, 16: 90354753,
    17: 81195210, 18: 78077248, 19: 59128983, 20: 63025520, 21: 48129895, 22: 51304566, X: 155270560, Y: 59373566,
  },
  GRCh38: {
    1: 248956422, 2: 242193529, 3: 198295559, 4: 190214555, 5: 181538259, 6: 170805979, 7: 159345973, 8: 145138636,
    9: 138394717, 10: 133797422, 11: 135086622, 12: 133275309, 13: 114364328, 14: 107043718, 15: 101991189, 16: 90338345,
    17: 83257441, 18: 80373285, 19: 58617616, 20: 64444167, 21: 46709983, 22: 50818468, X: 156040895, Y: 57227415,
  },
  NCBI36: { 1: 247249719 },
  'T2T-CHM13': { 1: 248387328 },
};

/** The build whose primary chromosome `norm` has this length, or null. */
export function buildOfLength(norm: string, length: number): Build | null {
  for (const [build, table] of Object.entries(LENGTHS) as [Build, Record<string, number>][]) if (table[norm] === length) return build;
  return null;
}

/** A file's build and how it is known (for messages). */
export interface FileAssembly {
  readonly build: Build | null;
  /** `##reference`, `##contig assembly=`, or `contig lengths (chr1 248956422 bp)`. */
  readonly evidence: string;
  /** Normalized contig name -> [name as written, length], for the contigs the header gives a length. */
  readonly lengths: ReadonlyMap<string, readonly [string, number]>;
}

/** What the header says about the file's assembly; refuses a header that contradicts itself. */
export function fileAssembly(header: VcfHeader, label: string): FileAssembly {
  let named: { build: Build; evidence: string } | null = null;
  for (const line of header.lines) {
    const ref = /^##reference=(.*)$/.exec(line);
    const asm = /^##contig=<(?:.*,)?assembly=("?)([^",>]+)\1[,>]/.exec(line);
    const value = ref?.[1] ?? asm?.[2];
    const build = value === undefined ? null : buildOfName(value);
    if (!build) continue;
    const evidence = ref ? '##reference' : '##contig assembly=';
    if (named && named.build !== build) {
      throw new NodeError('GENOFED_STORE_ASSEMBLY', `${label}: the header names two assemblies (${named.build} in ${named.evidence}, ${build} in ${evidence})`);
    }
    named ??= { build, evidence };
  }
  const lengths = new Map<string, readonly [string, number]>();
  let measured: { build: Build; evidence: string } | null = null;
  for (const c of header.contigs) {
    if (c.length === undefined) continue;
    const norm = normalizeContig(c.id);
    if (!lengths.has(norm)) lengths.set(norm, [c.id, c.length]);
    const build = buildOfLength(norm, c.length);
    if (!build) continue;
    const evidence = `contig lengths (${c.id} ${c.length} bp)`;
    if (measured && measured.build !== build) {
      throw new NodeError('GENOFED_STORE_ASSEMBLY', `${label}: its contig lengths belong to two assemblies (${measured.evidence}: ${measured.build}; ${evidence}: ${build})`);
    }
    measured ??= { build, evidence };
  }
  if (named && measured && named.build !== measured.build) {
    throw new NodeError('GENOFED_STORE_ASSEMBLY', `${label}: the header names ${named.build} (${named.evidence}) but its ${measured.evidence} are ${measured.build}'s`);
  }
  const known = named ?? measured;
  return { build: known?.build ?? null, evidence: known?.evidence ?? 'none', lengths };
}

/** The store's assembly as ingest tracks it across the files of one transaction. */
export interface StoreAssembly {
  build: Build | null;
  /** Normalized contig name -> the length first recorded for it. */
  readonly lengths: Map<string, number>;
}

/**
 * Refuse a file of another build than the store's, or with a contig
 * length other than the store's for that contig; both named. Returns what
 * the store must record: its build if it had none, and the lengths of
 * contigs it has none for (`[name as written, length]`).
 */
export function checkFileAssembly(file: FileAssembly, store: StoreAssembly, label: string): { build: Build | null; lengths: (readonly [string, number])[] } {
  if (file.build && store.build && file.build !== store.build) {
    throw new NodeError('GENOFED_STORE_ASSEMBLY', `${label}: the file is ${file.build} (${file.evidence}) but the store holds ${store.build}; a store holds one assembly (lift the file over, or ingest it into another store)`);
  }
  const fresh: (readonly [string, number])[] = [];
  for (const [norm, [name, length]] of file.lengths) {
    const stored = store.lengths.get(norm);
    if (stored === undefined) {
      fresh.push([name, length]);
      continue;
    }
    if (stored !== length) {
      const theirs = buildOfLength(norm, length);
      const ours = buildOfLength(norm, stored) ?? store.build;
      const why = theirs && ours ? ` (${theirs} vs ${ours})` : ' (another assembly?)';
      throw new NodeError('GENOFED_STORE_ASSEMBLY', `${label}: contig ${name} is ${length} bp in the file but ${stored} bp in the store${why}; a store holds one assembly`);
    }
  }
  return { build: store.build ? null : file.build, lengths: fresh };
}
