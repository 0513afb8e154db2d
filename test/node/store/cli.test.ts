/**
 * The commands as an operator runs them: `genofed node ingest` and
 * `genofed node query af|cohort` (TSV and JSON), exit codes and messages.
 * Runs the built CLI (npm test builds dist first).
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const VCF = join(ROOT, 'test/fixtures/vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz');
const PANEL = join(ROOT, 'test/fixtures/panel/integrated_call_samples_v3.20130502.ALL.panel');

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/genofed.js'), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let scratch = '';
let store = '';
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'genofed-cli-'));
  store = join(scratch, 'store');
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('genofed node ingest / query', () => {
  it('ingests a VCF with the 1000G panel and reports counts, quietly when not a terminal', () => {
    const r = cli('node', 'ingest', '--raw-ids', '--store', store, '--vcf', VCF, '--phenotypes', PANEL);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('ingested 1 file(s), 1042 records; the store now has 2504 samples');
    expect(r.out).toContain('samples without phenotypes: 0');
  });

  it('prints the TSV header chrom pos ref alt ac an af nhomalt, with the stratum first under --by', () => {
    const r = cli('node', 'query', 'af', '--store', store, '--region', 'chr1:10177-10235');
    expect(r.code).toBe(0);
    const rows = r.out.trim().split('\n');
    expect(rows[0]).toBe('chrom\tpos\tref\talt\tac\tan\taf\tnhomalt');
    expect(rows[1]).toMatch(/^1\t10177\tA\tAC\t\d+\t5008\t0\.\d+\t\d+$/);
    const by = cli('node', 'query', 'af', '--store', store, '--region', '1:10177', '--by', 'super_pop', '--cohort', 'gender=female');
    expect(by.out.split('\n')[0]).toBe('stratum\tchrom\tpos\tref\talt\tac\tan\taf\tnhomalt');
    expect(by.out.trim().split('\n').slice(1).map((l) => l.split('\t')[0])).toEqual(['AFR', 'AMR', 'EAS', 'EUR', 'SAS']);
  });

  it('answers a variants file in JSON with genotype counts', async () => {
    const list = join(scratch, 'variants.txt');
    await writeFile(list, '1-10177-A-AC\n1 10235 T TA\n');
    const r = cli('node', 'query', 'af', '--store', store, '--variants', list, '--format', 'json');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as { pos: number; homRef: number; het: number; homAlt: number; missing: number; an: number; af: number }[];
    expect(rows.map((x) => x.pos)).toEqual([10177, 10235]);
    for (const x of rows) expect(x.homRef + x.het + x.homAlt + x.missing).toBe(2504);
  });

  it('counts a cohort', () => {
    const r = cli('node', 'query', 'cohort', '--store', store, '--cohort', 'super_pop=EUR', '--format', 'json');
    expect(JSON.parse(r.out)).toEqual({ samples: 503 });
  });

  it('exits non-zero with a coded message on a bad cohort, a bad region and a re-ingest', () => {
    const bad = cli('node', 'query', 'cohort', '--store', store, '--cohort', 'ancestry=EUR');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^genofed: GENOFED_BAD_COHORT: cohort expression column 1: unknown column 'ancestry'/);
    const region = cli('node', 'query', 'af', '--store', store, '--region', '1:9-2');
    expect(region.err).toMatch(/GENOFED_BAD_REGION/);
    const again = cli('node', 'ingest', '--raw-ids', '--store', store, '--vcf', VCF);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/GENOFED_STORE_ALREADY_INGESTED: beacon2_test_1000G_chr1_start\.vcf\.gz:/);
    expect(again.err).not.toContain(scratch);
  });

  it('refuses raw sample ids under the site key, naming the file and what to do; without --key-file or --raw-ids nothing is ingested; both together are a usage error', () => {
    expect(cli('key', 'generate', '--out', join(scratch, 'raw.key')).code).toBe(0);
    const raw = cli('node', 'ingest', '--store', join(scratch, 'raw'), '--vcf', VCF, '--key-file', join(scratch, 'raw.key'));
    expect(raw.code).toBe(1);
    expect(raw.err).toBe(`genofed: GENOFED_NOT_PSEUDONYMIZED: beacon2_test_1000G_chr1_start.vcf.gz: 2504 of 2504 sample names are not genofed pseudonyms; run genofed pseudonymize vcf on it with the site key first, or pass --raw-ids to ingest raw sample ids deliberately (${VCF})\n`);
    const neither = cli('node', 'ingest', '--store', join(scratch, 'neither'), '--vcf', VCF);
    expect(neither.code).not.toBe(0);
    expect(neither.err).toMatch(/GENOFED_USAGE: --key-file site\.key is required to check that the sample names are this site's pseudonyms .*--raw-ids accepts raw ids deliberately/);
    expect(existsSync(join(scratch, 'neither'))).toBe(false);
    const both = cli('node', 'ingest', '--store', join(scratch, 'both'), '--vcf', VCF, '--raw-ids', '--key-file', join(scratch, 'none.key'));
    expect(both.err).toMatch(/GENOFED_USAGE: give --key-file or --raw-ids, not both/);
  });

  it('ingests a VCF pseudonymized with the site key: verified with --key-file, refused without it and under another key', () => {
    for (const k of ['site.key', 'other.key']) expect(cli('key', 'generate', '--out', join(scratch, k)).code).toBe(0);
    const pz = join(scratch, 'pz.vcf.gz');
    expect(cli('pseudonymize', 'vcf', '--in', VCF, '--out', pz, '--key-file', join(scratch, 'site.key')).code).toBe(0);
    const withKey = cli('node', 'ingest', '--store', join(scratch, 'pz1'), '--vcf', pz, '--key-file', join(scratch, 'site.key'));
    expect(withKey.err).toBe('');
    expect(withKey.code).toBe(0);
    const noKey = cli('node', 'ingest', '--store', join(scratch, 'pz2'), '--vcf', pz);
    expect(noKey.code).not.toBe(0);
    expect(noKey.err).toMatch(/GENOFED_USAGE: --key-file site\.key is required/);
    const otherKey = cli('node', 'ingest', '--store', join(scratch, 'pz3'), '--vcf', pz, '--key-file', join(scratch, 'other.key'));
    expect(otherKey.code).toBe(1);
    expect(otherKey.err).toMatch(/GENOFED_NOT_PSEUDONYMIZED: pz\.vcf\.gz: pseudonymized under site key gk-[0-9a-f]{16}, not this site's key gk-[0-9a-f]{16}/);
    // The message names the file only; the path as typed follows it on this terminal (proto/operator-path.ts).
    expect(otherKey.err.slice(0, otherKey.err.lastIndexOf(' ('))).not.toContain(scratch);
    expect(otherKey.err.endsWith(` (${pz})\n`)).toBe(true);
  });

  it('refuses a malformed VCF with file and line, leaving no store behind', () => {
    const empty = join(scratch, 'fresh');
    const r = cli('node', 'ingest', '--raw-ids', '--store', empty, '--vcf', join(ROOT, 'test/fixtures/malformed/VariantAnnotation_no_GENO_row.vcf'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/GENOFED_VCF_\w+: VariantAnnotation_no_GENO_row\.vcf:\d+: /);
    const q = cli('node', 'query', 'cohort', '--store', empty, '--cohort', 'x=1');
    expect(q.err).toMatch(/GENOFED_BAD_COHORT|GENOFED_STORE/);
  });
});
