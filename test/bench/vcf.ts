/**
 * `npm run bench -- --suite vcf`: the VCF reader's genotype hot path against
 * `bcftools +fill-tags -Ob -o /dev/null -- -t AC,AN,AF` and against @gmod/vcf
 * (parseLine + processGenotypes), on the largest 2,504-sample 1000G fixture
 * and on a synthetic file, all measured in the same run (best of 3 wall-clock
 * runs; on a shared machine read the ratios, not the absolute times).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { openInput } from '../../node/io/open-input.js';
import { readLines } from '../../node/io/lines.js';
import { genotypesViaGmod, readVcfFile, type VcfHeader } from '../../node/vcf/index.js';
import type { BenchSuite } from './suite.js';
import { syntheticVcf } from './synthetic-vcf.js';

const FIXTURE = resolve(import.meta.dirname, '../../../test/fixtures/vcf/1kg_dev/1KGP_hg19_IL2RA_1MB.vcf.gz');
const FIXTURE_QUICK = resolve(import.meta.dirname, '../../../test/fixtures/vcf/1kg_dev/1KGP_hg19_CFTR_1MB.vcf.gz');

async function best(runs: number, f: () => Promise<number>): Promise<{ ms: number; result: number }> {
  let ms = Infinity;
  let result = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    result = await f();
    ms = Math.min(ms, performance.now() - t);
  }
  return { ms, result };
}

/** Total AN over the file through our reader (implicit samples are 0/0). */
async function viaReader(path: string): Promise<number> {
  const r = await readVcfFile(path, { strict: false });
  const n = r.header.samples.length;
  let an = 0;
  for await (const batch of r.variants()) {
    for (const v of batch) {
      an += 2 * (n - v.sample.length);
      for (const a of v.alleles) if (a >= 0) an += 1;
    }
  }
  return an;
}

/** Total AN through @gmod/vcf (parseLine + processGenotypes) producing the same sparse records. */
async function viaGmod(path: string): Promise<number> {
  const input = await openInput(path);
  const header: string[] = [];
  let h: VcfHeader | undefined;
  let an = 0;
  for await (const l of readLines(input.stream)) {
    const text = l.bytes.toString('latin1');
    if (!h) {
      header.push(text);
      if (text.startsWith('#CHROM')) {
        const samples = text.split('\t').slice(9);
        h = { fileformat: '', samples, contigs: [], lines: header };
      }
      continue;
    }
    const g = genotypesViaGmod(text, h);
    an += 2 * (h.samples.length - g.sample.length);
    for (const a of g.alleles) if (a >= 0) an += 1;
  }
  return an;
}

function viaBcftools(path: string, output: '-Ob' | '-Ou'): Promise<number> {
  const r = spawnSync('bcftools', ['+fill-tags', path, output, '-o', '/dev/null', '--', '-t', 'AC,AN,AF'], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('bcftools +fill-tags failed');
  return Promise.resolve(0);
}
export const suite: BenchSuite = {
  name: 'vcf',
  description: 'VCF reader (byte scanner) vs bcftools +fill-tags and @gmod/vcf, same run',
  async run(ctx) {
    const out: Record<string, unknown> = {};
    const hasBcftools = spawnSync('bcftools', ['--version'], { stdio: 'ignore' }).status === 0;
    const synthetic = join(ctx.scratch, 'synthetic.vcf.gz');
    const [samples, variants] = ctx.quick ? [1000, 5000] : [2504, 40000];
    await pipeline(syntheticVcf({ samples, variants, seed: 42, bgzip: true }), createWriteStream(synthetic));
    const inputs: [string, string][] = [
      [ctx.quick ? 'CFTR' : 'IL2RA', ctx.quick ? FIXTURE_QUICK : FIXTURE],
      [`synthetic_${samples}x${variants}`, synthetic],
    ];
    for (const [name, path] of inputs) {
      await viaReader(path); // warm-up (JIT)
      const reader = await best(3, () => viaReader(path));
      const gmod = await best(3, () => viaGmod(path));
      if (gmod.result !== reader.result) throw new Error(`${name}: @gmod/vcf and reader disagree on total AN`);
      out[`${name}_reader_ms`] = Math.round(reader.ms);
      out[`${name}_gmod_ms`] = Math.round(gmod.ms);
      out[`${name}_gmod_over_reader`] = Number((gmod.ms / reader.ms).toFixed(2));
      if (hasBcftools) {
        const bcf = await best(3, () => viaBcftools(path, '-Ob'));
        const bcfU = await best(3, () => viaBcftools(path, '-Ou'));
        out[`${name}_bcftools_filltags_ms`] = Math.round(bcf.ms);
        out[`${name}_bcftools_over_reader`] = Number((bcf.ms / reader.ms).toFixed(2));
        out[`${name}_bcftools_filltags_uncompressed_ms`] = Math.round(bcfU.ms);
        out[`${name}_bcftools_uncompressed_over_reader`] = Number((bcfU.ms / reader.ms).toFixed(2));
      }
      ctx.log(`  ${name}: reader ${Math.round(reader.ms)} ms, @gmod/vcf ${Math.round(gmod.ms)} ms${hasBcftools ? `, bcftools +fill-tags -Ob ${String(out[`${name}_bcftools_filltags_ms`])} ms, -Ou ${String(out[`${name}_bcftools_filltags_uncompressed_ms`])} ms` : ''}`);
    }
    out.note = 'best of 3 wall-clock runs on a shared machine; compare ratios';
    return out;
  },
};
