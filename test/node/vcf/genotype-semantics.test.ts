/**
 * The sparse-genotype contract of node/vcf/types.ts on hand-written records
 * whose expected arrays were worked out by hand (not produced by the code):
 * implicit 0/0, haploid, triploid, missing forms, phased/unphased, FORMAT
 * without GT, multi-allelic, VCF 4.4 leading phase, and the fatal GT errors.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readVcf, type VcfVariant } from '../../../node/vcf/index.js';

const HEAD = (version: string, samples: string[]): string =>
  `##fileformat=VCFv${version}\n##contig=<ID=1>\n##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">\n` +
  `#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t${samples.join('\t')}\n`;

async function records(text: string, strict = true): Promise<VcfVariant[]> {
  const r = await readVcf(Readable.from([Buffer.from(text)]), { label: 't.vcf', strict });
  const out: VcfVariant[] = [];
  for await (const b of r.variants()) out.push(...b);
  return out;
}

const sparse = (v: VcfVariant): { sample: number[]; offset: number[]; alleles: number[] } => ({ sample: [...v.sample], offset: [...v.offset], alleles: [...v.alleles] });

describe('sparse genotypes', () => {
  it('lists every sample except fully called diploid hom-ref, in column order', async () => {
    const [v] = await records(`${HEAD('4.2', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'])}1\t10\t.\tA\tC,G\t.\tPASS\t.\tGT\t0|0\t0/1\t1|1\t./.\t0/.\t2\t.\t1/2/0\n`);
    expect(sparse(v!)).toEqual({
      sample: [1, 2, 3, 4, 5, 6, 7],
      offset: [0, 2, 4, 6, 8, 9, 9, 12],
      alleles: [0, 1, 1, 1, -1, -1, 0, -1, 2, 1, 2, 0],
    });
    expect(v!.alts).toEqual(['C', 'G']);
  });

  it('reads GT before other FORMAT keys and skips their values', async () => {
    const [v] = await records(`${HEAD('4.2', ['a', 'b'])}1\t10\trs1\tA\tT\t50\tPASS\t.\tGT:DP\t0/0:12\t1/1:7\n`);
    expect(sparse(v!)).toEqual({ sample: [1], offset: [0, 2], alleles: [1, 1] });
    expect(v!.id).toBe('rs1');
  });

  it('lists every sample with ploidy 0 when FORMAT has no GT (unknown, not hom-ref)', async () => {
    const [v] = await records(`${HEAD('4.2', ['a', 'b'])}1\t10\t.\tA\tT\t.\t.\t.\tDP\t3\t4\n`);
    expect(sparse(v!)).toEqual({ sample: [0, 1], offset: [0, 0, 0], alleles: [] });
  });

  it('accepts a leading phase from VCF 4.4 and rejects it before', async () => {
    const body = '1\t10\t.\tA\tT\t.\t.\t.\tGT\t/0|1\n';
    const [v] = await records(HEAD('4.4', ['a']) + body);
    expect(sparse(v!)).toEqual({ sample: [0], offset: [0, 2], alleles: [0, 1] });
    await expect(records(HEAD('4.3', ['a']) + body)).rejects.toMatchObject({ code: 'GENOFED_VCF_GENOTYPE', message: 't.vcf:6: sample column 1: GT starts with a phase separator (allowed from VCF 4.4 only)' });
  });

  it('rejects an allele index beyond the ALT list in both modes', async () => {
    const text = `${HEAD('4.2', ['a'])}1\t10\t.\tA\tT\t.\t.\t.\tGT\t0/2\n`;
    await expect(records(text, false)).rejects.toMatchObject({ code: 'GENOFED_VCF_GENOTYPE', message: 't.vcf:6: sample column 1: GT allele index out of range (the record has 2 alleles)' });
  });

  it('rejects a record with too few sample columns', async () => {
    await expect(records(`${HEAD('4.2', ['a', 'b'])}1\t10\t.\tA\tT\t.\t.\t.\tGT\t0/1\n`, false)).rejects.toMatchObject({ code: 'GENOFED_VCF_RECORD', message: 't.vcf:6: record has 10 columns, the header has 11' });
  });

  it('counts tolerated problems in lenient mode and rejects them in strict mode', async () => {
    const text = `${HEAD('4.2', ['a'])}1\t20\t.\tA\tT\t.\t.\tAC=1,2\tGT\t0/1\n1\t10\t.\tA\tT\t.\t.\t.\tGT\t0/1\n`;
    const r = await readVcf(Readable.from([Buffer.from(text)]), { label: 't.vcf', strict: false });
    let n = 0;
    for await (const b of r.variants()) n += b.length;
    expect(n).toBe(2);
    expect(r.warnings().map((w) => [w.code, w.count, w.firstLine])).toEqual([
      ['GENOFED_VCF_INFO', 1, 6],
      ['GENOFED_VCF_ORDER', 1, 7],
    ]);
    await expect(records(text, true)).rejects.toMatchObject({ code: 'GENOFED_VCF_INFO', message: 't.vcf:6: INFO entry 1: has 2 values where its Number requires 1' });
  });

  it('stops when the signal is aborted', async () => {
    const controller = new AbortController();
    const rows = Array.from({ length: 10_000 }, (_, i) => `1\t${i + 1}\t.\tA\tT\t.\t.\t.\tGT\t0/1\n`).join('');
    const r = await readVcf(Readable.from([Buffer.from(HEAD('4.2', ['a']) + rows)]), { label: 't.vcf', signal: controller.signal });
    controller.abort();
    await expect((async () => {
      for await (const _ of r.variants());
    })()).rejects.toThrow(/abort/i);
  });
});
