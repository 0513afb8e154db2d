/**
 * The Store API the federation service calls: summary, variant keys with
 * contig aliases, cohort counts with carriers (against bcftools' own GT
 * calls), the append-only query log, and opening rules (read-only, lock,
 * missing store).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, openStore } from '../../../node/store/index.js';
import { has, panelIds } from './bcftools.js';

const FIX = resolve(import.meta.dirname, '../../fixtures');
const VCF = join(FIX, 'vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz');
const PANEL = join(FIX, 'panel/integrated_call_samples_v3.20130502.ALL.panel');

let scratch = '';
let dir = '';
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'genofed-api-'));
  dir = join(scratch, 'store');
  await ingest(dir, { rawIds: true, vcfs: [VCF], phenotypes: PANEL });
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('Store API', () => {
  it('summarizes samples, variants, contigs, assembly and phenotype columns', async () => {
    const store = await openStore(dir, { readOnly: true });
    try {
      const s = await store.summary();
      expect(s.samples).toBe(2504);
      expect(s.variants).toBeGreaterThan(1000);
      expect(s.contigs[0]).toBe('1');
      expect(s.phenotypes).toEqual([{ name: 'pop', type: 'categorical' }, { name: 'super_pop', type: 'categorical' }, { name: 'gender', type: 'categorical' }]);
    } finally {
      await store.close();
    }
  });

  it('lists variant keys of a region asked as chr1 in a store that says 1', async () => {
    const store = await openStore(dir, { readOnly: true });
    try {
      const keys = await store.variantKeys({ chrom: 'chr1', start: 10_177, end: 10_400 });
      expect(keys.length).toBeGreaterThan(1);
      expect(keys[0]).toEqual({ chrom: '1', pos: 10177, ref: 'A', alt: 'AC' });
      expect(keys.every((k) => k.pos >= 10_177 && k.pos <= 10_400)).toBe(true);
      expect(await store.variantKeys({ chrom: '2', start: 1, end: 100 })).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it.skipIf(!has('bcftools'))('counts cohort carriers of a variant exactly as bcftools genotypes say', async () => {
    const store = await openStore(dir, { readOnly: true });
    try {
      const key = { chrom: '1', pos: 10177, ref: 'A', alt: 'AC' };
      const eur = new Set(panelIds(readFileSync(PANEL, 'utf8'), (r) => r.super_pop === 'EUR'));
      const text = execFileSync('bcftools', ['query', '-r', '1:10177', '-f', '[%SAMPLE\t%GT\n]', VCF], { encoding: 'utf8' });
      const want = text.split('\n').filter((l) => { const [s, g] = l.split('\t'); return s && eur.has(s) && /[1-9]/.test(g ?? ''); }).length;
      expect(want).toBeGreaterThan(0);
      expect(await store.cohortCount('super_pop=EUR', { carriersOf: [key] })).toBe(want);
      expect(await store.cohortCount('super_pop=EUR')).toBe(eur.size);
    } finally {
      await store.close();
    }
  });

  it('answers concurrent queries on one handle as it answers them one by one', async () => {
    const store = await openStore(dir, { readOnly: true });
    try {
      const qs = [{}, { cohort: 'super_pop=EUR' }, { by: 'gender' }, { region: { chrom: '1', start: 10_000, end: 50_000 } }] as const;
      const alone = [];
      for (const q of qs) alone.push(await store.alleleCounts(q));
      const together = await Promise.all([...qs.map((q) => store.alleleCounts(q)), store.cohortCount('gender=male')]);
      expect(together.slice(0, qs.length)).toEqual(alone);
      expect(together[qs.length]).toBeGreaterThan(1000);
    } finally {
      await store.close();
    }
  });

  it('lists cohort members as sorted sample indices, per stratum with by, consistent with cohortCount', async () => {
    const store = await openStore(dir, { readOnly: true });
    try {
      const eur = await store.cohortMembers('super_pop=EUR');
      expect(eur).toBeInstanceOf(Uint32Array);
      const list = [...(eur as Uint32Array)];
      expect(list.length).toBe(await store.cohortCount('super_pop=EUR'));
      expect(list).toEqual([...list].sort((a, b) => a - b));
      expect((await store.cohortMembers() as Uint32Array).length).toBe(2504);
      const byGender = await store.cohortMembers('super_pop=EUR', { by: 'gender' }) as Map<string, Uint32Array>;
      expect([...byGender.keys()]).toEqual(['female', 'male']);
      const union = [...byGender.values()].flatMap((a) => [...a]).sort((a, b) => a - b);
      expect(union).toEqual(list);
      expect(byGender.get('female')!.length).toBe(await store.cohortCount('super_pop=EUR and gender=female'));
    } finally {
      await store.close();
    }
  });

  it('appends to the query log and answers the replay check', async () => {
    const store = await openStore(dir);
    try {
      expect(await store.hasQueryId('q-1')).toBe(false);
      await store.appendQueryLog({ queryId: 'q-1', kind: 'af', querier: 'researcher-a', decision: 'answered', at: new Date('2026-01-02T03:04:05Z'), details: { variants: 3 } });
      await store.appendQueryLog({ queryId: 'q-2', kind: 'cohort', querier: 'researcher-b', decision: 'refused', reason: 'budget', at: new Date() });
      expect(await store.hasQueryId('q-1')).toBe(true);
      expect(await store.hasQueryId('q-2')).toBe(true);
      expect(await store.hasQueryId('q-3')).toBe(false);
    } finally {
      await store.close();
    }
    const ro = await openStore(dir, { readOnly: true });
    try {
      expect(await ro.hasQueryId('q-1')).toBe(true); // durable
      await expect(ro.appendQueryLog({ queryId: 'q-4', kind: 'af', querier: 'x', decision: 'answered', at: new Date() })).rejects.toMatchObject({ code: 'GENOFED_STORE_READ_ONLY' });
    } finally {
      await ro.close();
    }
  });

  it('refuses a missing store, and names the lock when another process holds the store', async () => {
    await expect(openStore(join(scratch, 'nothing-here'), { readOnly: true })).rejects.toMatchObject({ code: 'GENOFED_STORE_NOT_FOUND' });
    const holder = await openStore(dir);
    try {
      const other = execFileSync(process.execPath, ['--input-type=module', '-e', `
        import { openStore } from ${JSON.stringify(resolve(import.meta.dirname, '../../../dist/node/store/index.js'))};
        try { const s = await openStore(${JSON.stringify(dir)}, { readOnly: true }); await s.close(); console.log('opened'); }
        catch (e) { console.log(e.code); }`], { encoding: 'utf8' });
      expect(other.trim()).toBe('GENOFED_STORE_LOCKED');
    } finally {
      await holder.close();
    }
  });
});
