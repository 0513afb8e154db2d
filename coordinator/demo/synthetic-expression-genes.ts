/**
 * Invented genes (SYN00001, ...) on GRCh37 autosomes, for the synthetic
 * expression data. `cis` genes are spread evenly over the genotyped window
 * widened by 500 kb on each side, so every one of them has real variants
 * within 1 Mb of its start (the cis scan has null genes as well as planted
 * ones); the other genes are spread uniformly over the autosomes, at least
 * 2 Mb away from the window (no genotyped variant within 1 Mb). Ids follow
 * genome order. Coordinates are 1-based and inclusive; `start` stands for
 * the TSS (no strand).
 */
import type { Draws } from './synthetic-expression-random.js';

export interface Gene {
  readonly id: string;
  readonly chrom: string;
  readonly start: number;
  readonly end: number;
}

/** GRCh37 autosome lengths (the 1000G VCFs' ##contig lines). */
const GRCH37: readonly number[] = [
  249250621, 243199373, 198022430, 191154276, 180915260, 171115067, 159138663, 146364022, 141213431, 135534747, 135006516,
  133851895, 115169878, 107349540, 102531392, 90354753, 81195210, 78077248, 59128983, 63025520, 48129895, 51304566,
];

/** Where the genotypes are: one contig, first and last variant position. */
export interface GenotypedWindow {
  readonly chrom: string;
  readonly first: number;
  readonly last: number;
}

export const CIS_FLANK = 500_000;
const KEEP_OUT = 2_000_000;

export function geneId(i: number): string {
  return `SYN${String(i + 1).padStart(5, '0')}`;
}

/** Gene length: log-normal around 20 kb (10^N(4.3, 0.45)), 1 kb..200 kb. */
function geneLength(d: Draws): number {
  return Math.round(Math.min(200_000, Math.max(1_000, 10 ** d.normal(4.3, 0.45))));
}

/**
 * `genes` genes of which `cis` sit around `window` (none without a window).
 * Returns the genes in id (genome) order and which of them are cis genes.
 */
export function layoutGenes(genes: number, cis: number, window: GenotypedWindow | null, d: Draws): { genes: Gene[]; cis: boolean[] } {
  if (!window) cis = 0;
  cis = Math.min(cis, genes);
  const prefix = window && /^chr/i.test(window.chrom) ? window.chrom.slice(0, 3) : '';
  const windowContig = window ? Number(window.chrom.replace(/^chr/i, '')) - 1 : -1;
  if (window && !(windowContig >= 0 && windowContig < GRCH37.length)) throw new RangeError('layoutGenes: the genotypes must be on an autosome (1-22)');
  const placed: { contig: number; start: number; length: number; cis: boolean }[] = [];
  if (window && cis > 0) {
    const lo = Math.max(1, window.first - CIS_FLANK);
    const span = window.last + CIS_FLANK - lo;
    const step = span / cis;
    for (let i = 0; i < cis; i++) {
      const start = Math.round(lo + step * (i + 0.5) + d.between(-step / 3, step / 3));
      placed.push({ contig: windowContig, start: Math.max(1, start), length: geneLength(d), cis: true });
    }
  }
  // The other genes: uniform over the autosomes minus [first - 2 Mb, last + 2 Mb] of the window's contig.
  const exclude = (c: number): [number, number] | null =>
    window && c === windowContig ? [Math.max(1, window.first - KEEP_OUT - 200_000), window.last + KEEP_OUT] : null;
  const usable = GRCH37.map((len, c) => {
    const x = exclude(c);
    return x ? len - Math.min(len, x[1]) + Math.max(0, x[0] - 1) : len;
  });
  const total = usable.reduce((a, b) => a + b, 0);
  for (let i = cis; i < genes; i++) {
    let r = Math.floor(d.uniform() * total);
    let c = 0;
    while (r >= usable[c]!) r -= usable[c++]!;
    const x = exclude(c);
    let start = r + 1;
    if (x && start >= x[0]) start += x[1] - x[0] + 1;
    const length = Math.min(geneLength(d), GRCH37[c]! - start + 1);
    placed.push({ contig: c, start, length: Math.max(1, length), cis: false });
  }
  placed.sort((a, b) => a.contig - b.contig || a.start - b.start);
  return {
    genes: placed.map((g, i) => ({ id: geneId(i), chrom: `${prefix}${g.contig + 1}`, start: g.start, end: g.start + g.length - 1 })),
    cis: placed.map((g) => g.cis),
  };
}
