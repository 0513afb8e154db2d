/**
 * Region lists and regions files against bcftools on the 1000 Genomes
 * chr21 + chr22 subset (one file, 2,240 records, multi-allelic sites): the
 * store's rows for `--region LIST` / `--regions-file FILE` are the records
 * `bcftools view --regions-overlap pos -r LIST` / `-R FILE` prints, in the
 * same order (contigs as first named, positions ascending, each record
 * once), with the AC/AN/nhomalt of `+fill-tags`, also on a cohort. Plain
 * `bcftools -r` also takes a deletion that starts before the region and
 * spans into it (record overlap); the store selects by POS (documented
 * difference, shown last).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, openStore, type AlleleCountRow, type Store } from '../../../node/store/index.js';
import { parseRegions, parseRegionsFile } from '../../../proto/region.js';
import { bcftoolsCounts, bcftoolsMinimalVcf, has, panelIds, type RefCounts } from './bcftools.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const UW = join(ROOT, 'test/fixtures/vcf/1kg_dev/uwgac_1KG_phase3_subset');
const PANEL = join(ROOT, 'test/fixtures/panel/integrated_call_samples_v3.20130502.ALL.panel');
const BEACON = join(ROOT, 'test/fixtures/vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz');
const HAS_BCFTOOLS = has('bcftools');
let compared = 0;

let scratch = '';
let vcf = '';
let minimal = '';
let storeDir = '';
let store: Store;

const sh = (cmd: string): string => execFileSync('bash', ['-c', `set -o pipefail; ${cmd}`], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });

beforeAll(async () => {
  if (!HAS_BCFTOOLS) return;
  scratch = await mkdtemp(join(tmpdir(), 'genofed-regions-'));
  vcf = join(scratch, 'chr21_22.vcf.gz');
  sh(`bcftools concat --no-version -Oz -o '${vcf}' '${join(UW, '1KG_phase3_subset_chr21.vcf.gz')}' '${join(UW, '1KG_phase3_subset_chr22.vcf.gz')}' && bcftools index -t '${vcf}'`);
  const plain = join(scratch, 'minimal.vcf');
  bcftoolsMinimalVcf(vcf, plain);
  minimal = `${plain}.gz`;
  sh(`bcftools view --no-version -Oz -o '${minimal}' '${plain}' && bcftools index -t '${minimal}'`);
  storeDir = join(scratch, 'store');
  await ingest(storeDir, { rawIds: true, vcfs: [vcf], phenotypes: PANEL });
  store = await openStore(storeDir, { readOnly: true });
}, 120_000);
afterAll(async () => {
  await store?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** bcftools' records for region arguments (`-r LIST` or `-R FILE`), selected by POS, as per-ALT keys in output order, and their counts. */
function bcftoolsRegion(regionArgs: string, samplesFile?: string): { keys: string[]; counts: Map<string, RefCounts> } {
  const out = join(scratch, `sel-${compared}-${Math.random().toString(36).slice(2)}.vcf`);
  sh(`bcftools view --no-version --regions-overlap pos ${regionArgs} -Ov -o '${out}' '${minimal}'`);
  const keys = sh(`bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\n' '${out}'`).split('\n').filter(Boolean)
    .flatMap((l) => { const [c, p, r, a] = l.split('\t') as [string, string, string, string]; return a.split(',').map((alt) => `${c}\t${p}\t${r}\t${alt}`); });
  return { keys, counts: bcftoolsCounts(out, samplesFile) };
}

/** Same records, same order of (chrom, pos), same counts; returns mismatches. */
function compare(rows: AlleleCountRow[], ref: { keys: string[]; counts: Map<string, RefCounts> }): string[] {
  const got = rows.map((r) => `${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`);
  expect(new Set(got)).toEqual(new Set(ref.keys));
  expect(got.length).toBe(new Set(got).size); // each record once
  const sites = (ks: string[]): string[] => ks.map((k) => k.split('\t').slice(0, 2).join(':')).filter((s, i, a) => i === 0 || a[i - 1] !== s);
  expect(sites(got)).toEqual(sites(ref.keys));
  const bad: string[] = [];
  for (const r of rows) {
    const e = ref.counts.get(`${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`)!;
    if (r.ac !== e.ac || r.an !== e.an || r.nhomalt !== e.nhomalt) bad.push(`${r.chrom}:${r.pos}:${r.ref}:${r.alt} ours ${r.ac}/${r.an}/${r.nhomalt} bcftools ${e.ac}/${e.an}/${e.nhomalt}`);
    compared++;
  }
  return bad;
}

describe.skipIf(!HAS_BCFTOOLS)('region lists and regions files equal bcftools view -r / -R + fill-tags', () => {
  it('a list with overlaps, out of order, a whole contig, an open end and one position: each record once, in bcftools order', async () => {
    const lone = sh(`bcftools query -r 22:45000000- -f '%POS\\n' '${vcf}'`).split('\n')[0]!;
    // bcftools has no chr alias: it gets 22 where the store is asked chr22.
    const ours = `22:30,000,000-35,000,000,21:15000000-25000000,chr22:33000000-40000000,21:20778405,21:40000000-,22:${lone}`;
    const theirs = ours.replace('chr22', '22').replace('30,000,000-35,000,000', '30000000-35000000');
    const ref = bcftoolsRegion(`-r '${theirs}'`);
    expect(ref.keys.length).toBeGreaterThan(300);
    const rows = await store.alleleCounts({ regions: parseRegions(ours) });
    expect(compare(rows, ref).slice(0, 5)).toEqual([]);
    // Contigs in the order first named: chr22 rows first.
    expect(rows[0]!.chrom).toBe('22');
    expect(rows.at(-1)!.chrom).toBe('21');
  });

  it('a whole contig and a list that covers everything twice answer like the whole store, per contig in list order', async () => {
    const ref = bcftoolsRegion(`-r '22,21,21:1-30000000'`);
    const rows = await store.alleleCounts({ regions: parseRegions('22,21,21:1-30000000') });
    expect(rows).toHaveLength(ref.keys.length);
    expect(compare(rows, ref).slice(0, 5)).toEqual([]);
  });

  it('a cohort over a region list matches bcftools view -S on the same records', async () => {
    const ids = join(scratch, 'eur.txt');
    writeFileSync(ids, `${panelIds(readFileSync(PANEL, 'utf8'), (r) => r.super_pop === 'EUR').join('\n')}\n`);
    const list = '21:25000000-30000000,22:20000000-26000000,21:28000000-32000000';
    const rows = await store.alleleCounts({ regions: parseRegions(list), cohort: 'super_pop=EUR' });
    expect(compare(rows, bcftoolsRegion(`-r '${list}'`, ids)).slice(0, 5)).toEqual([]);
  });

  it('a BED file (0-based half-open, overlapping lines) selects what bcftools -R selects', async () => {
    const lone = Number(sh(`bcftools query -r 21:30000000- -f '%POS\\n' '${vcf}'`).split('\n')[0]);
    const bed = join(scratch, 'targets.bed');
    // The last line's interval is exactly one base, the record at `lone` (0-based start lone-1).
    writeFileSync(bed, `# targets\n22\t19999999\t25000000\tA\n21\t10000000\t20000000\tB\n22\t24000000\t28000000\tC\n21\t${lone - 1}\t${lone}\tD\n`);
    const regions = parseRegionsFile(readFileSync(bed, 'utf8').split('\n'), { label: 'targets.bed' });
    const rows = await store.alleleCounts({ regions });
    const ref = bcftoolsRegion(`-R '${bed}'`);
    expect(rows.some((r) => r.pos === lone)).toBe(true);
    expect(compare(rows, ref).slice(0, 5)).toEqual([]);
  });

  it('tab files of CHR POS lines and of CHR BEG END lines (1-based inclusive) select what bcftools -R selects', async () => {
    const positions = sh(`bcftools query -r 21:20000000-21000000 -f '%POS\\n' '${vcf}'`).split('\n').filter(Boolean).slice(0, 3);
    const sites = join(scratch, 'sites.tsv');
    writeFileSync(sites, `${positions.map((p) => `21\t${p}`).join('\n')}\n22\t40002281\n21\t${positions[0]}\n`);
    const ranges = join(scratch, 'ranges.tsv');
    writeFileSync(ranges, `22\t40000000\t45000000\n21\t${positions[0]}\t${positions[0]}\n22\t44000000\t46000000\tname\n`);
    for (const [file, label] of [[sites, 'sites.tsv'], [ranges, 'ranges.tsv']] as const) {
      const rows = await store.alleleCounts({ regions: parseRegionsFile(readFileSync(file, 'utf8').split('\n'), { label }) });
      expect(rows.length).toBeGreaterThan(2);
      expect(compare(rows, bcftoolsRegion(`-R '${file}'`)).slice(0, 5)).toEqual([]);
    }
  });

  it('genofed node query af takes the list with --region and the file with --regions-file, with the API rows', async () => {
    const bed = join(scratch, 'cli.bed');
    writeFileSync(bed, '22\t30000000\t31000000\n21\t15000000\t16000000\n');
    const cli = (...args: string[]): string => {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/genofed.js'), 'node', 'query', 'af', '--store', storeDir, '--format', 'json', ...args], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      return r.stdout;
    };
    const api = await store.alleleCounts({ regions: parseRegions('22:30000001-31000000,21:15000001-16000000') });
    expect(api.length).toBeGreaterThan(10);
    const withAf = JSON.parse(JSON.stringify(api.map((r) => ({ ...r, af: r.an > 0 ? Number((r.ac / r.an).toPrecision(6)) : null })))) as unknown;
    // The store stays open read-only here: the CLI opens it read-only too.
    expect(JSON.parse(cli('--regions-file', bed))).toEqual(withAf);
    expect(JSON.parse(cli('--region', '22:30000001-31000000,21:15000001-16000000'))).toEqual(withAf);
    const both = spawnSync(process.execPath, [join(ROOT, 'bin/genofed.js'), 'node', 'query', 'af', '--store', storeDir, '--region', '21', '--regions-file', bed], { encoding: 'utf8' });
    expect(both.stderr).toMatch(/GENOFED_USAGE: give exactly one of --region, --regions-file or --variants/);
    const badLine = join(scratch, 'bad.bed');
    writeFileSync(badLine, '22\t30000000\t31000000\n21\tabc\t16000000\n');
    const bad = spawnSync(process.execPath, [join(ROOT, 'bin/genofed.js'), 'node', 'query', 'af', '--store', storeDir, '--regions-file', badLine], { encoding: 'utf8' });
    expect(bad.stderr).toMatch(/^genofed: GENOFED_BAD_REGION: bad\.bed line 2: START is not a non-negative integer/);
    // The message names the file and line only; the path as typed follows it on this terminal (proto/operator-path.ts).
    expect(bad.stderr.slice(0, bad.stderr.lastIndexOf(' ('))).not.toContain(scratch);
    expect(bad.stderr.endsWith(` (${badLine})\n`)).toBe(true);
  });

  it('selects by POS, like --regions-overlap pos: a deletion starting before the region is not in it (plain bcftools -r takes it)', async () => {
    const dir = join(scratch, 'beacon');
    await ingest(dir, { rawIds: true, vcfs: [BEACON] });
    const s = await openStore(dir, { readOnly: true });
    try {
      // 1:10616 CCGCCGTTGCAAAGGCGCGCCG>C spans 10616-10637.
      expect(await s.alleleCounts({ regions: parseRegions('1:10620-10630') })).toEqual([]);
      expect(sh(`bcftools query -r 1:10620-10630 -f '%POS\\n' '${BEACON}'`).trim()).toBe('10616');
      expect(sh(`bcftools query --regions-overlap pos -r 1:10620-10630 -f '%POS\\n' '${BEACON}'`).trim()).toBe('');
    } finally {
      await s.close();
    }
  });
});

describe('regions differential guard', () => {
  it('the bcftools comparison ran (bcftools must be installed in CI)', () => {
    if (process.env.CI) expect(HAS_BCFTOOLS).toBe(true);
    if (HAS_BCFTOOLS) expect(compared).toBeGreaterThan(1000);
  });
});
