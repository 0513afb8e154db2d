/**
 * What VCF pseudonymization does to each element (DESIGN.md table), on a
 * hand-written hospital-style VCF whose expected output is written out
 * here, plus --regions against `bcftools view -R`, output compression,
 * determinism, unlinkability across keys, the map, bad input, and verify
 * catching tampered outputs.
 */
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCompression } from '../../../node/io/open-input.js';
import { readBedFile } from '../../../node/pseudonymize/bed.js';
import { pseudonym } from '../../../node/pseudonymize/pseudonym.js';
import { MapCollector, readReidMapFile } from '../../../node/pseudonymize/reid-map.js';
import { sampleListMac } from '../../../node/pseudonymize/sample-list-mac.js';
import { generateSiteKey } from '../../../node/pseudonymize/site-key.js';
import { pseudonymizeVcfFile } from '../../../node/pseudonymize/vcf/pseudonymize-vcf.js';
import { verifyVcf } from '../../../node/pseudonymize/vcf/verify-vcf.js';
import { FIXTURES, MUST_HAVE_TOOLS, has, run } from './tools.js';

const key = generateSiteKey();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-vcf-rules-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const HOSPITAL_VCF = [
  '##fileformat=VCFv4.2',
  '##fileDate=20240115',
  '##source=HospitalPipeline_v2 /home/drkim/run',
  '##reference=file:///data/refs/GRCh38_full_analysis_set_plus_decoy_hla.fa',
  '##contig=<ID=chr1,length=248956422,URL=file:///data/refs/chr1.fa,assembly=GRCh38>',
  '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">',
  '##INFO=<ID=AN2,Number=1,Type=Integer,Description="From /data/hospital/kim/annot.vcf.gz and ftp://ftp.ncbi.nih.gov/snp/README">',
  '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
  '##SAMPLE=<ID=PT-0001,Genomes=Germline,Description="Patient Kim germline">',
  '##PEDIGREE=<Child=PT-0001,Mother=PT-0002>',
  '##INDIVIDUAL=Kim Minsu',
  '##GATKCommandLine=<ID=HaplotypeCaller,CommandLine="-I /data/PT-0001.bam">',
  '##bcftools_viewCommand=view -s PT-0001 in.vcf.gz; Date=Mon Jan 15 10:00:00 2024',
  '##lab_run=batch 7 on 2024-01-15',
  '##phasing=none',
  '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tPT-0001\tPT-0002',
  'chr1\t100\trs123\tA\tG\t50\tPASS\tDP=10\tGT\t0/1\t0/0',
  'chr1\t200\t.\tC\tT\t.\tPASS\tDP=5\tGT\t1/1\t./.',
  'chr1\t300\trs5;HOSP_VAR_77\tG\tA\t20\tq10\tDP=3\tGT\t0|1\t1|0',
  'chr1\t400\tHOSP_VAR_78\tT\tTA\t.\t.\t.\tGT\t0/0\t0/1',
].join('\n') + '\n';

describe('VCF header and record rules', () => {
  it('rewrite, drop and keep exactly the documented elements, and copy every other byte', async () => {
    const input = join(dir, 'hospital.vcf');
    const output = join(dir, 'hospital.pseudo.vcf');
    await writeFile(input, HOSPITAL_VCF);
    const report = await pseudonymizeVcfFile({ input, output, key });
    const p1 = pseudonym(key, 'sample', 'PT-0001');
    const p2 = pseudonym(key, 'sample', 'PT-0002');
    const v77 = pseudonym(key, 'variant-id', 'HOSP_VAR_77');
    const v78 = pseudonym(key, 'variant-id', 'HOSP_VAR_78');
    const expected = [
      '##fileformat=VCFv4.2',
      '##reference=GRCh38',
      '##contig=<ID=chr1,length=248956422,assembly=GRCh38>',
      '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">',
      '##INFO=<ID=AN2,Number=1,Type=Integer,Description="From annot.vcf.gz and ftp://ftp.ncbi.nih.gov/snp/README">',
      '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
      `##SAMPLE=<ID=${p1},Genomes=Germline>`,
      `##PEDIGREE=<Child=${p1},Mother=${p2}>`,
      '##phasing=none',
      `##genofed_pseudonyms=${key.keyId}:${sampleListMac(key, [p1, p2])}`,
      `#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t${p1}\t${p2}`,
      'chr1\t100\trs123\tA\tG\t50\tPASS\tDP=10\tGT\t0/1\t0/0',
      'chr1\t200\t.\tC\tT\t.\tPASS\tDP=5\tGT\t1/1\t./.',
      `chr1\t300\trs5;${v77}\tG\tA\t20\tq10\tDP=3\tGT\t0|1\t1|0`,
      `chr1\t400\t${v78}\tT\tTA\t.\t.\t.\tGT\t0/0\t0/1`,
    ].join('\n') + '\n';
    expect(await readFile(output, 'utf8')).toBe(expected);
    expect(report).toMatchObject({ samples: 2, recordsIn: 4, recordsOut: 4, variantIdsReplaced: 2, keyId: key.keyId, keyVersion: 1 });
    expect(report.headerLinesDropped).toEqual({ date: 2, source: 1, 'person or centre': 1, 'command line': 2 });
    expect(JSON.stringify(report)).not.toMatch(/PT-000|HOSP_VAR|Kim|\/data/);
  });

  it('drop ##SAMPLE, ##PEDIGREE and non-standard lines in strict mode', async () => {
    const input = join(dir, 'strict.vcf');
    const output = join(dir, 'strict.pseudo.vcf');
    await writeFile(input, HOSPITAL_VCF.replace('##phasing=none', '##phasing=none\n##GVCFBlock=minGQ=0'));
    await pseudonymizeVcfFile({ input, output, key, mode: 'strict' });
    const header = (await readFile(output, 'utf8')).split('\n').filter((l) => l.startsWith('##'));
    expect(header.map((l) => l.slice(0, l.indexOf('=')))).toEqual(['##fileformat', '##reference', '##contig', '##INFO', '##INFO', '##FORMAT', '##phasing', '##genofed_pseudonyms']);
    const checks = await verifyVcf({ original: input, pseudonymized: output, key, mode: 'strict', useBcftools: false });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('replace a previous ##genofed_pseudonyms line by the one for this output, and write none for a file without samples', async () => {
    const once = join(dir, 'once.vcf');
    const twice = join(dir, 'twice.vcf');
    const input = join(dir, 'again.vcf');
    await writeFile(input, HOSPITAL_VCF);
    await pseudonymizeVcfFile({ input, output: once, key });
    const report = await pseudonymizeVcfFile({ input: once, output: twice, key });
    const lines = (await readFile(twice, 'utf8')).split('\n');
    const samples = lines.find((l) => l.startsWith('#CHROM'))!.split('\t').slice(9);
    expect(lines.filter((l) => l.startsWith('##genofed_pseudonyms='))).toEqual([`##genofed_pseudonyms=${key.keyId}:${sampleListMac(key, samples)}`]);
    expect(report.headerLinesDropped).toMatchObject({ 'previous genofed_pseudonyms': 1 });
    await pseudonymizeVcfFile({ input: join(FIXTURES, 'vcf/small_tricky/pysam_gnomad.vcf'), output: join(dir, 'sites.vcf'), key });
    expect(await readFile(join(dir, 'sites.vcf'), 'utf8')).not.toContain('##genofed_pseudonyms');
  });

  it('write BGZF for bgzip and plain-gzip input and plain text for plain input', async () => {
    const plain = join(dir, 'c.vcf');
    const gz = join(dir, 'c.vcf.gz');
    await writeFile(plain, HOSPITAL_VCF);
    await writeFile(gz, gzipSync(HOSPITAL_VCF));
    expect(await detectCompression(gz)).toBe('gzip');
    await pseudonymizeVcfFile({ input: plain, output: join(dir, 'c.out.vcf'), key });
    await pseudonymizeVcfFile({ input: gz, output: join(dir, 'c.out.vcf.gz'), key });
    await pseudonymizeVcfFile({ input: join(FIXTURES, 'vcf/single_sample/vg_NA12878_chr22_tiny_giab.vcf.gz'), output: join(dir, 'giab.vcf.gz'), key });
    expect(await detectCompression(join(dir, 'c.out.vcf'))).toBe('none');
    expect(await detectCompression(join(dir, 'c.out.vcf.gz'))).toBe('bgzf');
    expect(await detectCompression(join(dir, 'giab.vcf.gz'))).toBe('bgzf');
    expect(gunzipSync(await readFile(join(dir, 'c.out.vcf.gz'))).toString()).toBe(await readFile(join(dir, 'c.out.vcf'), 'utf8'));
  });
});

describe('determinism and keys', () => {
  const real = join(FIXTURES, 'vcf/other_real/VariantAnnotation_chr22_1000G_phase1_5samples.vcf.gz');

  it('give byte-identical compressed output for the same input and key, and verify with the key passes', async () => {
    await pseudonymizeVcfFile({ input: real, output: join(dir, 'd1.vcf.gz'), key });
    await pseudonymizeVcfFile({ input: real, output: join(dir, 'd2.vcf.gz'), key });
    expect((await readFile(join(dir, 'd1.vcf.gz'))).equals(await readFile(join(dir, 'd2.vcf.gz')))).toBe(true);
    const checks = await verifyVcf({ original: real, pseudonymized: join(dir, 'd1.vcf.gz'), key, useBcftools: false });
    expect(checks.find((c) => c.name.startsWith('re-pseudonymizing'))?.ok).toBe(true);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('give unrelated sample pseudonyms under another key', async () => {
    const other = generateSiteKey();
    await pseudonymizeVcfFile({ input: real, output: join(dir, 'k2.vcf.gz'), key: other });
    const names = async (f: string): Promise<string[]> => gunzipSync(await readFile(f)).toString().split('\n').find((l) => l.startsWith('#CHROM'))!.split('\t').slice(9);
    const a = await names(join(dir, 'd1.vcf.gz'));
    const b = await names(join(dir, 'k2.vcf.gz'));
    expect(a).toHaveLength(5);
    expect(a.filter((x) => b.includes(x))).toEqual([]);
    // With the wrong key, verify's exact-pseudonym and determinism checks fail.
    const checks = await verifyVcf({ original: real, pseudonymized: join(dir, 'k2.vcf.gz'), key, useBcftools: false });
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'each sample column holds the pseudonym of the original sample in the same column',
      'the ##genofed_pseudonyms MAC verifies over the sample names under the key',
      're-pseudonymizing the original with the key gives byte-identical output',
    ]);
  });

  it('record every sample and replaced variant id in the encrypted map', async () => {
    const map = new MapCollector();
    const input = join(dir, 'm.vcf');
    await writeFile(input, HOSPITAL_VCF);
    await pseudonymizeVcfFile({ input, output: join(dir, 'm.out.vcf'), key, map });
    await map.write(join(dir, 'm.map'), key);
    const entries = await readReidMapFile(join(dir, 'm.map'), key);
    expect(entries.filter((e) => e.idType === 'sample').map((e) => [e.original, e.pseudonym])).toEqual([
      ['PT-0001', pseudonym(key, 'sample', 'PT-0001')],
      ['PT-0002', pseudonym(key, 'sample', 'PT-0002')],
    ]);
    expect(entries.filter((e) => e.idType === 'variant-id').map((e) => e.original)).toEqual(['HOSP_VAR_77', 'HOSP_VAR_78']);
  });
});

const bcftools = has('bcftools');
describe.skipIf(!bcftools)('--regions', () => {
  const il2ra = join(FIXTURES, 'vcf/1kg_dev/1KGP_hg19_IL2RA_1MB.vcf.gz');

  it('keeps the same records as bcftools view -R, with chr-prefixed BED contigs matching 10', async () => {
    const bed = join(dir, 'panel.bed');
    await writeFile(bed, 'track name=panel\nchr10\t6052651\t6104333\tIL2RA\nchr10\t6500000\t6500500\tx\n10\t6499990\t6500010\toverlap\n');
    const plainBed = join(dir, 'panel-plain.bed');
    await writeFile(plainBed, '10\t6052651\t6104333\n10\t6499990\t6500500\n');
    const out = join(dir, 'panel.vcf.gz');
    const report = await pseudonymizeVcfFile({ input: il2ra, output: out, key, regions: await readBedFile(bed) });
    const q = (args: string[]): string[] => run('bcftools', args).stdout.split('\n').filter(Boolean);
    const ours = q(['query', '-f', '%CHROM\\t%POS\\t%REF\\t%ALT\\n', out]);
    const theirs = q(['query', '--regions-overlap', '1', '-R', plainBed, '-f', '%CHROM\\t%POS\\t%REF\\t%ALT\\n', il2ra]);
    expect(ours.length).toBeGreaterThan(50);
    expect(ours).toEqual(theirs);
    expect(report.recordsOut).toBe(ours.length);
    expect(report.recordsOutsideRegions).toBe(report.recordsIn - ours.length);
    const checks = await verifyVcf({ original: il2ra, pseudonymized: out, key, regions: await readBedFile(bed), useBcftools: true });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  }, 60_000);
});

describe.skipIf(!bcftools)('bcftools and the ##genofed_pseudonyms line', () => {
  it('bcftools view reads the output and keeps the line', async () => {
    const out = join(dir, 'chr22.pz.vcf.gz');
    await pseudonymizeVcfFile({ input: join(FIXTURES, 'vcf/1kg_dev/uwgac_1KG_phase3_subset/1KG_phase3_subset_chr22.vcf.gz'), output: out, key });
    const header = run('bcftools', ['view', '-h', out]);
    expect(header.code).toBe(0);
    expect(header.stdout).toMatch(new RegExp(`^##genofed_pseudonyms=${key.keyId}:[0-9a-f]{64}$`, 'm'));
    expect(run('bcftools', ['view', '-Ov', '-o', '/dev/null', out]).code).toBe(0);
  }, 60_000);
});

it('the --regions comparison ran wherever bcftools is required', () => {
  if (MUST_HAVE_TOOLS) expect(bcftools).toBe(true);
  expect(HOSPITAL_VCF.length).toBeGreaterThan(0);
});

describe('bad input', () => {
  async function expectNoOutput(name: string): Promise<void> {
    const left = (await readdir(dir)).filter((f) => f.startsWith(name) || f.startsWith(`.${name}`));
    expect(left).toEqual([]);
  }

  it('a truncated BGZF file fails with GENOFED_INPUT_TRUNCATED and leaves no output', async () => {
    const src = await readFile(join(FIXTURES, 'vcf/other_real/VariantAnnotation_chr22_1000G_phase1_5samples.vcf.gz'));
    const cut = join(dir, 'cut.vcf.gz');
    await writeFile(cut, src.subarray(0, Math.floor(src.length / 2)));
    await expect(pseudonymizeVcfFile({ input: cut, output: join(dir, 'cut-out.vcf.gz'), key })).rejects.toMatchObject({ code: 'GENOFED_INPUT_TRUNCATED', message: expect.stringContaining('cut.vcf.gz') });
    await expectNoOutput('cut-out');
  });

  it('a broken header (empty sample name) fails with its line number and leaves no output', async () => {
    const bad = join(FIXTURES, 'malformed/cyvcf2_test-invalid-header.vcf');
    const err = await pseudonymizeVcfFile({ input: bad, output: join(dir, 'hdr-out.vcf'), key }).then(() => new Error('no error'), (e: unknown) => e as Error & { code: string });
    // node ingest's header validation speaks first (node/vcf/line-validator.ts): its code and file:line message.
    expect(err).toMatchObject({ code: 'GENOFED_VCF_HEADER' });
    expect(err.message).toMatch(/^cyvcf2_test-invalid-header\.vcf:2: /);
    await expectNoOutput('hdr-out');
  });

  it('a record with the wrong column count fails with its line number, without echoing data', async () => {
    const input = join(dir, 'cols.vcf');
    await writeFile(input, HOSPITAL_VCF.replace('chr1\t200\t.\tC\tT\t.\tPASS\tDP=5\tGT\t1/1\t./.', 'chr1\t200\t.\tC\tT\t.\tPASS\tDP=5\tGT\t1/1'));
    const err = await pseudonymizeVcfFile({ input, output: join(dir, 'cols-out.vcf'), key }).then(() => new Error('no error'), (e: unknown) => e as Error);
    expect(err).toMatchObject({ code: 'GENOFED_VCF_RECORD', message: 'cols.vcf:18: record has 10 columns, the header has 11' });
    await expectNoOutput('cols-out');
  });

  it('BCF input and a non-VCF file are refused with a clear message', async () => {
    await expect(pseudonymizeVcfFile({ input: join(FIXTURES, 'vcf/other_real/bio2zarr_CEUTrio.20.21.gatk3.4.g.bcf'), output: join(dir, 'bcf-out.vcf'), key })).rejects.toThrow(/BCF input is not supported/);
    await expect(pseudonymizeVcfFile({ input: join(FIXTURES, 'expression/airway_sample_table.csv'), output: join(dir, 'csv-out.vcf'), key })).rejects.toMatchObject({ code: 'GENOFED_VCF_HEADER', message: 'airway_sample_table.csv:1: first line is not ##fileformat=VCFv4.x' });
    await expectNoOutput('bcf-out');
  });

  it('an existing output is not overwritten unless asked', async () => {
    const input = join(dir, 'ow.vcf');
    await writeFile(input, HOSPITAL_VCF);
    await writeFile(join(dir, 'ow-out.vcf'), 'keep me');
    await expect(pseudonymizeVcfFile({ input, output: join(dir, 'ow-out.vcf'), key })).rejects.toMatchObject({ code: 'GENOFED_OUTPUT_EXISTS' });
    expect(await readFile(join(dir, 'ow-out.vcf'), 'utf8')).toBe('keep me');
    await pseudonymizeVcfFile({ input, output: join(dir, 'ow-out.vcf'), key, overwrite: true });
    expect(await readFile(join(dir, 'ow-out.vcf'), 'utf8')).toContain('##fileformat=VCFv4.2');
  });
});

describe('verify catches tampered outputs', () => {
  let original: string;
  let good: string;
  beforeAll(async () => {
    original = join(dir, 'tamper.vcf');
    good = join(dir, 'tamper.pseudo.vcf');
    await writeFile(original, HOSPITAL_VCF);
    await pseudonymizeVcfFile({ input: original, output: good, key });
  });
  const failing = async (text: string, withKey = false): Promise<string[]> => {
    const f = join(dir, `t-${Math.random().toString(36).slice(2)}.vcf`);
    await writeFile(f, text);
    const checks = await verifyVcf({ original, pseudonymized: f, key: withKey ? key : undefined, useBcftools: false });
    return checks.filter((c) => !c.ok).map((c) => `${c.name} | ${c.detail ?? ''}`);
  };

  it('an original sample name left in the #CHROM line', async () => {
    const text = (await readFile(good, 'utf8')).replaceAll(pseudonym(key, 'sample', 'PT-0002'), 'PT-0002');
    const failed = await failing(text);
    expect(failed.some((f) => f.startsWith('every sample column is a genofed pseudonym'))).toBe(true);
    expect(failed.some((f) => f.startsWith('no original sample id'))).toBe(true);
    expect(failed.join('\n')).not.toContain('PT-0002');
  });

  it('a changed genotype, with the block of records it is in', async () => {
    const text = (await readFile(good, 'utf8')).replace('DP=5\tGT\t1/1', 'DP=5\tGT\t0/1');
    expect(await failing(text)).toEqual([expect.stringMatching(/^record content digest equal .* first difference in records 1-4$/)]);
  });

  it('a dropped value that comes back, and a header line that is not in the original', async () => {
    const text = (await readFile(good, 'utf8')).replace('##phasing=none', '##phasing=none\n##note=drkim');
    const failed = await failing(text, true);
    expect(failed.some((f) => f.startsWith('retained header lines are byte-identical'))).toBe(true);
    expect(failed.some((f) => f.startsWith('no original sample id') && f.includes('value of a dropped header line'))).toBe(true);
    expect(failed.some((f) => f.startsWith('re-pseudonymizing'))).toBe(true);
  });

  it('a ##genofed_pseudonyms line whose MAC does not match, or that is missing', async () => {
    const good1 = await readFile(good, 'utf8');
    const flipped = good1.replace(/(##genofed_pseudonyms=gk-[0-9a-f]{16}:)([0-9a-f])/, (_m, a: string, c: string) => `${a}${c === '0' ? '1' : '0'}`);
    expect(flipped).not.toBe(good1);
    expect((await failing(flipped, true)).map((f) => f.split(' | ')[0])).toEqual([
      'the ##genofed_pseudonyms MAC verifies over the sample names under the key',
      're-pseudonymizing the original with the key gives byte-identical output',
    ]);
    expect(await failing(flipped)).toEqual([]); // without the key only its form is checked
    const missing = good1.replace(/^##genofed_pseudonyms=.*\n/m, '');
    expect((await failing(missing)).map((f) => f.split(' | ')[0])).toEqual(['one well-formed ##genofed_pseudonyms line']);
  });

  it('passes the untouched output', async () => {
    expect(await failing(await readFile(good, 'utf8'), true)).toEqual([]);
    await copyFile(good, join(dir, 'copy.vcf'));
  });
});
