/**
 * Tables: phenotype tables (id column), expression matrices (header sample
 * names), date shifting/generalization, free-text columns, quoting, bad
 * input; verify on each; and the same person getting the same pseudonym in
 * a VCF and in a table of the same site.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudonym } from '../../../node/pseudonymize/pseudonym.js';
import { generateSiteKey } from '../../../node/pseudonymize/site-key.js';
import { DateShifter, MAX_SHIFT_DAYS } from '../../../node/pseudonymize/table/dates.js';
import { pseudonymizeTableFile } from '../../../node/pseudonymize/table/pseudonymize-table.js';
import { verifyTable } from '../../../node/pseudonymize/table/verify-table.js';
import { pseudonymizeVcfFile } from '../../../node/pseudonymize/vcf/pseudonymize-vcf.js';
import { ALL_COLUMNS, IDENTIFIER_COLUMNS, panelRows } from '../panel-copy.js';
import { FIXTURES } from './tools.js';

const key = generateSiteKey();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-table-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const out = (name: string): string => join(dir, name);
const failed = (checks: Array<{ ok: boolean; name: string }>): string[] => checks.filter((c) => !c.ok).map((c) => c.name);

describe('real tables', () => {
  it('airway sample table: the row-name id column is pseudonymized and accession columns are dropped as free text', async () => {
    const input = join(FIXTURES, 'expression/airway_sample_table.csv');
    const report = await pseudonymizeTableFile({ input, output: out('airway.csv'), key });
    const lines = (await readFile(out('airway.csv'), 'utf8')).split('\n');
    expect(lines[0]).toBe('"","cell","dex","albut","avgLength"');
    expect(lines[1]).toBe(`"${pseudonym(key, 'sample', 'SRR1039508')}","N61311","untrt","untrt",126`);
    expect(lines).toHaveLength(10); // header + 8 rows + final newline
    expect(report.columnsDropped.map((c) => c.name)).toEqual(['SampleName', 'Run', 'Experiment', 'Sample', 'BioSample']);
    expect(await readFile(out('airway.csv'), 'utf8')).not.toMatch(/SRR|GSM|SRX|SRS|SAMN/);
    expect(failed(await verifyTable({ original: input, pseudonymized: out('airway.csv'), key }))).toEqual([]);
    expect(failed(await verifyTable({ original: input, pseudonymized: out('airway.csv') }))).toEqual([]);
  });

  it('pasilla counts matrix: header sample names replaced, every other byte kept', async () => {
    const input = join(FIXTURES, 'expression/pasilla_gene_counts.tsv');
    await pseudonymizeTableFile({ input, output: out('pasilla.tsv'), key, matrix: true });
    const original = await readFile(input, 'utf8');
    const result = await readFile(out('pasilla.tsv'), 'utf8');
    const names = ['untreated1', 'untreated2', 'untreated3', 'untreated4', 'treated1', 'treated2', 'treated3'];
    expect(result.slice(0, result.indexOf('\n'))).toBe(['gene_id', ...names.map((n) => pseudonym(key, 'sample', n))].join('\t'));
    expect(result.slice(result.indexOf('\n'))).toBe(original.slice(original.indexOf('\n')));
    expect(failed(await verifyTable({ original: input, pseudonymized: out('pasilla.tsv'), key, matrix: true }))).toEqual([]);
  });

  it('pasilla annotation: quoted CSV keeps its quoting and its categorical columns', async () => {
    const input = join(FIXTURES, 'expression/pasilla_sample_annotation.csv');
    await pseudonymizeTableFile({ input, output: out('annot.csv'), key });
    const lines = (await readFile(out('annot.csv'), 'utf8')).split('\n');
    expect(lines[0]).toBe('"file","condition","type","number of lanes","exon counts"');
    expect(lines[1]).toBe(`"${pseudonym(key, 'sample', 'treated1fb')}","treated","single-read",5,15679615`);
    expect(failed(await verifyTable({ original: input, pseudonymized: out('annot.csv'), key }))).toEqual([]);
  });

  it('1000G pedigree: all four id columns use the sample pseudonym, so parents link to their own rows', async () => {
    const input = join(FIXTURES, 'panel/integrated_call_samples_v2.20130502.ALL.ped');
    const idColumns = ['Family ID', 'Individual ID', 'Paternal ID', 'Maternal ID'];
    await pseudonymizeTableFile({ input, output: out('ped.tsv'), key, idColumns, missingValues: ['', '0'] });
    const rows = (await readFile(out('ped.tsv'), 'utf8')).trim().split('\n').map((l) => l.split('\t'));
    const individuals = new Set(rows.slice(1).map((r) => r[1]));
    const fathers = rows.slice(1).map((r) => r[2]).filter((f) => f !== '0');
    expect(fathers.length).toBeGreaterThan(500);
    expect(fathers.filter((f) => individuals.has(f)).length).toBeGreaterThan(fathers.length * 0.9);
    expect(rows[0]).not.toContain('Siblings'); // lists of other people's ids: dropped
    expect(failed(await verifyTable({ original: input, pseudonymized: out('ped.tsv'), key, idColumns, missingValues: ['', '0'] }))).toEqual([]);
  });
});

describe('the same person across files of the site', () => {
  it('gets the same pseudonym in a VCF sample column and in the 1000G panel table', async () => {
    const vcf = join(FIXTURES, 'vcf/1kg_dev/uwgac_1KG_phase3_subset/1KG_phase3_subset_chr22.vcf.gz');
    await pseudonymizeVcfFile({ input: vcf, output: out('chr22.vcf.gz'), key });
    await pseudonymizeTableFile({ input: join(FIXTURES, 'panel/integrated_call_samples_v3.20130502.ALL.panel'), output: out('panel.tsv'), key });
    const vcfSamples = gunzipSync(await readFile(out('chr22.vcf.gz'))).toString().split('\n').find((l) => l.startsWith('#CHROM'))!.split('\t').slice(9);
    const panelIds = new Set((await readFile(out('panel.tsv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split('\t')[0]));
    expect(vcfSamples).toHaveLength(1126);
    expect(vcfSamples.every((s) => panelIds.has(s))).toBe(true);
    expect(vcfSamples[0]).toBe(pseudonym(key, 'sample', 'HG00096'));
  });
});

describe('identifier columns of a hospital export (the 1000G panel with patient_id, mrn_no, phone, zip, first_name, date_of_birth)', () => {
  const rows = panelRows();
  let input = '';
  beforeAll(async () => {
    const withLab = rows.map((r, i) => ({ ...r, lab_value: (40 + i * 0.013).toFixed(3) }));
    input = out('export.tsv');
    await writeFile(input, `${[...ALL_COLUMNS, 'lab_value'].join('\t')}\n${withLab.map((r) => [...ALL_COLUMNS.map((c) => String(r[c])), r.lab_value].join('\t')).join('\n')}\n`);
  });

  it('drops identifier-like names and all-distinct numeric columns, reports every column by fate, and verify passes', async () => {
    const report = await pseudonymizeTableFile({ input, output: out('export.out.tsv'), key });
    expect(report).toMatchObject({
      columnsPseudonymized: ['sample'],
      columnsShifted: [],
      columnsKept: ['pop', 'super_pop', 'gender', 'age'],
      columnsDropped: [
        ...IDENTIFIER_COLUMNS.map((name) => ({ name, reason: 'identifier-like name' })),
        { name: 'lab_value', reason: 'unique per row: identifier' },
      ],
      columnsOut: 5,
    });
    const text = await readFile(out('export.out.tsv'), 'utf8');
    expect(text.slice(0, text.indexOf('\n'))).toBe('sample\tpop\tsuper_pop\tgender\tage');
    expect(failed(await verifyTable({ original: input, pseudonymized: out('export.out.tsv'), key }))).toEqual([]);
    expect(failed(await verifyTable({ original: input, pseudonymized: out('export.out.tsv') }))).toEqual([]);
  });

  it('refuses to keep an identifier-like column by --keep-text or --keep', async () => {
    await expect(pseudonymizeTableFile({ input, output: out('kt.tsv'), key, keepText: ['patient_id'] })).rejects.toMatchObject({ code: 'GENOFED_USAGE', message: "export.tsv: --keep-text: column 'patient_id' looks like an identifier and cannot be kept; list it in --id-column to pseudonymize it, or leave it out" });
    await expect(pseudonymizeTableFile({ input, output: out('kp.tsv'), key, keep: ['pop', 'phone'] })).rejects.toMatchObject({ code: 'GENOFED_USAGE', message: expect.stringContaining("--keep: column 'phone' looks like an identifier") });
    expect((await readdir(dir)).filter((f) => f.startsWith('kt.') || f.startsWith('kp.'))).toEqual([]);
  });

  it('keeps only the --keep columns besides the id and date columns, and verify passes with the same options', async () => {
    const opts = { keep: ['super_pop', 'age'], dateColumns: [] };
    const report = await pseudonymizeTableFile({ input, output: out('keep.tsv'), key, ...opts });
    expect(report.columnsKept).toEqual(['super_pop', 'age']);
    expect(report.columnsDropped.filter((d) => d.reason === 'not in --keep').map((d) => d.name)).toEqual(['pop', 'gender', 'lab_value']);
    const header = (await readFile(out('keep.tsv'), 'utf8')).split('\n')[0];
    expect(header).toBe('sample\tsuper_pop\tage');
    expect(failed(await verifyTable({ original: input, pseudonymized: out('keep.tsv'), key, ...opts }))).toEqual([]);
  });

  it('an identifier column given as the id column is pseudonymized, not dropped', async () => {
    const report = await pseudonymizeTableFile({ input, output: out('pid.tsv'), key, idColumns: ['patient_id'], keep: ['pop'] });
    expect(report.columnsPseudonymized).toEqual(['patient_id']);
    expect(report.columnsKept).toEqual(['pop']);
    const second = (await readFile(out('pid.tsv'), 'utf8')).split('\n')[1]!.split('\t');
    expect(second).toEqual(['GBR', pseudonym(key, 'sample', '100001')]); // original column order
  });
});

const CLINICAL = [
  'patient_id,visit_date,birth_date,site,diagnosis_note,enrolled',
  'P001,2023-03-01,1970-05-20,"Seoul, Korea",Patient reported chest pain after exercise,2023/03/02',
  'P002,2023-03-05,1965-11-02,Busan,Follow-up of a long standing condition,2023/03/06',
  'P001,2023-09-15T10:30,1970-05-20,"Seoul, Korea",Second visit with new complaints and tests,2023/09/16',
  'P003,NA,1980-01-31,Busan,NA,2023/04/01',
  'P004,20240229,1990-12-31,"Seoul, Korea",Routine check-up without findings today,2024/03/01',
].join('\n') + '\n';

describe('dates and free text', () => {
  it('shift every date of a person by one key-derived offset, keep format and time, and drop unnamed dates and free text', async () => {
    const input = out('clinical.csv');
    await writeFile(input, CLINICAL);
    // A longitudinal table (P001 has two visits): ingest refuses repeated ids, so its check is skipped deliberately.
    const report = await pseudonymizeTableFile({ input, output: out('clinical.out.csv'), key, dateColumns: ['visit_date', 'birth_date'], ingestCheck: false });
    expect(report.columnsDropped).toEqual([
      { name: 'diagnosis_note', reason: 'long free text' },
      { name: 'enrolled', reason: 'date column not named in --date-columns' },
    ]);
    const shifter = new DateShifter(key);
    const d1 = shifter.offsetDays('P001');
    expect(Math.abs(d1)).toBeGreaterThanOrEqual(1);
    expect(Math.abs(d1)).toBeLessThanOrEqual(MAX_SHIFT_DAYS);
    const shift = (iso: string, days: number): string => new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
    const rows = (await readFile(out('clinical.out.csv'), 'utf8')).trim().split('\n');
    expect(rows[0]).toBe('patient_id,visit_date,birth_date,site');
    expect(rows[1]).toBe(`${pseudonym(key, 'sample', 'P001')},${shift('2023-03-01', d1)},${shift('1970-05-20', d1)},"Seoul, Korea"`);
    expect(rows[3]).toBe(`${pseudonym(key, 'sample', 'P001')},${shift('2023-09-15', d1)}T10:30,${shift('1970-05-20', d1)},"Seoul, Korea"`);
    expect(rows[4]).toBe(`${pseudonym(key, 'sample', 'P003')},NA,${shift('1980-01-31', shifter.offsetDays('P003'))},Busan`);
    expect(rows[5]!.split(',')[1]).toBe(shift('2024-02-29', shifter.offsetDays('P004')).replaceAll('-', ''));
    const opts = { dateColumns: ['visit_date', 'birth_date'], ingestCheck: false };
    expect(failed(await verifyTable({ original: input, pseudonymized: out('clinical.out.csv'), key, ...opts }))).toEqual([]);
    expect(failed(await verifyTable({ original: input, pseudonymized: out('clinical.out.csv'), ...opts }))).toEqual([]);
    expect(failed(await verifyTable({ original: input, pseudonymized: out('clinical.out.csv'), key: generateSiteKey(), ...opts }))).toEqual([
      'id cells are pseudonyms of the original ids',
      'date cells shifted by one offset per person (never 0, at most 180 days)',
      're-pseudonymizing the original with the key gives byte-identical output',
    ]);
  });

  it('give different offsets to different people (the offsets spread over the range)', () => {
    const shifter = new DateShifter(key);
    const offsets = Array.from({ length: 2000 }, (_, i) => shifter.offsetDays(`P${i}`));
    expect(offsets.every((d) => d !== 0 && Math.abs(d) <= MAX_SHIFT_DAYS)).toBe(true);
    expect(new Set(offsets).size).toBeGreaterThan(300);
    expect(offsets.filter((d) => d < 0).length / offsets.length).toBeGreaterThan(0.4);
  });

  it('generalize dates to the year and keep named text columns', async () => {
    const input = out('clinical-y.csv');
    await writeFile(input, CLINICAL);
    await pseudonymizeTableFile({ input, output: out('clinical-y.out.csv'), key, dateColumns: ['visit_date', 'birth_date'], dateMode: 'year', keepText: ['diagnosis_note'], ingestCheck: false });
    const rows = (await readFile(out('clinical-y.out.csv'), 'utf8')).trim().split('\n');
    expect(rows[0]).toBe('patient_id,visit_date,birth_date,site,diagnosis_note');
    expect(rows[1]).toBe(`${pseudonym(key, 'sample', 'P001')},2023,1970,"Seoul, Korea",Patient reported chest pain after exercise`);
    expect(failed(await verifyTable({ original: input, pseudonymized: out('clinical-y.out.csv'), key, dateColumns: ['visit_date', 'birth_date'], dateMode: 'year', keepText: ['diagnosis_note'], ingestCheck: false }))).toEqual([]);
  });

  it('give byte-identical output twice', async () => {
    const input = out('clinical.csv');
    await pseudonymizeTableFile({ input, output: out('det1.csv'), key, dateColumns: ['visit_date'], ingestCheck: false });
    await pseudonymizeTableFile({ input, output: out('det2.csv'), key, dateColumns: ['visit_date'], ingestCheck: false });
    expect((await readFile(out('det1.csv'))).equals(await readFile(out('det2.csv')))).toBe(true);
  });
});

describe('bad tables', () => {
  it('a row with the wrong column count fails with its line number and leaves no output', async () => {
    const input = out('bad.csv');
    await writeFile(input, CLINICAL.replace('P002,2023-03-05,1965-11-02,Busan,', 'P002,2023-03-05,Busan,'));
    // Ingest's parser speaks first (same code and message as node ingest).
    await expect(pseudonymizeTableFile({ input, output: out('bad.out.csv'), key })).rejects.toMatchObject({ code: 'GENOFED_PHENOTYPE_FORMAT', message: 'bad.csv:3: row has 5 fields, the header has 6' });
    await expect(pseudonymizeTableFile({ input, output: out('bad.out.csv'), key, ingestCheck: false })).rejects.toThrow(/^bad\.csv: line 3: 5 columns, the header has 6$/);
    expect((await readdir(dir)).filter((f) => f.includes('bad.out'))).toEqual([]);
  });

  it('a value that is not a date in a date column fails without echoing it', async () => {
    const input = out('baddate.csv');
    await writeFile(input, CLINICAL.replace('2023-03-05', 'March 5th'));
    const err = await pseudonymizeTableFile({ input, output: out('baddate.out.csv'), key, dateColumns: ['visit_date'], ingestCheck: false }).then(() => new Error('no error'), (e: unknown) => e as Error);
    expect(err.message).toMatch(/^baddate\.csv: line 3: column 'visit_date' holds a value that is not a date/);
    expect(err.message).not.toContain('March');
  });

  it('an unterminated quote and an unknown column are reported', async () => {
    const input = out('quote.csv');
    await writeFile(input, 'id,x\n"P1,2\n');
    await expect(pseudonymizeTableFile({ input, output: out('quote.out.csv'), key })).rejects.toThrow(/^quote\.csv:2: unterminated quoted field$/);
    await expect(pseudonymizeTableFile({ input: out('clinical.csv'), output: out('nocol.csv'), key, dateColumns: ['dob'], ingestCheck: false })).rejects.toMatchObject({ code: 'GENOFED_USAGE' });
  });
});
