/**
 * Differential: the byte scanner and @gmod/vcf (parseLine +
 * processGenotypes) must give the same sparse genotypes for every record
 * and every sample of every real VCF fixture.
 */
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openInput } from '../../../node/io/open-input.js';
import { readLines } from '../../../node/io/lines.js';
import { genotypesViaGmod } from '../../../node/vcf/index.js';
import { readAll, realVcfs } from './fixtures.js';

async function lineTexts(path: string): Promise<Map<number, string>> {
  const input = await openInput(path);
  const out = new Map<number, string>();
  for await (const l of readLines(input.stream)) if (l.bytes[0] !== 35) out.set(l.number, l.bytes.toString('utf8'));
  return out;
}

describe('scanner vs @gmod/vcf genotypes', () => {
  const files = realVcfs();
  it('finds the real fixtures', () => {
    expect(files.length).toBeGreaterThan(60);
  });
  for (const file of files) {
    it(`agrees on every record and sample of ${basename(file)}`, async () => {
      const { header, variants } = await readAll(file);
      const texts = await lineTexts(file);
      expect(variants.length).toBe(texts.size);
      let mismatches = 0;
      let firstBad = '';
      for (const v of variants) {
        const g = genotypesViaGmod(texts.get(v.line)!, header);
        const same = g.sample.length === v.sample.length && g.sample.every((x, i) => x === v.sample[i]) &&
          g.offset.every((x, i) => x === v.offset[i]) && g.alleles.length === v.alleles.length && g.alleles.every((x, i) => x === v.alleles[i]);
        if (!same) {
          mismatches += 1;
          firstBad ||= `line ${v.line}`;
        }
      }
      expect(mismatches, `first mismatch at ${firstBad}`).toBe(0);
    });
  }
});
