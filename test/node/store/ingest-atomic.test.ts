/**
 * Ingest is atomic: a failure injected midway, a malformed line near the end
 * of a real file, or a SIGKILL of the ingesting process leaves the store
 * exactly as it was, and the store stays usable.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, openStore } from '../../../node/store/index.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const UW = join(ROOT, 'test/fixtures/vcf/1kg_dev/uwgac_1KG_phase3_subset');
const CHR21 = join(UW, '1KG_phase3_subset_chr21.vcf.gz');
const CHR22 = join(UW, '1KG_phase3_subset_chr22.vcf.gz');
const GVCF = join(ROOT, 'test/fixtures/vcf/other_real/bio2zarr_NA12878.prod.chr20snippet.g.vcf.gz');
const PANEL = join(ROOT, 'test/fixtures/panel/integrated_call_samples_v3.20130502.ALL.panel');

let scratch = '';
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'genofed-atomic-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Everything a query can see, as one comparable value. */
async function snapshot(dir: string): Promise<unknown> {
  const store = await openStore(dir, { readOnly: true });
  try {
    const summary = await store.summary();
    const rows = await store.alleleCounts({});
    const eur = summary.phenotypes.length ? await store.cohortCount('super_pop=EUR') : null;
    return { summary, rows, eur };
  } finally {
    await store.close();
  }
}

describe('atomic ingest', () => {
  it('a failure injected midway through a second file leaves the store unchanged and usable', async () => {
    const dir = join(scratch, 'inject');
    await ingest(dir, { rawIds: true, vcfs: [CHR22], phenotypes: PANEL });
    const before = await snapshot(dir);
    await expect(ingest(dir, { rawIds: true, vcfs: [CHR21], phenotypes: PANEL, failAfterVariants: 600 })).rejects.toMatchObject({ code: 'GENOFED_STORE_IO' });
    expect(await snapshot(dir)).toEqual(before);
    // Usable: the same file now ingests, and its records are counted once.
    const report = await ingest(dir, { rawIds: true, vcfs: [CHR21] });
    expect(report.variants).toBeGreaterThan(1000);
    const after = (await snapshot(dir)) as { summary: { variants: number; samples: number } };
    expect(after.summary.samples).toBe(1126);
    expect(after.summary.variants).toBeGreaterThan((before as { summary: { variants: number } }).summary.variants);
  });

  it('a malformed genotype near the end of a real file is refused with file and line, the store untouched', async () => {
    const dir = join(scratch, 'malformed');
    await ingest(dir, { rawIds: true, vcfs: [CHR22] });
    const before = await snapshot(dir);
    const lines = gunzipSync(await readFile(CHR21)).toString('utf8').split('\n');
    const target = lines.length - 3; // a record near the end
    const fields = lines[target]!.split('\t');
    fields[20] = '0|7'; // allele 7 on a biallelic site
    lines[target] = fields.join('\t');
    const bad = join(scratch, 'bad_chr21.vcf');
    await writeFile(bad, lines.join('\n'));
    const err = await ingest(dir, { rawIds: true, vcfs: [bad] }).then(() => null, (e: unknown) => e as Error & { code: string });
    expect(err?.code).toMatch(/^GENOFED_VCF_GENOTYPE|^GENOFED_INPUT_FORMAT/);
    expect(err?.message).toContain(`bad_chr21.vcf:${target + 1}`);
    expect(err?.message).not.toContain(scratch); // basename only, never the path
    expect(err?.message).not.toMatch(/HG\d{5}|NA\d{5}|0\|7/); // no sample id, no genotype
    expect(await snapshot(dir)).toEqual(before);
  });

  it('SIGKILL of the ingesting process midway leaves the store as it was before the ingest', async () => {
    const cli = join(ROOT, 'bin/genofed.js');
    expect(existsSync(join(ROOT, 'dist/bin/genofed.js'))).toBe(true); // npm test builds dist first
    const dir = join(scratch, 'killed');
    await ingest(dir, { rawIds: true, vcfs: [CHR22] });
    const before = await snapshot(dir);
    const child = spawn(process.execPath, [cli, 'node', 'ingest', '--raw-ids', '--store', dir, '--vcf', GVCF], { stdio: 'ignore' });
    // The gVCF (302k records) takes seconds; kill once the ingest has begun writing.
    await new Promise((r) => setTimeout(r, 1500));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(await snapshot(dir)).toEqual(before);
    // And the store is usable: it accepts another file afterwards.
    const report = await ingest(dir, { rawIds: true, vcfs: [CHR21] });
    expect(report.variants).toBeGreaterThan(1000);
  });
});
