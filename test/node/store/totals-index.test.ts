/**
 * The all-sample totals index (node/store/totals-index.ts) answers exactly
 * as the record scan it replaces: on a store of four real files (three
 * contigs, multi-allelic records), the rows of the whole store, of region
 * lists (merged, across contigs, `chr`-spelled), and of variant lists
 * (repeats, another contig spelling, keys the store lacks) equal the scan
 * path's rows field for field and in order, and so do the keys listed for
 * a region's union (phase 1). A store over the size cap is
 * not indexed and keeps scanning.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, openStore, type AlleleCountQuery } from '../../../node/store/index.js';
import type { Store } from '../../../node/store/store.js';
import { alleleCounts, type AlleleCountRow } from '../../../node/store/allele-counts.js';
import type { QueryContext } from '../../../node/store/record-scan.js';
import { TotalsIndex, TotalsIndexBuilder } from '../../../node/store/totals-index.js';
import { parseRegion, parseRegions, type Region } from '../../../proto/region.js';
import { variantKeys } from '../../../node/store/variant-keys.js';
import { PackedKeyList } from '../../../proto/convert/packed-key-list.js';
import type { VariantKey } from '../../../proto/variant.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const UW = join(ROOT, 'test/fixtures/vcf/1kg_dev/uwgac_1KG_phase3_subset');
const FILES = [
  join(UW, '1KG_phase3_subset_chr21.vcf.gz'),
  join(UW, '1KG_phase3_subset_chr22.vcf.gz'),
  join(ROOT, 'test/fixtures/vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz'),
];
let scratch = '';
let store: Store;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'genofed-totals-index-'));
  await ingest(join(scratch, 's'), { rawIds: true, vcfs: FILES });
  store = await openStore(join(scratch, 's'), { readOnly: true });
}, 120_000);
afterAll(async () => {
  await store?.close();
  await rm(scratch, { recursive: true, force: true });
});

/** The scan path, bypassing the index (the test reaches the store's private query runner). */
function scanned(q: AlleleCountQuery): Promise<unknown> {
  return (store as unknown as { run: (fn: (ctx: QueryContext) => Promise<unknown>) => Promise<unknown> }).run((ctx) => alleleCounts(ctx, q, { scanOnly: true }));
}

function scannedKeys(regions: readonly Region[]): Promise<unknown> {
  return (store as unknown as { run: (fn: (ctx: QueryContext) => Promise<unknown>) => Promise<unknown> }).run((ctx) => variantKeys(ctx, regions, true));
}

describe('totals index', () => {
  it('equals the scan path on the whole store, region lists and variant lists', async () => {
    const all = await store.alleleCounts({});
    expect(all.length).toBeGreaterThan(2048); // the builder (1,024 rows at first) grows its arrays twice
    expect(all).toEqual(await scanned({}));
    for (const text of ['21', 'chr22', '22:16050000-17000000,21:9400000-15000000,1', '22:16050075-16050075', '22:1-10', '7']) {
      const regions = parseRegions(text);
      expect(await store.alleleCounts({ regions }), text).toEqual(await scanned({ regions }));
      // The streamed form (a sink per row, the all-sample count of a phase-1 union): the same rows and counters.
      const streamed: unknown[] = [];
      await store.alleleCountsEach({ regions }, (chrom, pos, ref, alt, c) => {
        streamed.push({ chrom, pos, ref, alt, ac: c[0], an: c[1], nhomalt: c[2], homRef: c[3], het: c[4], homAlt: c[5], missing: c[6] });
      });
      expect(streamed, text).toEqual(((await scanned({ regions })) as AlleleCountRow[]).map((r) => ({ chrom: r.chrom, pos: r.pos, ref: r.ref, alt: r.alt, ac: r.ac, an: r.an, nhomalt: r.nhomalt, homRef: r.homRef, het: r.het, homAlt: r.homAlt, missing: r.missing })));
      expect(await store.variantKeys(regions), text).toEqual(await scannedKeys(regions));
      // The phase-1 listing's packed form: the same keys, the same bytes as packing the scan's keys.
      const packed = await store.variantKeyList(regions);
      expect([...packed], text).toEqual(await scannedKeys(regions));
      expect(packed.digestHex(), text).toBe(PackedKeyList.from((await scannedKeys(regions)) as VariantKey[]).digestHex());
    }
    // Bounds that fall on records: both ends are inclusive.
    const edge = all[500]!;
    const after = all.find((r) => r.chrom === edge.chrom && r.pos > edge.pos)!;
    const bounded = parseRegions(`${edge.chrom}:${edge.pos}-${after.pos}`);
    const both = await store.alleleCounts({ regions: bounded });
    expect(both[0]!.pos).toBe(edge.pos);
    expect(both.at(-1)!.pos).toBe(after.pos);
    expect(both).toEqual(await scanned({ regions: bounded }));
    const region = parseRegion('22:17000000-18000000');
    expect(await store.alleleCounts({ region })).toEqual(await scanned({ region }));
    const picked = all.filter((_, i) => i % 97 === 0).map((r) => ({ chrom: r.chrom, pos: r.pos, ref: r.ref, alt: r.alt }));
    const variants = [
      ...picked,
      picked[3]!,
      { ...picked[5]!, chrom: `chr${picked[5]!.chrom}` },
      { chrom: '22', pos: 1, ref: 'A', alt: 'C' },
      { ...picked[7]!, alt: picked[7]!.alt + 'A' },
    ];
    const viaIndex = await store.alleleCounts({ variants });
    expect(viaIndex).toEqual(await scanned({ variants }));
    expect(viaIndex.filter((r) => r.present === false).length).toBe(2);
  });

  it('is not built over the size cap', async () => {
    const rows = (await store.alleleCounts({})).length;
    const build = (max: number): Promise<unknown> => (store as unknown as { run: (fn: (ctx: QueryContext) => Promise<unknown>) => Promise<unknown> }).run(async (ctx) => {
      const b = new TotalsIndexBuilder(ctx.catalog, max);
      await alleleCounts(ctx, {}, { scanOnly: true, sink: b.sink });
      return b.finish();
    });
    expect(await build(rows - 1)).toBeNull();
    expect(await build(rows)).toBeInstanceOf(TotalsIndex);
  });
});
