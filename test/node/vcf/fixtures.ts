/** Shared helpers of the VCF reader tests: fixture lists, tool detection, reference counting. */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readVcfFile, type VcfHeader, type VcfVariant } from '../../../node/vcf/index.js';
import { has } from '../../tool-available.js';

export const FIXTURES = resolve(import.meta.dirname, '../../fixtures');

/** Every real VCF under test/fixtures/vcf (text or gzip/BGZF; the two .bcf files are listed separately). */
export function realVcfs(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.vcf') || name.endsWith('.vcf.gz')) out.push(p);
    }
  };
  walk(join(FIXTURES, 'vcf'));
  return out;
}

export { has };

export async function readAll(path: string, strict = false): Promise<{ header: VcfHeader; variants: VcfVariant[] }> {
  const reader = await readVcfFile(path, { strict });
  const variants: VcfVariant[] = [];
  for await (const batch of reader.variants()) variants.push(...batch);
  return { header: reader.header, variants };
}

export interface SiteCounts {
  ac: number[];
  an: number;
  /** bcftools +fill-tags definitions (first and last allele of each GT only). */
  acHom: number[];
  acHet: number[];
  acHemi: number[];
  /** Samples with a fully called GT of ploidy >= 2 whose alleles all equal ALT i. */
  nhomalt: number[];
  maxPloidy: number;
}

/** Plain reference computation from a sparse record; implicit samples are 0/0. */
export function siteCounts(v: VcfVariant, nSamples: number): SiteCounts {
  const nAlt = v.alts.length;
  const z = (): number[] => new Array<number>(nAlt).fill(0);
  const c: SiteCounts = { ac: z(), an: 2 * (nSamples - v.sample.length), acHom: z(), acHet: z(), acHemi: z(), nhomalt: z(), maxPloidy: v.sample.length < nSamples ? 2 : 0 };
  const al = v.alleles;
  for (let k = 0; k < v.sample.length; k++) {
    const from = v.offset[k]!;
    const to = v.offset[k + 1]!;
    const ploidy = to - from;
    if (ploidy > c.maxPloidy) c.maxPloidy = ploidy;
    let allSameAlt = ploidy >= 2;
    for (let j = from; j < to; j++) {
      const a = al[j]!;
      if (a <= 0 || a !== al[from]) allSameAlt = false;
      if (a < 0) continue;
      c.an += 1;
      if (a > 0) c.ac[a - 1]! += 1;
    }
    if (allSameAlt) c.nhomalt[al[from]! - 1]! += 1;
    if (ploidy === 0) continue;
    // +fill-tags reads the first and the last allele of a call.
    const first = al[from]!;
    const last = ploidy > 1 ? al[to - 1]! : -1;
    if (first >= 0 && last >= 0) {
      if (first === last) {
        if (first > 0) c.acHom[first - 1]! += 2;
      } else {
        if (first > 0) c.acHet[first - 1]! += 1;
        if (last > 0) c.acHet[last - 1]! += 1;
      }
    } else if (first >= 0 || last >= 0) {
      const a = first >= 0 ? first : last;
      if (a > 0) c.acHemi[a - 1]! += 1;
    }
  }
  return c;
}
