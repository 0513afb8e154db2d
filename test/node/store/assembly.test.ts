/**
 * One reference assembly per store: recorded from the first file that says
 * (by name in ##reference / ##contig assembly=, else by contig lengths),
 * reported by summary(), and every later file checked against it and
 * against the contig lengths recorded: a GRCh38 file into a GRCh37 store is
 * refused naming both, by name or by chr1's length alone; a file with no
 * assembly information is accepted when its contig lengths agree.
 */
import { execFileSync } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, openStore } from '../../../node/store/index.js';
import { buildOfLength, buildOfName } from '../../../node/store/assembly.js';
import { has } from './bcftools.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const FIX = join(ROOT, 'test/fixtures/vcf');
const CHR21 = join(FIX, '1kg_dev/uwgac_1KG_phase3_subset/1KG_phase3_subset_chr21.vcf.gz');
const CHR22 = join(FIX, '1kg_dev/uwgac_1KG_phase3_subset/1KG_phase3_subset_chr22.vcf.gz');
const NYGC38 = join(FIX, 'other_real/bio2zarr_NYGC30x_chr22_100samples.vcf.gz');
/** GRCh38 by its chr1 length only: no ##reference, no assembly= (chr1 248956422). */
const LENGTHS38 = join(FIX, 'small_tricky/cyvcf2_issue_198.vcf');
/** No assembly information at all: `##contig=<ID=20>`. */
const BARE = join(FIX, '1kg_dev/shapeit4_reference_chr20_300EUR.vcf.gz');

let scratch = '';
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'genofed-assembly-'));
});
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

async function assemblyOf(dir: string): Promise<string | null> {
  return ((await snapshot(dir)) as { summary: { assembly: string | null } }).summary.assembly;
}

function refusal(dir: string, vcfs: string[]): Promise<Error & { code: string }> {
  return ingest(dir, { rawIds: true, vcfs }).then(() => { throw new Error('ingest was not refused'); }, (e: unknown) => e as Error & { code: string });
}

/** A tiny VCF with the given header lines and one record on `contig`. */
async function tinyVcf(name: string, headerLines: string[], contig: string): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, ['##fileformat=VCFv4.2', ...headerLines, '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', 'S1'].join('\t'),
    [contig, '100', '.', 'A', 'G', '.', '.', '.', 'GT', '0/1'].join('\t'), ''].join('\n'));
  return path;
}

describe('assembly names and lengths', () => {
  it('maps reference names and chr1 lengths to builds', () => {
    expect(buildOfName('ftp://ftp.1000genomes.ebi.ac.uk/vol1/ftp/technical/reference/phase2_reference_assembly_sequence/hs37d5.fa.gz')).toBe('GRCh37');
    expect(buildOfName('file:///ref/GRCh38_full_analysis_set_plus_decoy_hla.fa')).toBe('GRCh38');
    expect(buildOfName('Homo_sapiens_assembly19.fasta')).toBe('GRCh37');
    expect(buildOfName('1000GenomesPilot-NCBI36')).toBe('NCBI36');
    expect(buildOfName('ref.fa')).toBeNull();
    expect(buildOfLength('1', 249_250_621)).toBe('GRCh37');
    expect(buildOfLength('1', 248_956_422)).toBe('GRCh38');
    expect(buildOfLength('1', 1000)).toBeNull();
  });
});

describe('one assembly per store', () => {
  it('records the build of the first file (1000 Genomes hs37d5: GRCh37) and reports it in summary()', async () => {
    const dir = join(scratch, 'grch37');
    await ingest(dir, { rawIds: true, vcfs: [CHR21] });
    expect(await assemblyOf(dir)).toBe('GRCh37');
  });

  it('refuses a GRCh38 file into a GRCh37 store, naming both, the store unchanged', async () => {
    const dir = join(scratch, 'mixed-name');
    await ingest(dir, { rawIds: true, vcfs: [CHR21] });
    const before = await snapshot(dir);
    const err = await refusal(dir, [NYGC38]);
    expect(err).toMatchObject({ code: 'GENOFED_STORE_ASSEMBLY', message: 'bio2zarr_NYGC30x_chr22_100samples.vcf.gz: the file is GRCh38 (##reference) but the store holds GRCh37; a store holds one assembly (lift the file over, or ingest it into another store)' });
    expect(await snapshot(dir)).toEqual(before);
  });

  it('refuses a file that is GRCh38 by its chr1 length alone', async () => {
    const dir = join(scratch, 'mixed-length');
    await ingest(dir, { rawIds: true, vcfs: [CHR21] });
    expect(await refusal(dir, [LENGTHS38])).toMatchObject({ code: 'GENOFED_STORE_ASSEMBLY', message: expect.stringContaining('the file is GRCh38 (contig lengths (chr1 248956422 bp)) but the store holds GRCh37') });
  });

  it.skipIf(!has('bcftools'))('accepts a file with no assembly name whose contig lengths agree, and one with no assembly information at all', async () => {
    const dir = join(scratch, 'agree');
    await ingest(dir, { rawIds: true, vcfs: [CHR21] });
    const stripped = join(scratch, 'chr22-no-names.vcf.gz');
    execFileSync('bash', ['-c', `set -o pipefail; bcftools view --no-version '${CHR22}' | sed -e '/^##reference/d' -e 's/assembly=b37,//' | bgzip > '${stripped}'`]);
    expect(execFileSync('bash', ['-c', `bcftools view -h '${stripped}' | grep -c -e '^##reference' -e 'assembly=' || true`], { encoding: 'utf8' }).trim()).toBe('0');
    expect((await ingest(dir, { rawIds: true, vcfs: [stripped] })).files).toBe(1);
    expect((await ingest(dir, { rawIds: true, vcfs: [BARE] })).files).toBe(1);
    expect(await assemblyOf(dir)).toBe('GRCh37');
  });

  it('refuses a contig length other than the recorded one even without assembly names (another assembly?)', async () => {
    const dir = join(scratch, 'length-only');
    await ingest(dir, { rawIds: true, vcfs: [CHR21] });
    const odd = await tinyVcf('odd.vcf', ['##contig=<ID=chr21,length=1000>'], 'chr21');
    expect(await refusal(dir, [odd])).toMatchObject({ code: 'GENOFED_STORE_ASSEMBLY', message: 'odd.vcf: contig chr21 is 1000 bp in the file but 48129895 bp in the store (another assembly?); a store holds one assembly' });
  });

  it('refuses a header that names one build but carries another build\'s lengths', async () => {
    const bad = await tinyVcf('contradiction.vcf', ['##reference=GRCh38.fa', '##contig=<ID=1,length=249250621>'], '1');
    expect(await refusal(join(scratch, 'fresh-contradiction'), [bad])).toMatchObject({ code: 'GENOFED_STORE_ASSEMBLY', message: "contradiction.vcf: the header names GRCh38 (##reference) but its contig lengths (1 249250621 bp) are GRCh37's" });
  });

  it('a store without a build takes the first one named, and one ingest of two builds is refused as a whole', async () => {
    const dir = join(scratch, 'late');
    await ingest(dir, { rawIds: true, vcfs: [BARE] });
    expect(await assemblyOf(dir)).toBeNull();
    const before = await snapshot(dir);
    const grch38 = await tinyVcf('grch38.vcf', ['##reference=file:///ref/GRCh38.fa', '##contig=<ID=chr1,length=248956422>'], 'chr1');
    expect(await refusal(dir, [CHR21, grch38])).toMatchObject({ code: 'GENOFED_STORE_ASSEMBLY', message: 'grch38.vcf: the file is GRCh38 (##reference) but the store holds GRCh37; a store holds one assembly (lift the file over, or ingest it into another store)' });
    expect(await snapshot(dir)).toEqual(before);
    await ingest(dir, { rawIds: true, vcfs: [grch38] });
    expect(await assemblyOf(dir)).toBe('GRCh38');
  });

  it('genofed node ingest prints the refusal with its code and the file name, and the path as typed only after the message', async () => {
    const dir = join(scratch, 'cli');
    await ingest(dir, { rawIds: true, vcfs: [CHR21] });
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/genofed.js'), 'node', 'ingest', '--raw-ids', '--store', dir, '--vcf', NYGC38], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^genofed: GENOFED_STORE_ASSEMBLY: bio2zarr_NYGC30x_chr22_100samples\.vcf\.gz: the file is GRCh38 \(##reference\) but the store holds GRCh37/);
    // The message names the file only; the CLI adds the path as typed (proto/operator-path.ts: never logged or sent).
    expect(r.stderr.slice(0, r.stderr.lastIndexOf(' ('))).not.toContain(FIX);
    expect(r.stderr.endsWith(` (${NYGC38})\n`)).toBe(true);
  });
});
