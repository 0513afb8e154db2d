/**
 * The same genotypes as the byte scanner, obtained through @gmod/vcf's
 * `parseLine` + `processGenotypes`: the independent path of the
 * differential test (and a fallback to compare against when the scanner
 * changes). Slow by design: strings, one callback per sample.
 */
import VCF from '@gmod/vcf';
import type { SparseGenotypes } from './genotype-scanner.js';
import { ALLELE_MISSING, type VcfHeader } from './types.js';

const parsers = new WeakMap<VcfHeader, VCF>();

export function genotypesViaGmod(line: string, header: VcfHeader): SparseGenotypes {
  let parser = parsers.get(header);
  if (!parser) {
    parser = new VCF({ header: header.lines.join('\n'), strict: false });
    parsers.set(header, parser);
  }
  const variant = parser.parseLine(line);
  const n = header.samples.length;
  const sample: number[] = [];
  const offset: number[] = [];
  const alleles: number[] = [];
  const format = variant.FORMAT ?? '';
  const hasGt = format.split(':').includes('GT');
  if (!hasGt) {
    for (let s = 0; s < n; s++) {
      sample.push(s);
      offset.push(alleles.length);
    }
  } else {
    variant.processGenotypes((str, start, end, s) => {
      let gt = str.slice(start, end);
      if (gt.startsWith('/') || gt.startsWith('|')) gt = gt.slice(1);
      const calls = gt === '.' || gt === '' ? [] : gt.split(/[/|]/).map((a) => (a === '.' ? ALLELE_MISSING : Number(a)));
      if (calls.length === 2 && calls[0] === 0 && calls[1] === 0) return;
      sample.push(s);
      offset.push(alleles.length);
      alleles.push(...calls);
    });
  }
  offset.push(alleles.length);
  return { sample: Int32Array.from(sample), offset: Int32Array.from(offset), alleles: Int16Array.from(alleles) };
}
