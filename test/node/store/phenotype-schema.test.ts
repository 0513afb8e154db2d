/**
 * The store under a consortium phenotype schema, on the 1000 Genomes
 * panel plus hospital-export columns: only schema columns are stored
 * (the others reported by name), numbers as the lower edge of their bin,
 * values outside the schema refused by file, line and column; the schema
 * and its fingerprint live in the store and every node-side cohort check
 * enforces its values and bins. Without a schema, identifier-like columns
 * are refused. A replacement table that drops a schema column or matches
 * no genotyped sample leaves the store as it was.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { readPhenotypeSchemaFile } from '../../../node/phenotypes/index.js';
import { pseudonym } from '../../../node/pseudonymize/pseudonym.js';
import { generateSiteKey } from '../../../node/pseudonymize/site-key.js';
import { pseudonymizeVcfFile } from '../../../node/pseudonymize/vcf/pseudonymize-vcf.js';
import { ingest, openStore, type IngestOptions } from '../../../node/store/index.js';
import { SCHEMA_FORMAT, parsePhenotypeSchema, schemaFingerprint } from '../../../proto/phenotype-schema.js';
import { ROSTER_FORMAT, publicKeyBase64 } from '../../../proto/roster.js';
import { ALL_COLUMNS, BEACON, panelRows, writePanel, type PanelRow } from '../panel-copy.js';

const POPS = ['ACB', 'ASW', 'BEB', 'CDX', 'CEU', 'CHB', 'CHS', 'CLM', 'ESN', 'FIN', 'GBR', 'GIH', 'GWD', 'IBS', 'ITU', 'JPT', 'KHV', 'LWK', 'MSL', 'MXL', 'PEL', 'PJL', 'PUR', 'STU', 'TSI', 'YRI'];
const AGE_BINS = [0, 18, 30, 40, 50, 60, 65, 70, 120];
const RAW_SCHEMA = {
  format: SCHEMA_FORMAT, version: 1,
  columns: [
    { name: 'super_pop', type: 'categorical', values: ['AFR', 'AMR', 'EAS', 'EUR', 'SAS'] },
    { name: 'pop', type: 'categorical', values: POPS },
    { name: 'gender', type: 'categorical', values: ['male', 'female'] },
    { name: 'age', type: 'integer', bins: AGE_BINS },
  ],
};
const SCHEMA = parsePhenotypeSchema(RAW_SCHEMA);
const FP = schemaFingerprint(SCHEMA);

const rows = panelRows();
let scratch = '';
let full = '';
let n = 0;
const fresh = (): string => join(scratch, `store-${++n}`);
const raw = (o: Omit<IngestOptions, 'rawIds' | 'siteKey' | 'keyFile' | 'unverifiedPseudonyms'>): IngestOptions => ({ rawIds: true, ...o });

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'genofed-schema-'));
  full = await writePanel(scratch, 'panel-full.tsv', rows, ALL_COLUMNS);
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function withStore<T>(dir: string, fn: (s: Awaited<ReturnType<typeof openStore>>) => Promise<T>): Promise<T> {
  const store = await openStore(dir, { readOnly: true });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function snapshot(dir: string): Promise<unknown> {
  return withStore(dir, async (s) => ({ summary: await s.summary(), columns: s.phenotypeColumns(), eur: await s.cohortCount('super_pop = EUR'), by: await s.cohortMembers('', { by: 'gender' }) }));
}

async function refusal(dir: string, options: IngestOptions): Promise<Error & { code: string }> {
  return ingest(dir, options).then(() => { throw new Error('ingest was not refused'); }, (e: unknown) => e as Error & { code: string });
}

describe('ingest with a consortium schema', () => {
  let dir = '';
  beforeAll(async () => {
    dir = fresh();
  });

  it('stores only the schema columns, in schema order, and reports the others by name', async () => {
    const report = await ingest(dir, raw({ vcfs: [BEACON], phenotypes: full, schema: SCHEMA }));
    expect(report.phenotypeColumns).toEqual(['super_pop', 'pop', 'gender', 'age']);
    expect(report.phenotypeColumnsNotStored).toEqual(['patient_id', 'mrn_no', 'phone', 'zip', 'first_name', 'date_of_birth']);
    expect(report).toMatchObject({ phenotypeRows: 2504, samplesWithoutPhenotypes: 0, phenotypeSchema: FP });
  });

  it('keeps the schema JSON and its fingerprint in the meta table', async () => {
    const db = await DuckDBInstance.create(join(dir, 'store.duckdb'), { access_mode: 'READ_ONLY' });
    const c = await db.connect();
    try {
      const meta = Object.fromEntries((await c.runAndReadAll(`SELECT key, value FROM meta WHERE key LIKE 'phenotype_schema%'`)).getRows().map((r) => [String(r[0]), String(r[1])]));
      expect(meta.phenotype_schema_sha256).toBe(FP);
      expect(parsePhenotypeSchema(JSON.parse(meta.phenotype_schema!))).toEqual(SCHEMA);
      const stored = (await c.runAndReadAll('SELECT DISTINCT age FROM phenotypes ORDER BY age')).getRows().map((r) => Number(r[0]));
      expect(stored.every((a) => AGE_BINS.includes(a))).toBe(true); // lower bin edges only
      expect(stored).toEqual([18, 30, 40, 50, 60, 65, 70]);
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });

  it('gives every node-side cohort check the allowed values and bin edges, and the fingerprint', async () => {
    await withStore(dir, async (s) => {
      expect(s.phenotypeSchemaFingerprint()).toBe(FP);
      expect(s.phenotypeSchema()).toEqual(SCHEMA);
      expect(s.phenotypeColumns()).toEqual([
        { name: 'super_pop', type: 'categorical', values: ['AFR', 'AMR', 'EAS', 'EUR', 'SAS'] },
        { name: 'pop', type: 'categorical', values: POPS },
        { name: 'gender', type: 'categorical', values: ['male', 'female'] },
        { name: 'age', type: 'integer', bins: AGE_BINS },
      ]);
      expect((await s.summary()).phenotypeSchema).toBe(FP);
      const inBin = (r: PanelRow): boolean => r.age >= 60 && r.age < 65;
      expect(await s.cohortCount('age >= 60 and age < 65')).toBe(rows.filter(inBin).length);
      expect(await s.cohortCount("age >= 60 and age < 65 and super_pop = 'EUR'")).toBe(rows.filter((r) => inBin(r) && r.super_pop === 'EUR').length);
      await expect(s.cohortCount('age = 61')).rejects.toMatchObject({ code: 'GENOFED_BAD_COHORT', message: expect.stringContaining("column 'age' is binned: use >= or < with a bin edge (0, 18, 30, 40, 50, 60, 65, 70, 120), not '='") });
      await expect(s.alleleCounts({ region: { chrom: '1', start: 1, end: 20_000 }, cohort: 'age > 60' })).rejects.toMatchObject({ code: 'GENOFED_BAD_COHORT' });
      await expect(s.cohortCount("pop = 'XYZ'")).rejects.toThrow("value 'XYZ' is not in the consortium schema; allowed: ACB, ASW");
      await expect(s.cohortCount('patient_id = 100017')).rejects.toMatchObject({ code: 'GENOFED_BAD_COHORT', message: expect.stringContaining("unknown column 'patient_id'; known columns: super_pop, pop, gender, age") });
      const byAge = (await s.cohortMembers('', { by: 'age' })) as Map<string, Uint32Array>;
      expect([...byAge.keys()]).toEqual(['18', '30', '40', '50', '60', '65', '70']);
    });
  });

  it('refuses a value outside the schema by file, line and column, never echoing it; the store is unchanged', async () => {
    const before = await snapshot(dir);
    const badPop = rows.map((r, i) => (i === 9 ? { ...r, pop: 'XYZ' } : r));
    const f1 = await writePanel(scratch, 'bad-pop.tsv', badPop, ALL_COLUMNS);
    expect(await refusal(dir, raw({ phenotypes: f1, schema: SCHEMA }))).toMatchObject({ code: 'GENOFED_PHENOTYPE_SCHEMA', message: "bad-pop.tsv:11: column 'pop' holds a value outside the consortium schema" });
    const old = rows.map((r, i) => (i === 2 ? { ...r, age: 130 } : r));
    const f2 = await writePanel(scratch, 'bad-age.tsv', old, ALL_COLUMNS);
    const err = await refusal(dir, raw({ phenotypes: f2 }));
    expect(err).toMatchObject({ code: 'GENOFED_PHENOTYPE_SCHEMA', message: "bad-age.tsv:4: column 'age' holds a value outside the consortium schema" });
    expect(err.message).not.toContain('130');
    expect(await snapshot(dir)).toEqual(before);
  });

  it('refuses a replacement table that lacks a schema column (the stored schema applies), naming it; the store is unchanged', async () => {
    const before = await snapshot(dir);
    const noGender = await writePanel(scratch, 'no-gender.tsv', rows, ['sample', 'pop', 'super_pop', 'age']);
    for (const schema of [undefined, SCHEMA]) {
      expect(await refusal(dir, raw({ phenotypes: noGender, ...(schema ? { schema } : {}) }))).toMatchObject({ code: 'GENOFED_PHENOTYPE_SCHEMA', message: "no-gender.tsv:1: column 'gender' of the consortium schema is missing from the table" });
    }
    expect(await snapshot(dir)).toEqual(before);
  });

  it('refuses a replacement table none of whose ids is a genotyped sample; the store is unchanged', async () => {
    const before = await snapshot(dir);
    const key = generateSiteKey();
    const foreign = await writePanel(scratch, 'foreign-ids.tsv', rows, ALL_COLUMNS, (s) => pseudonym(key, 'sample', s));
    expect(await refusal(dir, raw({ phenotypes: foreign }))).toMatchObject({ code: 'GENOFED_PHENOTYPE_UNMATCHED', message: expect.stringMatching(/^foreign-ids\.tsv: none of the table's 2504 sample ids matches a genotyped sample/) });
    expect(await snapshot(dir)).toEqual(before);
    // Some ids without genotypes are fine: reported as today.
    const partial = await writePanel(scratch, 'partial.tsv', rows.map((r, i) => (i < 4 ? { ...r, sample: `extra${i}` } : r)), ALL_COLUMNS);
    const report = await ingest(dir, raw({ phenotypes: partial }));
    expect(report).toMatchObject({ phenotypeRowsWithoutGenotypes: 4, samplesWithoutPhenotypes: 4, phenotypeSchema: FP });
  });

  it('takes a different schema only together with a table re-ingested under it', async () => {
    const other = parsePhenotypeSchema({ ...RAW_SCHEMA, columns: [...RAW_SCHEMA.columns.slice(0, 3), { name: 'age', type: 'integer', bins: [0, 40, 65, 120] }] });
    expect(await refusal(dir, raw({ vcfs: [], schema: other }))).toMatchObject({ code: 'GENOFED_PHENOTYPE_SCHEMA', message: expect.stringContaining("differs from the store's") });
    const report = await ingest(dir, raw({ phenotypes: full, schema: other }));
    expect(report.phenotypeSchema).toBe(schemaFingerprint(other));
    await withStore(dir, async (s) => {
      expect(s.phenotypeSchemaFingerprint()).toBe(schemaFingerprint(other));
      await expect(s.cohortCount('age >= 60')).rejects.toThrow(/60 is not a bin edge; edges: 0, 40, 65, 120/);
      expect(await s.cohortCount('age >= 40 and age < 65')).toBe(rows.filter((r) => r.age >= 40 && r.age < 65).length);
    });
  });
});

describe('a schema before any phenotype table', () => {
  it('is stored by itself, and applies to the table ingested later', async () => {
    const dir = fresh();
    await ingest(dir, raw({ vcfs: [BEACON] }));
    expect((await ingest(dir, raw({ schema: SCHEMA }))).phenotypeSchema).toBe(FP);
    const report = await ingest(dir, raw({ phenotypes: full }));
    expect(report).toMatchObject({ phenotypeColumns: ['super_pop', 'pop', 'gender', 'age'], phenotypeSchema: FP });
    expect(report.phenotypeColumnsNotStored).toContain('patient_id');
  });
});

describe('the schema file', () => {
  it('is a schema JSON, or a roster file whose roster.schema is used', async () => {
    const schemaFile = join(scratch, 'schema.json');
    await writeFile(schemaFile, JSON.stringify(RAW_SCHEMA));
    expect(schemaFingerprint(await readPhenotypeSchemaFile(schemaFile))).toBe(FP);
    const ed = (): string => publicKeyBase64(generateKeyPairSync('ed25519').publicKey);
    const roster = {
      roster: {
        format: ROSTER_FORMAT, version: 1, consortium: 'test', epoch: 1, previous: null, issuedAt: '2026-01-01T00:00:00Z',
        coordinator: { id: 'coord', signingKey: ed(), bfvPublicKeySha256: '0'.repeat(64), preset: 'test' },
        sites: [{ id: 'site-a', x25519: publicKeyBase64(generateKeyPairSync('x25519').publicKey), signingKey: ed() }],
        schema: RAW_SCHEMA,
      },
      signatures: [],
    };
    const rosterFile = join(scratch, 'roster.json');
    await writeFile(rosterFile, JSON.stringify(roster));
    expect(schemaFingerprint(await readPhenotypeSchemaFile(rosterFile))).toBe(FP);
    await writeFile(join(scratch, 'bad.json'), JSON.stringify({ ...RAW_SCHEMA, columns: [{ name: 'patient_id', type: 'categorical', values: ['1'] }] }));
    await expect(readPhenotypeSchemaFile(join(scratch, 'bad.json'))).rejects.toMatchObject({ code: 'GENOFED_BAD_SCHEMA', message: expect.stringContaining("column 'patient_id' looks like an identifier") });
  });
});

describe('ingest without a schema', () => {
  const key = generateSiteKey();
  let pz = '';
  beforeAll(async () => {
    pz = join(scratch, 'beacon.pz.vcf.gz');
    await pseudonymizeVcfFile({ input: BEACON, output: pz, key });
  }, 60_000);

  it('refuses identifier-like columns, by name and by all-distinct values, naming each and what to do', async () => {
    const withLab = rows.map((r, i) => ({ ...r, lab_value: (i * 0.37 + 50).toFixed(2) }));
    const f = join(scratch, 'pz-identifiers.tsv');
    await writeFile(f, `${['sample', 'pop', 'age', 'patient_id', 'lab_value'].join('\t')}\n${withLab.map((r) => [pseudonym(key, 'sample', r.sample), r.pop, r.age, r.patient_id, r.lab_value].join('\t')).join('\n')}\n`);
    const dir = fresh();
    const err = await refusal(dir, { siteKey: key, vcfs: [pz], phenotypes: f });
    expect(err).toMatchObject({ code: 'GENOFED_PHENOTYPE_IDENTIFIER' });
    expect(err.message).toBe("pz-identifiers.tsv: columns 'patient_id' (identifier-like name), 'lab_value' (a distinct value in every row) would single people out and cannot be query columns; give the consortium schema (--schema FILE: only its columns are stored, numbers binned) or remove them from the table");
    for (const col of ['mrn_no', 'phone', 'zip', 'first_name', 'date_of_birth']) {
      const one = await writePanel(scratch, `pz-${col}.tsv`, rows, ['sample', 'pop', col as keyof PanelRow], (s) => pseudonym(key, 'sample', s));
      expect(await refusal(dir, { siteKey: key, vcfs: [pz], phenotypes: one })).toMatchObject({ code: 'GENOFED_PHENOTYPE_IDENTIFIER', message: expect.stringContaining(`column '${col}' (identifier-like name)`) });
    }
    const ok = await writePanel(scratch, 'pz-ok.tsv', rows, ['sample', 'pop', 'super_pop', 'gender', 'age'], (s) => pseudonym(key, 'sample', s));
    const report = await ingest(dir, { siteKey: key, vcfs: [pz], phenotypes: ok });
    expect(report).toMatchObject({ phenotypeColumns: ['pop', 'super_pop', 'gender', 'age'], phenotypeSchema: null, identifierColumnsAccepted: [] });
    await withStore(dir, async (s) => {
      expect(s.phenotypeSchemaFingerprint()).toBeNull();
      expect(await s.cohortCount('age = 61')).toBe(rows.filter((r) => r.age === 61).length); // no schema: no bins
    });
  });

  it('with raw ids accepted deliberately, still refuses identifier-like names and all-distinct columns (--raw-ids is about sample ids only)', async () => {
    const dir = fresh();
    expect(await refusal(dir, raw({ vcfs: [BEACON], phenotypes: full }))).toMatchObject({ code: 'GENOFED_PHENOTYPE_IDENTIFIER', message: expect.stringContaining("columns 'patient_id' (identifier-like name), 'mrn_no' (identifier-like name), 'phone' (identifier-like name), 'zip' (identifier-like name), 'first_name' (identifier-like name), 'date_of_birth' (identifier-like name)") });
    const f = join(scratch, 'raw-pid.tsv');
    await writeFile(f, `sample\tpop\tpid\n${rows.map((r, i) => `${r.sample}\t${r.pop}\t${i + 1}`).join('\n')}\n`);
    expect(await refusal(dir, raw({ vcfs: [BEACON], phenotypes: f }))).toMatchObject({ code: 'GENOFED_PHENOTYPE_IDENTIFIER', message: expect.stringContaining("'pid' (a distinct value in every row)") });
  });
});
