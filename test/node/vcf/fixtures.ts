/** Shared helpers of the VCF reader tests: fixture lists, tool detection, reference counting. */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readVcfFile, type VcfHeader, type VcfVariant } from '../../../node/vcf/index.js';

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

export function has(tool: string): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}

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
  for (let k = 0; k < v.sample.length; k++) {
    const gt = Array.from(v.alleles.subarray(v.offset[k]!, v.offset[k + 1]!));
    c.maxPloidy = Math.max(c.maxPloidy, gt.length);
    for (const a of gt) {
      if (a < 0) continue;
      c.an += 1;
      if (a > 0) c.ac[a - 1]! += 1;
    }
    if (gt.length >= 2 && gt.every((a) => a > 0 && a === gt[0])) c.nhomalt[gt[0]! - 1]! += 1;
    const called = gt.length === 0 ? [] : [gt[0]!, ...(gt.length > 1 ? [gt[gt.length - 1]!] : [])].filter((a) => a >= 0);
    if (called.length === 1) {
      if (called[0]! > 0) c.acHemi[called[0]! - 1]! += 1;
    } else if (called.length === 2) {
      const [a, b] = called as [number, number];
      if (a === b) {
        if (a > 0) c.acHom[a - 1]! += 2;
      } else {
        if (a > 0) c.acHet[a - 1]! += 1;
        if (b > 0) c.acHet[b - 1]! += 1;
      }
    }
  }
  return c;
}
