/**
 * A store written before the rs-id and contig-length tables existed (same
 * schema version 2): it opens read-only without them (no rs ids, its
 * reference name reported as a build), and a read-write open adds them, so
 * the next ingest records ids, lengths and the assembly check applies.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, openStore } from '../../../node/store/index.js';

const UW = resolve(import.meta.dirname, '../../fixtures/vcf/1kg_dev/uwgac_1KG_phase3_subset');
let scratch = '';
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'genofed-older-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('a store from before rs ids and contig lengths were stored', () => {
  it('opens read-only, then gains the tables at the next read-write open', async () => {
    const dir = join(scratch, 'store');
    await ingest(dir, { rawIds: true, vcfs: [join(UW, '1KG_phase3_subset_chr21.vcf.gz')] });
    // Make it look like a store of the previous code: no new tables, the reference name in meta.
    const db = await DuckDBInstance.create(join(dir, 'store.duckdb'));
    const c = await db.connect();
    await c.run('DROP TABLE variant_ids');
    await c.run('DROP TABLE contig_lengths');
    await c.run(`UPDATE meta SET value = 'hs37d5' WHERE key = 'assembly'`);
    c.closeSync();
    db.closeSync();
    const ro = await openStore(dir, { readOnly: true });
    try {
      expect((await ro.resolveRsIds(['rs28755477'])).size).toBe(0);
      expect((await ro.summary()).assembly).toBe('GRCh37');
      expect((await ro.alleleCounts({})).length).toBeGreaterThan(1000);
    } finally {
      await ro.close();
    }
    await ingest(dir, { rawIds: true, vcfs: [join(UW, '1KG_phase3_subset_chr22.vcf.gz')] });
    const s = await openStore(dir, { readOnly: true });
    try {
      const ids = await s.resolveRsIds(['rs28755477', 'rs200460359']);
      expect(ids.has('rs28755477')).toBe(false); // chr21: ingested before ids were stored (re-ingest to add them)
      expect(ids.get('rs200460359')).toEqual([{ chrom: '22', pos: 16425814, ref: expect.any(String), alt: expect.any(String) }]);
      expect((await s.summary()).assembly).toBe('GRCh37');
    } finally {
      await s.close();
    }
  });
});
