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
      // GT text [start, end): alleles split on '/' or '|', an optional leading phase (VCF 4.4).
      let i = start;
      if (i < end && (str[i] === '/' || str[i] === '|')) i += 1;
      const from = alleles.length;
      let value = -2;
      for (; i <= end; i++) {
        const ch = i < end ? str[i] : '/';
        if (ch === '/' || ch === '|') {
          if (value !== -2) alleles.push(value);
          value = -2;
        } else if (ch === '.') value = ALLELE_MISSING;
        else value = (value < 0 ? 0 : value * 10) + (ch!.charCodeAt(0) - 48);
      }
      const ploidy = alleles.length - from;
      if (ploidy === 1 && alleles[from] === ALLELE_MISSING) alleles.length = from;
      if (ploidy === 2 && alleles[from] === 0 && alleles[from + 1] === 0) {
        alleles.length = from;
        return;
      }
      sample.push(s);
      offset.push(from);
    });
  }
  offset.push(alleles.length);
  return { sample: Int32Array.from(sample), offset: Int32Array.from(offset), alleles: Int16Array.from(alleles) };
}
