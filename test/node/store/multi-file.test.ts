/**
 * Several VCFs into one store: re-ingest refused by content, one file per
 * chromosome, the double-count refusal, and batches of new samples on the
 * same sites, whose counts equal `bcftools merge` + `+fill-tags` (samples of
 * a batch without the site count as missing, i.e. not in AN).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, openStore } from '../../../node/store/index.js';
import { ingestInto } from '../../../node/store/ingest.js';
import { bcftoolsCounts, bcftoolsMinimalVcf, has, panelIds } from './bcftools.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const UW = join(ROOT, 'test/fixtures/vcf/1kg_dev/uwgac_1KG_phase3_subset');
const CHR21 = join(UW, '1KG_phase3_subset_chr21.vcf.gz');
const CHR22 = join(UW, '1KG_phase3_subset_chr22.vcf.gz');
const BEACON = join(ROOT, 'test/fixtures/vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz');
const HAS_BCFTOOLS = has('bcftools');

let scratch = '';
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'genofed-multi-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function sh(cmd: string): void {
  execFileSync('bash', ['-c', `set -o pipefail; ${cmd}`], { stdio: 'ignore' });
}

function sampleIds(): string[] {
  return execFileSync('bcftools', ['query', '-l', BEACON], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** The beacon file split by samples at `at` into two indexed batches (`filterB`: bcftools options for the second). */
function sampleBatches(tag: string, at: number, filterB: string): [string, string] {
  const ids = sampleIds();
  const a = join(scratch, `${tag}A.vcf.gz`);
  const b = join(scratch, `${tag}B.vcf.gz`);
  sh(`bcftools view --no-version -s '${ids.slice(0, at).join(',')}' -Oz -o '${a}' '${BEACON}' && bcftools index -f '${a}'`);
  sh(`bcftools view --no-version -s '${ids.slice(at).join(',')}' ${filterB} -Oz -o '${b}' '${BEACON}' && bcftools index -f '${b}'`);
  return [a, b];
}

async function snapshot(dir: string): Promise<unknown> {
  const store = await openStore(dir, { readOnly: true });
  try {
    return { summary: await store.summary(), rows: await store.alleleCounts({}) };
  } finally {
    await store.close();
  }
}

describe('several files into one store', () => {
  it('the same content under another name is refused and the store is unchanged', async () => {
    const dir = join(scratch, 'dup');
    await ingest(dir, { rawIds: true, vcfs: [CHR22] });
    const before = await snapshot(dir);
    const copy = join(scratch, 'renamed.vcf.gz');
    await copyFile(CHR22, copy);
    await expect(ingest(dir, { rawIds: true, vcfs: [copy] })).rejects.toMatchObject({ code: 'GENOFED_STORE_ALREADY_INGESTED', message: expect.stringContaining('renamed.vcf.gz') });
    expect(await snapshot(dir)).toEqual(before);
  });

  it('one file per chromosome with the same samples adds contigs, not samples', async () => {
    const dir = join(scratch, 'perchrom');
    await ingest(dir, { rawIds: true, vcfs: [CHR21] });
    await ingest(dir, { rawIds: true, vcfs: [CHR22] });
    const store = await openStore(dir, { readOnly: true });
    try {
      const s = await store.summary();
      expect(s.samples).toBe(1126);
      const single = await store.alleleCounts({ region: { chrom: 'chr22', start: 1, end: 2 ** 31 - 1 } });
      expect(single.length).toBeGreaterThan(1000);
      expect(single.every((r) => r.chrom === '22' && r.an <= 2 * 1126)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it.skipIf(!HAS_BCFTOOLS)('a file sharing samples with an ingested file on an overlapping range is refused (double count)', async () => {
    const dir = join(scratch, 'overlap');
    await ingest(dir, { rawIds: true, vcfs: [CHR22] });
    const before = await snapshot(dir);
    const subset = join(scratch, 'subset22.vcf.gz');
    execFileSync('bcftools', ['view', '--no-version', '-s', 'HG00096,HG00097', '-Oz', '-o', subset, CHR22], { stdio: 'ignore' });
    await expect(ingest(dir, { rawIds: true, vcfs: [subset] })).rejects.toMatchObject({ code: 'GENOFED_STORE_SAMPLE_OVERLAP' });
    expect(await snapshot(dir)).toEqual(before);
  });
});

describe.skipIf(!HAS_BCFTOOLS)('batches of new samples on the same sites', () => {
  it('two sample batches, the second lacking some sites, give the counts of bcftools merge + fill-tags on every variant', async () => {
    // Batch B lacks every site before POS 50000 (sequenced later, other panel).
    const [a, b] = sampleBatches('batch', 1200, "-e 'POS<50000'");
    const ids = sampleIds();
    const merged = join(scratch, 'merged.vcf.gz');
    sh(`bcftools merge --no-version -m none -Oz -o '${merged}' '${a}' '${b}'`);
    const minimal = join(scratch, 'merged-minimal.vcf');
    bcftoolsMinimalVcf(merged, minimal);
    const expected = bcftoolsCounts(minimal);

    const dir = join(scratch, 'batches');
    await ingest(dir, { rawIds: true, vcfs: [a] });
    await ingest(dir, { rawIds: true, vcfs: [b] });
    const store = await openStore(dir, { readOnly: true });
    try {
      expect((await store.summary()).samples).toBe(ids.length);
      const rows = await store.alleleCounts({});
      const got = new Map(rows.map((r) => [`${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`, r]));
      expect(new Set(got.keys())).toEqual(new Set(expected.keys()));
      const bad: string[] = [];
      for (const [k, e] of expected) {
        const g = got.get(k)!;
        if (g.ac !== e.ac || g.an !== e.an || g.nhomalt !== e.nhomalt) bad.push(`${k} ours ${g.ac}/${g.an}/${g.nhomalt} bcftools ${e.ac}/${e.an}/${e.nhomalt}`);
      }
      expect(bad.slice(0, 5)).toEqual([]);
      // Sites before 50000 count only batch A's 1,200 samples.
      const early = rows.filter((r) => r.pos < 50_000);
      expect(early.length).toBeGreaterThan(10);
      expect(early.every((r) => r.an <= 2 * 1200)).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!HAS_BCFTOOLS)('a cohort asked again after an ingest through the same handle', () => {
  it('counts the new batch\'s members (the remembered cohort selection belongs to the catalog snapshot the ingest replaced), equal to bcftools merge + view -S + fill-tags', async () => {
    const [a, b] = sampleBatches('cache', 1300, '');
    const panelPath = join(ROOT, 'test/fixtures/panel/integrated_call_samples_v3.20130502.ALL.panel');
    const eur = join(scratch, 'cache-eur.txt');
    writeFileSync(eur, `${panelIds(readFileSync(panelPath, 'utf8'), (r) => r.super_pop === 'EUR').join('\n')}\n`);
    const expect1 = (vcf: string): Map<string, { ac: number; an: number; nhomalt: number }> => {
      const minimal = `${vcf}.minimal.vcf`;
      bcftoolsMinimalVcf(vcf, minimal);
      return bcftoolsCounts(minimal, eur);
    };
    const merged = join(scratch, 'cache-merged.vcf.gz');
    sh(`bcftools merge --no-version -m none -Oz -o '${merged}' '${a}' '${b}'`);
    const dir = join(scratch, 'cache');
    await ingest(dir, { rawIds: true, vcfs: [a], phenotypes: panelPath });
    const store = await openStore(dir);
    try {
      const check = async (expected: Map<string, { ac: number; an: number; nhomalt: number }>): Promise<void> => {
        const rows = await store.alleleCounts({ cohort: "super_pop = 'EUR'", region: { chrom: '1', start: 1, end: 30_000 } });
        expect(rows.length).toBeGreaterThan(20);
        for (const r of rows) expect({ ac: r.ac, an: r.an, nhomalt: r.nhomalt }, `${r.pos}`).toEqual(expected.get(`${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`));
      };
      await check(expect1(a));
      await check(expect1(a)); // asked again: the remembered selection
      await ingestInto(store, { rawIds: true, vcfs: [b] });
      await check(expect1(merged));
    } finally {
      await store.close();
    }
  });
});
