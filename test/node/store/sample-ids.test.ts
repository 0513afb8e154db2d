/**
 * Ingest takes only this site's pseudonyms (README, "How ingest knows"):
 * a 1000 Genomes VCF pseudonymized with the site key goes in; raw ids,
 * another site's key, names edited after pseudonymization, or a missing
 * `##genofed_pseudonyms` line are refused with GENOFED_NOT_PSEUDONYMIZED
 * (file named, no id), and the store is unchanged; `rawIds` accepts raw
 * ids deliberately.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudonym } from '../../../node/pseudonymize/pseudonym.js';
import { sampleListMac } from '../../../node/pseudonymize/sample-list-mac.js';
import { generateSiteKey, writeSiteKeyFile } from '../../../node/pseudonymize/site-key.js';
import { pseudonymizeTableFile } from '../../../node/pseudonymize/table/pseudonymize-table.js';
import { pseudonymizeVcfFile } from '../../../node/pseudonymize/vcf/pseudonymize-vcf.js';
import { ingest, openStore, type IngestOptions } from '../../../node/store/index.js';

const FIX = resolve(import.meta.dirname, '../../fixtures');
const BEACON = join(FIX, 'vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz');
const CHR22 = join(FIX, 'vcf/1kg_dev/uwgac_1KG_phase3_subset/1KG_phase3_subset_chr22.vcf.gz');
const PANEL = join(FIX, 'panel/integrated_call_samples_v3.20130502.ALL.panel');
const SITES_ONLY = join(FIX, 'vcf/small_tricky/pysam_gnomad.vcf');

const key = generateSiteKey();
const other = generateSiteKey();
let scratch = '';
let pz = '';
let pzText = '';
let panel = '';
let keyFile = '';
let n = 0;
const fresh = (): string => join(scratch, `store-${++n}`);

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'genofed-ids-'));
  pz = join(scratch, 'beacon.pz.vcf.gz');
  await pseudonymizeVcfFile({ input: BEACON, output: pz, key });
  pzText = gunzipSync(await readFile(pz)).toString('utf8');
  panel = join(scratch, 'panel.pz.tsv');
  await pseudonymizeTableFile({ input: PANEL, output: panel, key });
  keyFile = join(scratch, 'site.key');
  await writeSiteKeyFile(keyFile, key);
}, 120_000);
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function snapshot(dir: string): Promise<unknown> {
  const store = await openStore(dir, { readOnly: true });
  try {
    return { summary: await store.summary(), rows: await store.alleleCounts({}) };
  } finally {
    await store.close();
  }
}

async function refusal(dir: string, options: IngestOptions): Promise<Error & { code: string }> {
  return ingest(dir, options).then(() => { throw new Error('ingest was not refused'); }, (e: unknown) => e as Error & { code: string });
}

/** The pseudonymized text with its #CHROM sample names passed through `edit`, as a plain VCF. */
async function withSamples(name: string, edit: (samples: string[]) => string[]): Promise<string> {
  const lines = pzText.split('\n');
  const i = lines.findIndex((l) => l.startsWith('#CHROM'));
  const cols = lines[i]!.split('\t');
  lines[i] = [...cols.slice(0, 9), ...edit(cols.slice(9))].join('\t');
  const f = join(scratch, name);
  await writeFile(f, lines.join('\n'));
  return f;
}

describe('pseudonymized input', () => {
  it('a 1000 Genomes VCF and panel pseudonymized with the site key ingest, with the key or its key file', async () => {
    const dir = fresh();
    const report = await ingest(dir, { siteKey: key, vcfs: [pz], phenotypes: panel });
    expect(report).toMatchObject({ files: 1, samples: 2504, phenotypeRows: 2504, samplesWithoutPhenotypes: 0, phenotypeRowsWithoutGenotypes: 0 });
    const store = await openStore(dir, { readOnly: true });
    try {
      expect(await store.cohortCount('super_pop=EUR')).toBe(503);
    } finally {
      await store.close();
    }
    expect((await ingest(fresh(), { keyFile, vcfs: [pz] })).samples).toBe(2504);
    expect((await ingest(fresh(), { unverifiedPseudonyms: true, vcfs: [pz] })).samples).toBe(2504);
  });

  it('the header line is the MAC over the pseudonymized sample list under the site key', () => {
    const samples = pzText.split('\n').find((l) => l.startsWith('#CHROM'))!.split('\t').slice(9);
    expect(samples[0]).toBe(pseudonym(key, 'sample', 'HG00096'));
    expect(pzText).toContain(`\n##genofed_pseudonyms=${key.keyId}:${sampleListMac(key, samples)}\n#CHROM\t`);
    expect(sampleListMac(key, samples)).not.toBe(sampleListMac(other, samples));
    expect(sampleListMac(key, samples)).not.toBe(sampleListMac({ ...key, version: 2 }, samples));
  });

  it('a VCF without samples needs no line', async () => {
    expect((await ingest(fresh(), { siteKey: key, vcfs: [SITES_ONLY] })).files).toBe(1);
  });
});

describe('refused sample ids (GENOFED_NOT_PSEUDONYMIZED), store unchanged', () => {
  let dir = '';
  let before: unknown;
  beforeAll(async () => {
    dir = fresh();
    await ingest(dir, { siteKey: key, vcfs: [pz], phenotypes: panel });
    before = await snapshot(dir);
  });

  it('raw 1000 Genomes ids, with the key and without it, naming the file and what to do, never an id', async () => {
    for (const mode of [{ siteKey: key }, { unverifiedPseudonyms: true as const }]) {
      const err = await refusal(dir, { ...mode, vcfs: [CHR22] });
      expect(err.code).toBe('GENOFED_NOT_PSEUDONYMIZED');
      expect(err.message).toBe('1KG_phase3_subset_chr22.vcf.gz: 1126 of 1126 sample names are not genofed pseudonyms; run genofed pseudonymize vcf on it with the site key first, or pass --raw-ids to ingest raw sample ids deliberately');
    }
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a file pseudonymized under another site key, naming both key ids', async () => {
    const foreign = join(scratch, 'chr22.other.vcf.gz');
    await pseudonymizeVcfFile({ input: CHR22, output: foreign, key: other });
    const err = await refusal(dir, { siteKey: key, vcfs: [foreign] });
    expect(err).toMatchObject({ code: 'GENOFED_NOT_PSEUDONYMIZED', message: expect.stringContaining(`pseudonymized under site key ${other.keyId}, not this site's key ${key.keyId}`) });
    expect(await snapshot(dir)).toEqual(before);
  });

  it('sample names re-ordered or replaced after pseudonymization fail the MAC', async () => {
    const swapped = await withSamples('swapped.vcf', (s) => [s[1]!, s[0]!, ...s.slice(2)]);
    const replaced = await withSamples('replaced.vcf', (s) => [pseudonym(key, 'sample', 'someone-else'), ...s.slice(1)]);
    for (const f of [swapped, replaced]) {
      const err = await refusal(fresh(), { siteKey: key, vcfs: [f] });
      expect(err).toMatchObject({ code: 'GENOFED_NOT_PSEUDONYMIZED', message: expect.stringMatching(/: the ##genofed_pseudonyms MAC does not verify over the sample names/) });
      // Without the key the names still look like pseudonyms and the line is there: accepted, as documented.
      expect((await ingest(fresh(), { unverifiedPseudonyms: true, vcfs: [f] })).samples).toBe(2504);
    }
  });

  it('pseudonym-like names without the line, or with two lines', async () => {
    const noLine = join(scratch, 'noline.vcf');
    await writeFile(noLine, pzText.replace(/^##genofed_pseudonyms=.*\n/m, ''));
    const twoLines = join(scratch, 'twolines.vcf');
    await writeFile(twoLines, pzText.replace(/^(##genofed_pseudonyms=.*\n)/m, '$1$1'));
    expect(await refusal(fresh(), { unverifiedPseudonyms: true, vcfs: [noLine] })).toMatchObject({ code: 'GENOFED_NOT_PSEUDONYMIZED', message: 'noline.vcf: no ##genofed_pseudonyms line: the file was not written by genofed pseudonymize vcf; run genofed pseudonymize vcf on it with the site key first, or pass --raw-ids to ingest raw sample ids deliberately' });
    expect(await refusal(fresh(), { siteKey: key, vcfs: [twoLines] })).toMatchObject({ code: 'GENOFED_NOT_PSEUDONYMIZED', message: expect.stringContaining('2 ##genofed_pseudonyms lines') });
  });

  it('a phenotype table with raw ids, naming file and line', async () => {
    const err = await refusal(dir, { siteKey: key, phenotypes: PANEL });
    expect(err).toMatchObject({ code: 'GENOFED_NOT_PSEUDONYMIZED', message: expect.stringMatching(/^integrated_call_samples_v3\.20130502\.ALL\.panel:2: 2504 of 2504 sample ids are not genofed pseudonyms; run genofed pseudonymize table/) });
    expect(err.message).not.toMatch(/HG0|NA1/);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('raw ids go in only when accepted deliberately', async () => {
    expect((await ingest(fresh(), { rawIds: true, vcfs: [CHR22] })).samples).toBe(1126);
  });
});

describe('the check is never a silent default', () => {
  it('ingest without a mode, or with two, is a usage error', async () => {
    await expect(ingest(fresh(), { vcfs: [pz] } as unknown as IngestOptions)).rejects.toMatchObject({ code: 'GENOFED_USAGE', message: expect.stringContaining('--raw-ids') });
    await expect(ingest(fresh(), { vcfs: [pz], siteKey: key, rawIds: true } as unknown as IngestOptions)).rejects.toMatchObject({ code: 'GENOFED_USAGE' });
  });
});
