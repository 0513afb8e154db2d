/**
 * The columnar record cache (node/store/record-cache.ts) replays exactly
 * what the database scan returns: on a store of three real files, the
 * whole-store genotype scan (the first one, which fills the cache, and a
 * replay) and region scans (several contigs, `chr`
 * spelling, bounds on records) give the same records in the same order,
 * field for field and byte for byte, from the cache and from DuckDB.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, openStore } from '../../../node/store/index.js';
import type { Store } from '../../../node/store/store.js';
import { regionWhere, type QueryContext } from '../../../node/store/record-scan.js';
import { parseRegions } from '../../../proto/region.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const UW = join(ROOT, 'test/fixtures/vcf/1kg_dev/uwgac_1KG_phase3_subset');
let scratch = '';
let store: Store;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'genofed-record-cache-'));
  await ingest(join(scratch, 's'), {
    rawIds: true,
    vcfs: [join(UW, '1KG_phase3_subset_chr21.vcf.gz'), join(UW, '1KG_phase3_subset_chr22.vcf.gz'), join(ROOT, 'test/fixtures/vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz')],
  });
  store = await openStore(join(scratch, 's'), { readOnly: true });
}, 120_000);
afterAll(async () => {
  await store?.close();
  await rm(scratch, { recursive: true, force: true });
});

type Seen = [number, number, string, string, number, number, number, number, string, string];

function run<T>(fn: (ctx: QueryContext) => Promise<T>): Promise<T> {
  return (store as unknown as { run: (f: (ctx: QueryContext) => Promise<T>) => Promise<T> }).run(fn);
}

function collect(into: Seen[]): Parameters<QueryContext['records']['scan']>[3] {
  return (contig, pos, ref, alts, rec) => {
    into.push([contig, pos, ref, alts.join(','), rec.fileId, rec.nAlts, rec.listed, rec.format, Buffer.from(rec.samples).toString('hex'), Buffer.from(rec.gt).toString('hex')]);
  };
}

describe('record cache', () => {
  it('replays the whole store and regions exactly as the database scan returns them', async () => {
    await run(async (ctx) => {
      const cached: Seen[] = [];
      const direct: Seen[] = [];
      // The first whole-store scan fills the cache and hands each record on as it goes; the second replays the cache.
      await ctx.records.scan('TRUE', [], 'genotypes', collect(cached));
      const replayed: Seen[] = [];
      await ctx.records.scan('TRUE', [], 'genotypes', collect(replayed));
      // Any condition but 'TRUE' reads DuckDB.
      await ctx.records.scan('TRUE AND TRUE', [], 'genotypes', collect(direct));
      expect(cached.length).toBeGreaterThan(2000);
      expect(cached).toEqual(direct);
      expect(replayed).toEqual(direct);
      const edge = cached[700]!;
      const next = cached.find((r) => r[0] === edge[0] && r[1] > edge[1])!;
      const chrom = ctx.catalog.contigs[edge[0]]!.name;
      for (const text of ['21', 'chr22', '22:16050000-17000000,1', `${chrom}:${edge[1]}-${next[1]}`, '7']) {
        for (const region of parseRegions(text)) {
          const a: Seen[] = [];
          const b: Seen[] = [];
          await ctx.records.scanRegion(region, 'genotypes', collect(a));
          const { where, params } = regionWhere(ctx.catalog, region);
          await ctx.records.scan(where, params, 'genotypes', collect(b));
          expect(a, text).toEqual(b);
        }
      }
    });
  });
});
