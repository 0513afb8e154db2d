/**
 * Cohorts and strata against bcftools on the same sample subsets: the 1000G
 * panel is loaded as phenotypes, each cohort's ids are written to a file and
 * `bcftools view -S ids --force-samples | bcftools +fill-tags` computes the
 * reference for every variant.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, openStore, type AlleleCountRow, type Store } from '../../../node/store/index.js';
import { parseRegions } from '../../../proto/region.js';
import { bcftoolsCounts, bcftoolsMinimalVcf, has, panelIds, type RefCounts } from './bcftools.js';

const FIX = resolve(import.meta.dirname, '../../fixtures');
const VCF = join(FIX, 'vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz');
const PANEL = join(FIX, 'panel/integrated_call_samples_v3.20130502.ALL.panel');
const HAS_BCFTOOLS = has('bcftools');
let compared = 0;

let scratch = '';
let store: Store;
let minimal = '';
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'genofed-cohort-'));
  await ingest(join(scratch, 'store'), { rawIds: true, vcfs: [VCF], phenotypes: PANEL });
  store = await openStore(join(scratch, 'store'), { readOnly: true });
  if (HAS_BCFTOOLS) {
    minimal = join(scratch, 'minimal.vcf');
    bcftoolsMinimalVcf(VCF, minimal);
  }
});
afterAll(async () => {
  await store?.close();
  await rm(scratch, { recursive: true, force: true });
});

function compare(rows: AlleleCountRow[], expected: Map<string, RefCounts>): string[] {
  const got = new Map(rows.map((r) => [`${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`, r]));
  expect(new Set(got.keys())).toEqual(new Set(expected.keys()));
  const bad: string[] = [];
  for (const [key, e] of expected) {
    const g = got.get(key)!;
    if (g.ac !== e.ac || g.an !== e.an || g.nhomalt !== e.nhomalt) bad.push(`${key} ours ${g.ac}/${g.an}/${g.nhomalt} bcftools ${e.ac}/${e.an}/${e.nhomalt}`);
    compared++;
  }
  return bad;
}

const panel = readFileSync(PANEL, 'utf8');
const COHORTS: [string, (r: { pop: string; super_pop: string; gender: string }) => boolean][] = [
  ['super_pop=EUR', (r) => r.super_pop === 'EUR'],
  ['gender=female and pop in (GBR,FIN)', (r) => r.gender === 'female' && (r.pop === 'GBR' || r.pop === 'FIN')],
  ['not super_pop=AFR', (r) => r.super_pop !== 'AFR'],
  ['(pop=YRI or pop=CHB) and not gender=male', (r) => (r.pop === 'YRI' || r.pop === 'CHB') && r.gender !== 'male'],
];

describe.skipIf(!HAS_BCFTOOLS)('cohort allele counts equal bcftools on the same sample subset', () => {
  for (const [expr, pred] of COHORTS) {
    it(`cohort '${expr}' matches bcftools view -S | +fill-tags on every variant`, async () => {
      const ids = panelIds(panel, pred);
      const file = join(scratch, `ids-${compared}.txt`);
      writeFileSync(file, `${ids.join('\n')}\n`);
      expect(await store.cohortCount(expr)).toBe(ids.length);
      const rows = await store.alleleCounts({ cohort: expr });
      expect(compare(rows, bcftoolsCounts(minimal, file)).slice(0, 5)).toEqual([]);
      // The streamed form (a node's count over a phase-1 union; counters reused row after row): the same rows.
      const streamed: AlleleCountRow[] = [];
      await store.alleleCountsEach({ regions: parseRegions('1'), cohort: expr }, (chrom, pos, ref, alt, c) => {
        streamed.push({ chrom, pos, ref, alt, ac: c[0]!, an: c[1]!, nhomalt: c[2]!, homRef: c[3]!, het: c[4]!, homAlt: c[5]!, missing: c[6]! });
      });
      expect(streamed).toEqual(rows);
    });
  }

  it('strata by super_pop each match bcftools on that super-population', async () => {
    const rows = await store.alleleCounts({ by: 'super_pop' });
    const strata = [...new Set(rows.map((r) => r.stratum))];
    expect(strata).toEqual(['AFR', 'AMR', 'EAS', 'EUR', 'SAS']);
    for (const s of strata) {
      const file = join(scratch, `stratum-${s}.txt`);
      writeFileSync(file, `${panelIds(panel, (r) => r.super_pop === s).join('\n')}\n`);
      expect(compare(rows.filter((r) => r.stratum === s), bcftoolsCounts(minimal, file)).slice(0, 5)).toEqual([]);
    }
  });

  it('a cohort combined with strata (EUR by gender) matches bcftools per stratum', async () => {
    const rows = await store.alleleCounts({ cohort: 'super_pop=EUR', by: 'gender' });
    for (const g of ['female', 'male']) {
      const file = join(scratch, `eur-${g}.txt`);
      writeFileSync(file, `${panelIds(panel, (r) => r.super_pop === 'EUR' && r.gender === g).join('\n')}\n`);
      expect(compare(rows.filter((r) => r.stratum === g), bcftoolsCounts(minimal, file)).slice(0, 5)).toEqual([]);
    }
  });

  it('the first cohort query after open (counted while the record cache fills) equals the cached ones and bcftools', async () => {
    // A handle of its own: its first whole-store query reads DuckDB, the next ones replay the cache.
    const fresh = await openStore(join(scratch, 'store'), { readOnly: true });
    try {
      const cold = await fresh.alleleCounts({ cohort: 'super_pop=EUR' });
      const warm = await fresh.alleleCounts({ cohort: 'super_pop=EUR' });
      expect(warm).toEqual(cold);
      const file = join(scratch, 'first-eur.txt');
      writeFileSync(file, `${panelIds(panel, (r) => r.super_pop === 'EUR').join('\n')}\n`);
      expect(compare(cold, bcftoolsCounts(minimal, file)).slice(0, 5)).toEqual([]);
      // The other query shapes read the same cache: strata, and a region.
      expect(await fresh.alleleCounts({ cohort: 'super_pop=EUR', by: 'gender' })).toEqual(await store.alleleCounts({ cohort: 'super_pop=EUR', by: 'gender' }));
    } finally {
      await fresh.close();
    }
    // A refused cohort first (its selection fails on the side connection while the records query has started): the handle still answers.
    const refused = await openStore(join(scratch, 'store'), { readOnly: true });
    try {
      await expect(refused.alleleCounts({ cohort: 'no_such_column=1' })).rejects.toMatchObject({ code: 'GENOFED_BAD_COHORT' });
      expect(await refused.alleleCounts({ cohort: 'super_pop=EUR' })).toEqual(await store.alleleCounts({ cohort: 'super_pop=EUR' }));
      expect(await refused.cohortCount('super_pop=EUR')).toBe(await store.cohortCount('super_pop=EUR'));
    } finally {
      await refused.close();
    }
    // With strata first (several strata per record), and a region query first (the cache filled without counting).
    for (const first of [{ cohort: 'not super_pop=AFR', by: 'super_pop' }, { cohort: 'super_pop=EUR', region: { chrom: '1', start: 10_000, end: 60_000 } }]) {
      const other = await openStore(join(scratch, 'store'), { readOnly: true });
      try {
        const cold = await other.alleleCounts(first);
        expect(cold.length).toBeGreaterThan(3);
        expect(await other.alleleCounts(first)).toEqual(cold);
        expect(cold).toEqual(await store.alleleCounts(first));
      } finally {
        await other.close();
      }
    }
  });

  it('a variants list returns one row per requested key, in request order, zeros for absent keys', async () => {
    const all = await store.alleleCounts({ region: { chrom: '1', start: 10_000, end: 20_000 } });
    expect(all.length).toBeGreaterThan(3);
    const asked = [all[2]!, { chrom: 'chr1', pos: 1, ref: 'A', alt: 'T' }, { ...all[0]!, chrom: 'chr1' }];
    const rows = await store.alleleCounts({ variants: asked.map((r) => ({ chrom: r.chrom, pos: r.pos, ref: r.ref, alt: r.alt })) });
    expect(rows.map((r) => [r.pos, r.ac, r.an])).toEqual([[all[2]!.pos, all[2]!.ac, all[2]!.an], [1, 0, 0], [all[0]!.pos, all[0]!.ac, all[0]!.an]]);
  });
});

describe('cohort guard', () => {
  it('the cohort comparison ran (bcftools must be installed in CI)', () => {
    if (process.env.CI) expect(HAS_BCFTOOLS).toBe(true);
    if (HAS_BCFTOOLS) expect(compared).toBeGreaterThan(5_000);
  });
});

describe('cohort errors', () => {
  it('an unknown column is a GENOFED_BAD_COHORT error naming the column and its position', async () => {
    await expect(store.alleleCounts({ cohort: 'ancestry=EUR' })).rejects.toMatchObject({ code: 'GENOFED_BAD_COHORT', message: expect.stringMatching(/column 1: unknown column 'ancestry'/) });
  });
  it('an ordering comparison on a categorical column is refused', async () => {
    await expect(store.cohortCount('gender>female')).rejects.toMatchObject({ code: 'GENOFED_BAD_COHORT' });
  });
});
