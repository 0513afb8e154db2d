/**
 * One validator for every path (issue 13, deliverable 5): a VCF or table
 * that `node ingest` rejects is rejected by `pseudonymize`, `verify` and
 * `scan` with the same code and the same `<file>:<line>: <problem>`
 * message, at the first step, and no output is left. Ingest's side is run
 * through ingest's own entry points (`readVcfFile` with
 * INGEST_READ_OPTIONS, `readPhenotypes`), on the real malformed files of
 * test/fixtures/malformed (whose bcftools verdicts are in node/vcf/README.md).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanFile } from '../../../node/pseudonymize/scan.js';
import { generateSiteKey } from '../../../node/pseudonymize/site-key.js';
import { pseudonymizeTableFile } from '../../../node/pseudonymize/table/pseudonymize-table.js';
import { verifyTable } from '../../../node/pseudonymize/table/verify-table.js';
import { pseudonymizeVcfFile } from '../../../node/pseudonymize/vcf/pseudonymize-vcf.js';
import { verifyVcf } from '../../../node/pseudonymize/vcf/verify-vcf.js';
import { readPhenotypes } from '../../../node/store/ingest-phenotypes.js';
import { INGEST_READ_OPTIONS, readVcfFile } from '../../../node/vcf/index.js';
import { FIXTURES } from './tools.js';

const key = generateSiteKey();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-ingest-validation-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const caught = (p: Promise<unknown>): Promise<{ code?: string; message: string } | null> => p.then(() => null, (e: unknown) => e as { code?: string; message: string });

/** What node ingest says about a VCF: its reader, lenient as ingest runs it, every record read. */
async function ingestVcfError(path: string): Promise<{ code?: string; message: string } | null> {
  return caught((async () => {
    const reader = await readVcfFile(path, INGEST_READ_OPTIONS);
    for await (const batch of reader.variants()) void batch;
  })());
}

const REJECTED = [
  'VariantAnnotation_fewer-FORMAT-than-GENO.vcf', // more sample sub-fields than FORMAT keys
  'VariantAnnotation_no_GENO_row.vcf',
  'VariantAnnotation_VarScan_header.vcf',
  'htslib_noroundtrip.vcf',
  'cyvcf2_test.warnings.vcf.gz', // GT allele 2 with one ALT: bcftools accepts it and drops the allele
  'cyvcf2_empty.vcf',
  'cyvcf2_test-invalid-header.vcf',
];
const ACCEPTED = [
  'uwgac_chrX_old_FILTER_NA_undefined.vcf.gz',
  'genotype_plot_example_multi_AF_count_mismatch.vcf.gz',
  'cyvcf2_no-seq-names.vcf',
  'VariantAnnotation_missing-FORMAT-metadata-elt.vcf',
  'VariantAnnotation_unspecified_INFO_FORMAT_fields.vcf',
  'VariantAnnotation_buffer_realloc.vcf',
  'VariantAnnotation_negative_FORMAT_Number.vcf',
  'pysam_example_badcomments.vcf.gz',
];

describe('VCF: pseudonymize, verify and scan reject what ingest rejects, with its code and message', () => {
  for (const name of REJECTED) {
    it(`${name}: the same error from ingest, pseudonymize vcf, verify vcf and scan, and no output`, async () => {
      const input = join(FIXTURES, 'malformed', name);
      const ingest = await ingestVcfError(input);
      expect(ingest, 'ingest must reject this fixture').not.toBeNull();
      expect(ingest!.code).toMatch(/^GENOFED_VCF_/);
      expect(ingest!.message).toMatch(new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:\\d+)?: `));
      const output = join(dir, `${name}.out${name.endsWith('.gz') ? '.vcf.gz' : '.vcf'}`);
      const pz = await caught(pseudonymizeVcfFile({ input, output, key }));
      expect({ code: pz?.code, message: pz?.message }).toEqual({ code: ingest!.code, message: ingest!.message });
      expect((await readdir(dir)).filter((f) => f.includes(`${name}.out`))).toEqual([]);
      const v = await caught(verifyVcf({ original: input, pseudonymized: input, useBcftools: false }));
      expect({ code: v?.code, message: v?.message }).toEqual({ code: ingest!.code, message: ingest!.message });
      const s = await caught(scanFile(input, { format: 'vcf' }));
      expect({ code: s?.code, message: s?.message }).toEqual({ code: ingest!.code, message: ingest!.message });
    });
  }

  it('the message of a record with more sample sub-fields than FORMAT keys names file and line only', async () => {
    const err = await caught(pseudonymizeVcfFile({ input: join(FIXTURES, 'malformed/VariantAnnotation_fewer-FORMAT-than-GENO.vcf'), output: join(dir, 'x.vcf'), key }));
    expect(err).toMatchObject({ code: 'GENOFED_VCF_GENOTYPE', message: 'VariantAnnotation_fewer-FORMAT-than-GENO.vcf:12: sample column 1 has more sub-fields than FORMAT keys' });
  });

  for (const name of ACCEPTED) {
    it(`${name}: ingest accepts it (with warnings), and so do pseudonymize vcf and verify, whose output ingest accepts too`, async () => {
      const input = join(FIXTURES, 'malformed', name);
      expect(await ingestVcfError(input)).toBeNull();
      const output = join(dir, `ok-${name}`);
      await pseudonymizeVcfFile({ input, output, key });
      expect(await ingestVcfError(output)).toBeNull();
      const checks = await verifyVcf({ original: input, pseudonymized: output, key, useBcftools: false });
      expect(checks.find((c) => c.name.startsWith('node ingest would accept the output'))).toMatchObject({ ok: true });
      expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([]);
    });
  }

  it('verify names, as a failed check, an output that ingest would reject', async () => {
    const input = join(FIXTURES, 'vcf/small_tricky/VariantAnnotation_ex2.vcf');
    await pseudonymizeVcfFile({ input, output: join(dir, 'ex2.vcf'), key });
    const text = await readFile(join(dir, 'ex2.vcf'), 'utf8');
    // Give the last record's first sample one sub-field more than its FORMAT keys.
    const lines = text.trimEnd().split('\n');
    const last = lines[lines.length - 1]!.split('\t');
    last[9] = `${last[9]}:7`;
    lines[lines.length - 1] = last.join('\t');
    await writeFile(join(dir, 'ex2-bad.vcf'), `${lines.join('\n')}\n`);
    const ingest = await ingestVcfError(join(dir, 'ex2-bad.vcf'));
    expect(ingest).toMatchObject({ code: 'GENOFED_VCF_GENOTYPE' });
    const check = (await verifyVcf({ original: input, pseudonymized: join(dir, 'ex2-bad.vcf'), key, useBcftools: false })).find((c) => c.name.startsWith('node ingest would accept'));
    expect(check).toMatchObject({ ok: false, detail: ingest!.message });
  });
});

describe('tables: pseudonymize table, verify table and scan reject what ingest rejects, with its code and message', () => {
  const PANEL = join(FIXTURES, 'panel/igsr_samples.tsv');

  async function variant(name: string, edit: (lines: string[]) => string[]): Promise<string> {
    const lines = (await readFile(PANEL, 'utf8')).split('\n');
    const path = join(dir, name);
    await writeFile(path, edit(lines).join('\n'));
    return path;
  }

  const cases: Array<[string, (lines: string[]) => string[]]> = [
    ['a duplicate sample id', (l) => [...l.slice(0, 20), l[5]!, ...l.slice(20)]],
    ['a row with a missing field', (l) => l.map((x, i) => (i === 30 ? x.split('\t').slice(0, 4).join('\t') : x))],
    ['a header naming a column twice', (l) => [l[0]!.replace('Population name', 'Sex'), ...l.slice(1)]],
    ['a missing sample id', (l) => l.map((x, i) => (i === 7 ? `NA${x.slice(x.indexOf('\t'))}` : x))],
  ];
  for (const [what, edit] of cases) {
    it(`the 1000 Genomes sample table with ${what}: ingest's error from every path, and no output`, async () => {
      const input = await variant(`${what.replace(/\W+/g, '-')}.tsv`, edit);
      const ingest = await caught(readPhenotypes(input, {}, null));
      expect(ingest).toMatchObject({ code: 'GENOFED_PHENOTYPE_FORMAT' });
      expect(ingest!.message.startsWith(`${basename(input)}:`)).toBe(true);
      const output = join(dir, `${basename(input)}.out`);
      const pz = await caught(pseudonymizeTableFile({ input, output, key }));
      expect({ code: pz?.code, message: pz?.message }).toEqual({ code: ingest!.code, message: ingest!.message });
      expect(existsSync(output)).toBe(false);
      const v = await caught(verifyTable({ original: input, pseudonymized: PANEL }));
      expect({ code: v?.code, message: v?.message }).toEqual({ code: ingest!.code, message: ingest!.message });
      const s = await caught(scanFile(input, { format: 'table' }));
      expect({ code: s?.code, message: s?.message }).toEqual({ code: ingest!.code, message: ingest!.message });
    });
  }

  it('the unedited table passes, its output is accepted by ingest, and verify says so', async () => {
    expect(await caught(readPhenotypes(PANEL, {}, null))).toBeNull();
    await pseudonymizeTableFile({ input: PANEL, output: join(dir, 'panel.out.tsv'), key });
    expect(await caught(readPhenotypes(join(dir, 'panel.out.tsv'), {}, null))).toBeNull();
    const checks = await verifyTable({ original: PANEL, pseudonymized: join(dir, 'panel.out.tsv'), key });
    expect(checks.find((c) => c.name.startsWith('node ingest would accept the output'))).toMatchObject({ ok: true });
  });

  it('a pedigree with several id columns is validated without the id checks (family and parent ids repeat by design)', async () => {
    const input = join(FIXTURES, 'panel/integrated_call_samples_v2.20130502.ALL.ped');
    const idColumns = ['Family ID', 'Individual ID', 'Paternal ID', 'Maternal ID'];
    await expect(pseudonymizeTableFile({ input, output: join(dir, 'ped.out.tsv'), key, idColumns, missingValues: ['', '0'] })).resolves.toMatchObject({ format: 'table' });
    // With one id column, ingest's rule holds: the family id column repeats.
    const err = await caught(pseudonymizeTableFile({ input, output: join(dir, 'ped1.out.tsv'), key, idColumns: ['Family ID'] }));
    expect(err).toMatchObject({ code: 'GENOFED_PHENOTYPE_FORMAT', message: expect.stringMatching(/^integrated_call_samples_v2\.20130502\.ALL\.ped:\d+: sample id appears on an earlier line too$/) });
  });
});
