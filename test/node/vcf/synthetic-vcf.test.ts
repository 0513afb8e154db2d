/**
 * The benchmark generator (test/bench/synthetic-vcf.ts) writes VCF that
 * bcftools accepts, whose AC/AN per site equal the reader's, and is
 * deterministic from its seed.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticPanel, syntheticVcf } from '../../bench/synthetic-vcf.js';
import { has, readAll, siteCounts } from './fixtures.js';

async function text(seed: number): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of syntheticVcf({ samples: 40, variants: 500, seed })) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('latin1');
}

describe('syntheticVcf', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-synth-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is deterministic from the seed and differs between seeds', async () => {
    const a = await text(7);
    expect(await text(7)).toBe(a);
    expect(await text(8)).not.toBe(a);
    expect(a.split('\n').filter((l) => l && !l.startsWith('#')).length).toBe(500);
  });

  it('has mostly rare variants, some tri-allelic sites and some missing calls', async () => {
    const path = join(dir, 'shape.vcf');
    await pipeline(syntheticVcf({ samples: 200, variants: 3000, seed: 3 }), createWriteStream(path));
    const { variants } = await readAll(path, true);
    const counts = variants.map((v) => siteCounts(v, 200));
    const rare = counts.filter((c) => c.ac.reduce((x, y) => x + y, 0) / c.an < 0.05).length;
    expect(rare / variants.length).toBeGreaterThan(0.4);
    expect(variants.some((v) => v.alts.length === 2)).toBe(true);
    expect(counts.some((c) => c.an < 400)).toBe(true);
  });

  describe.skipIf(!has('bcftools'))('against bcftools', () => {
    it('bcftools reads the BGZF output and its AC/AN equal the reader\'s', async () => {
      const path = join(dir, 'synth.vcf.gz');
      await pipeline(syntheticVcf({ samples: 120, variants: 2000, seed: 11, contig: 'chr22', bgzip: true }), createWriteStream(path));
      const out = execFileSync('sh', ['-c', 'bcftools +fill-tags "$1" -- -t AC,AN | bcftools query -f "%POS\\t%AC\\t%AN\\n"', 'sh', path]).toString('utf8').trim().split('\n');
      const { variants } = await readAll(path, true);
      expect(out.length).toBe(2000);
      const ours = variants.map((v) => {
        const c = siteCounts(v, 120);
        return `${v.pos}\t${c.ac.join(',')}\t${c.an}`;
      });
      expect(ours).toEqual(out);
    });
  });
});

describe('syntheticPanel', () => {
  it('gives one row per sample with pop, super_pop, gender and age', () => {
    const rows = syntheticPanel(300, 5).trim().split('\n');
    expect(rows[0]).toBe('sample\tpop\tsuper_pop\tgender\tage');
    expect(rows.length).toBe(301);
    for (const r of rows.slice(1)) expect(r).toMatch(/^SYN\d{6}\t[A-Z]{3}\t(EUR|AFR|EAS|AMR|SAS)\t(male|female)\t\d{2}$/);
    expect(syntheticPanel(300, 5)).toBe(syntheticPanel(300, 5));
  });
});
