/**
 * An expression matrix joins the same patients as the VCF and the phenotype
 * table: a site pseudonymizes all three with its key (`pseudonymize table
 * --matrix` renames the header with the VCF's pseudonyms), ingests them,
 * and the matrix's samples are the VCF's store samples; samples only in the
 * matrix get an identity of their own without counting as genotyped; a
 * cohort selects expression samples by phenotype, genotypes not required.
 * Refused: a matrix with raw names (GENOFED_NOT_PSEUDONYMIZED) and one under
 * another key (GENOFED_EXPRESSION_UNMATCHED), the store unchanged. Also
 * through the admin socket of a process holding the store, and the CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudonym } from '../../../node/pseudonymize/pseudonym.js';
import { generateSiteKey, writeSiteKeyFile } from '../../../node/pseudonymize/site-key.js';
import { pseudonymizeTableFile } from '../../../node/pseudonymize/table/pseudonymize-table.js';
import { verifyTable } from '../../../node/pseudonymize/table/verify-table.js';
import { pseudonymizeVcfFile } from '../../../node/pseudonymize/vcf/pseudonymize-vcf.js';
import { connectAdmin, ingest, openStore, startAdminSocket, type IngestOptions, type Store } from '../../../node/store/index.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const PASILLA = join(ROOT, 'test/fixtures/expression/pasilla_gene_counts.tsv');
const MATRIX_SAMPLES = ['untreated1', 'untreated2', 'untreated3', 'untreated4', 'treated1', 'treated2', 'treated3'];
/** Genotyped: every matrix sample but untreated4, and one sample without expression values. */
const VCF_SAMPLES = ['untreated1', 'untreated2', 'untreated3', 'treated1', 'treated2', 'treated3', 'extra1'];
/** Phenotyped: every sample but treated3. */
const PHENOTYPES: [string, string][] = [['untreated1', 'untreated'], ['untreated2', 'untreated'], ['untreated3', 'untreated'], ['untreated4', 'untreated'], ['treated1', 'treated'], ['treated2', 'treated'], ['extra1', 'untreated']];

const key = generateSiteKey();
const other = generateSiteKey();
let scratch = '';
let keyFile = '';
let n = 0;
const fresh = (): string => join(scratch, `store-${++n}`);
const pz = { vcf: '', table: '', matrix: '', raw: { vcf: '', table: '' } };

function vcfText(samples: readonly string[]): string {
  const gts = ['0/0', '0/1', '1/1'];
  const rows = [1000, 2000, 3000].map((pos, r) => ['1', String(pos), '.', 'A', 'G', '.', 'PASS', '.', 'GT', ...samples.map((_, i) => gts[(i + r) % 3]!)].join('\t'));
  return ['##fileformat=VCFv4.2', '##contig=<ID=1,length=249250621>', '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', ...samples].join('\t'), ...rows, ''].join('\n');
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'genofed-expr-link-'));
  keyFile = join(scratch, 'site.key');
  await writeSiteKeyFile(keyFile, key);
  pz.raw.vcf = join(scratch, 'raw.vcf');
  await writeFile(pz.raw.vcf, vcfText(VCF_SAMPLES));
  pz.raw.table = join(scratch, 'raw-phenotypes.tsv');
  await writeFile(pz.raw.table, ['sample\tcondition', ...PHENOTYPES.map((r) => r.join('\t')), ''].join('\n'));
  pz.vcf = join(scratch, 'site.pz.vcf');
  await pseudonymizeVcfFile({ input: pz.raw.vcf, output: pz.vcf, key });
  pz.table = join(scratch, 'phenotypes.pz.tsv');
  await pseudonymizeTableFile({ input: pz.raw.table, output: pz.table, key });
  pz.matrix = join(scratch, 'pasilla.pz.tsv');
  await pseudonymizeTableFile({ input: PASILLA, output: pz.matrix, key, matrix: true });
}, 120_000);
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function withStore<T>(dir: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const s = await openStore(dir, { readOnly: true });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

async function refusal(dir: string, options: IngestOptions): Promise<Error & { code: string }> {
  return ingest(dir, options).then(() => { throw new Error('ingest was not refused'); }, (e: unknown) => e as Error & { code: string });
}

async function snapshot(dir: string): Promise<unknown> {
  return withStore(dir, async (s) => ({ summary: await s.summary(), info: s.expressionInfo(), members: s.expressionInfo() ? [...(await s.expressionMembers())] : null, genotyped: [...(await s.cohortMembers()) as Uint32Array] }));
}

/** The site's pseudonym of a sample id. */
const pzName = (id: string): string => pseudonym(key, 'sample', id);

describe('pseudonymize, then ingest VCF, phenotypes and matrix together', () => {
  let dir = '';
  beforeAll(async () => {
    dir = fresh();
  });

  it('the matrix header carries the VCF\'s pseudonyms, its values byte-identical (verify table --matrix passes)', async () => {
    const out = await readFile(pz.matrix, 'utf8');
    const vcf = await readFile(pz.vcf, 'utf8');
    const header = out.slice(0, out.indexOf('\n')).split('\t');
    expect(header).toEqual(['gene_id', ...MATRIX_SAMPLES.map(pzName)]);
    for (const s of MATRIX_SAMPLES.filter((x) => VCF_SAMPLES.includes(x))) expect(vcf).toContain(`\t${pzName(s)}`);
    expect(out).not.toMatch(/treated\d/);
    expect((await verifyTable({ original: PASILLA, pseudonymized: pz.matrix, key, matrix: true })).filter((c) => !c.ok)).toEqual([]);
  });

  it('ingests with the site key and reports the samples without genotypes and without phenotypes (counts only)', async () => {
    const report = await ingest(dir, { keyFile, vcfs: [pz.vcf], phenotypes: pz.table, expression: pz.matrix });
    expect(report).toMatchObject({ files: 1, samples: 7, phenotypeRows: 7, samplesWithoutPhenotypes: 1, phenotypeRowsWithoutGenotypes: 1, warnings: [] });
    expect(report.expression).toEqual({ ingested: true, values: 'counts', genes: 14599, samples: 7, samplesWithoutGenotypes: 1, samplesWithoutPhenotypes: 1 });
    expect(JSON.stringify(report)).not.toMatch(/treated|extra1|[a-z2-7]{26}/);
  });

  it('a cohort selects expression samples by phenotype, genotypes not required; genotype queries still count genotyped samples only', async () => {
    await withStore(dir, async (s) => {
      expect((await s.summary()).samples).toBe(7);
      expect(await s.cohortCount('')).toBe(7);
      expect(await s.cohortCount('condition = untreated')).toBe(4); // untreated1-3, extra1
      const genoTreated = (await s.cohortMembers('condition = treated')) as Uint32Array;
      const exprTreated = await s.expressionMembers('condition = treated');
      // The same patients, the same store indices: treated1 and treated2 (treated3 has no phenotype row).
      expect([...exprTreated]).toEqual([...genoTreated]);
      expect(exprTreated.length).toBe(2);
      const exprUntreated = await s.expressionMembers('condition = untreated');
      expect(exprUntreated.length).toBe(4); // untreated1-4: untreated4 has no genotypes, extra1 no expression values
      const genoUntreated = (await s.cohortMembers('condition = untreated')) as Uint32Array;
      expect([...genoUntreated].filter((x) => exprUntreated.includes(x)).length).toBe(3);
      expect((await s.expressionMembers()).length).toBe(7);
      const e = (await s.expression())!;
      const byCondition = (await e.members('', { by: ['condition'] })) as Map<string, Uint32Array>;
      expect([...byCondition.keys()]).toEqual(['treated', 'untreated', 'NA']);
      expect(byCondition.get('treated')).toEqual(exprTreated);
    });
  });

  it('the matrix first, then VCF and phenotypes: the VCF reuses the matrix\'s identities', async () => {
    const d = fresh();
    expect((await ingest(d, { unverifiedPseudonyms: true, expression: pz.matrix })).expression).toMatchObject({ samples: 7, samplesWithoutGenotypes: 7 });
    // A phenotype table may link to expression samples alone.
    const r2 = await ingest(d, { unverifiedPseudonyms: true, phenotypes: pz.table });
    expect(r2).toMatchObject({ samples: 0, expression: { ingested: false, samplesWithoutGenotypes: 7, samplesWithoutPhenotypes: 1 } });
    const r3 = await ingest(d, { siteKey: key, vcfs: [pz.vcf] });
    expect(r3).toMatchObject({ samples: 7, expression: { ingested: false, samplesWithoutGenotypes: 1, samplesWithoutPhenotypes: 1 } });
    await withStore(d, async (s) => {
      expect([...(await s.expressionMembers('condition = treated'))]).toEqual([...((await s.cohortMembers('condition = treated')) as Uint32Array)]);
      // Identities: the matrix's 7 (0-6), then extra1 (7), the only VCF sample new to the store.
      expect([...((await s.cohortMembers()) as Uint32Array)]).toEqual([0, 1, 2, 4, 5, 6, 7]);
    });
  });

  it('refuses a matrix with raw sample names and one pseudonymized under another key; the store unchanged', async () => {
    const before = await snapshot(dir);
    const raw = await refusal(dir, { keyFile, expression: PASILLA });
    expect(raw.code).toBe('GENOFED_NOT_PSEUDONYMIZED');
    expect(raw.message).toBe('pasilla_gene_counts.tsv:1: 7 of 7 sample columns are not named with genofed pseudonyms; run genofed pseudonymize table --matrix on it with the site key first, or pass --raw-ids to ingest raw sample ids deliberately');
    const foreign = join(scratch, 'pasilla.other.tsv');
    await pseudonymizeTableFile({ input: PASILLA, output: foreign, key: other, matrix: true });
    const err = await refusal(dir, { keyFile, expression: foreign });
    expect(err.code).toBe('GENOFED_EXPRESSION_UNMATCHED');
    expect(err.message).toMatch(/^pasilla\.other\.tsv: none of the matrix's 7 sample columns is a sample of the store/);
    expect(err.message).not.toMatch(/[a-z2-7]{26}/);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('ingests a matrix through the admin socket of the process holding the store', async () => {
    const d = fresh();
    await ingest(d, { siteKey: key, vcfs: [pz.vcf] });
    const store = await openStore(d);
    const logs: unknown[] = [];
    const log = { info: (o: unknown) => { logs.push(o); }, warn: (o: unknown) => { logs.push(o); } };
    const socket = await startAdminSocket(store, { dir: d, logger: log as never });
    try {
      const admin = await connectAdmin(d);
      const report = await admin!.ingest({ vcfs: [], unverifiedPseudonyms: true, expression: pz.matrix, expressionValues: 'counts' });
      expect(report.expression).toEqual({ ingested: true, values: 'counts', genes: 14599, samples: 7, samplesWithoutGenotypes: 1, samplesWithoutPhenotypes: 7 });
      expect(store.expressionInfo()).toEqual({ values: 'counts', genes: 14599, samples: 7 });
      await expect(admin!.ingest({ vcfs: [], unverifiedPseudonyms: true, expression: pz.matrix, expressionValues: 'tpm' as 'log' })).rejects.toMatchObject({ code: 'GENOFED_ADMIN_SOCKET' });
    } finally {
      await socket.close();
      await store.close();
    }
    expect(JSON.stringify(logs)).not.toContain('pasilla');
  });
});

describe('the CLI', () => {
  function cli(...args: string[]): { code: number | null; out: string; err: string } {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/genofed.js'), ...args], { encoding: 'utf8', cwd: scratch });
    return { code: r.status, out: r.stdout, err: r.stderr };
  }

  it('pseudonymize table refuses a matrix without --matrix; with it, node ingest --expression prints the counts', async () => {
    const noFlag = cli('pseudonymize', 'table', '--in', PASILLA, '--out', 'x.tsv', '--key-file', keyFile);
    expect(noFlag.code).not.toBe(0);
    expect(noFlag.err).toContain('GENOFED_USAGE');
    expect(noFlag.err).toContain('looks like a genes x samples expression matrix');
    expect(existsSync(join(ROOT, 'dist/bin/genofed.js'))).toBe(true); // npm test builds dist first
    expect(cli('pseudonymize', 'table', '--matrix', '--in', PASILLA, '--out', 'm.tsv', '--key-file', keyFile).code).toBe(0);
    const store = fresh();
    const r = cli('node', 'ingest', '--store', store, '--key-file', keyFile, '--vcf', pz.vcf, '--expression', 'm.tsv', '--values', 'counts');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('expression: 14599 genes x 7 samples (counts) from m.tsv; it replaces any earlier matrix\n');
    expect(r.out).toContain('expression samples without genotypes: 1\n');
    expect(r.out).toContain('expression samples without phenotypes: 7\n');
    const usage = cli('node', 'ingest', '--store', store, '--key-file', keyFile, '--values', 'log', '--vcf', pz.vcf);
    expect(usage.code).not.toBe(0);
    expect(usage.err).toContain('--values applies to an expression matrix');
  });
});
