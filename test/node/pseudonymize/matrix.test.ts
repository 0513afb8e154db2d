/**
 * `pseudonymize table --matrix` on expression matrices in the forms sites
 * have them (TSV, gzip, R's write.csv with quoted names, R's write.table
 * header without a row-name column): the header's sample names become the
 * site's sample pseudonyms (the VCF's), every other byte is kept, and
 * `verify table --matrix` passes, with or without the key; it fails on a
 * raw name left in the header or a changed value. A matrix given without
 * --matrix, and a phenotype table given with it, are refused (either way a
 * raw id would survive).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../node/pseudonymize/checks.js';
import { pseudonym } from '../../../node/pseudonymize/pseudonym.js';
import { generateSiteKey } from '../../../node/pseudonymize/site-key.js';
import { pseudonymizeTableFile } from '../../../node/pseudonymize/table/pseudonymize-table.js';
import { verifyTable } from '../../../node/pseudonymize/table/verify-table.js';

const FIX = resolve(import.meta.dirname, '../../fixtures');
const PASILLA = join(FIX, 'expression/pasilla_gene_counts.tsv');
const NAMES = ['untreated1', 'untreated2', 'untreated3', 'untreated4', 'treated1', 'treated2', 'treated3'];

const key = generateSiteKey();
let scratch = '';
let text = '';
const at = (name: string): string => join(scratch, name);
const failed = (checks: CheckResult[]): string[] => checks.filter((c) => !c.ok).map((c) => c.name);

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'genofed-matrix-'));
  text = await readFile(PASILLA, 'utf8');
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('pseudonymize table --matrix', () => {
  it('gzip in, BGZF out: the header renamed, the decompressed body byte-identical, verify passes', async () => {
    await writeFile(at('counts.tsv.gz'), gzipSync(text));
    await pseudonymizeTableFile({ input: at('counts.tsv.gz'), output: at('counts.pz.tsv.gz'), key, matrix: true });
    const out = gunzipSync(await readFile(at('counts.pz.tsv.gz'))).toString('utf8');
    expect(out.slice(0, out.indexOf('\n'))).toBe(['gene_id', ...NAMES.map((s) => pseudonym(key, 'sample', s))].join('\t'));
    expect(out.slice(out.indexOf('\n'))).toBe(text.slice(text.indexOf('\n')));
    expect(failed(await verifyTable({ original: at('counts.tsv.gz'), pseudonymized: at('counts.pz.tsv.gz'), key, matrix: true }))).toEqual([]);
  });

  it("R's write.csv (quoted names, CRLF) keeps its quoting; R's write.table header (no row-name column) is renamed whole", async () => {
    const rows = text.trimEnd().split('\n').map((l) => l.split('\t'));
    const csv = rows.map((f, i) => (i === 0 ? ['""', ...f.slice(1).map((x) => `"${x}"`)] : [`"${f[0]}"`, ...f.slice(1)]).join(',')).join('\r\n') + '\r\n';
    await writeFile(at('counts.csv'), csv);
    await pseudonymizeTableFile({ input: at('counts.csv'), output: at('counts.pz.csv'), key, matrix: true });
    const out = await readFile(at('counts.pz.csv'), 'utf8');
    expect(out.slice(0, out.indexOf('\r\n'))).toBe(['""', ...NAMES.map((s) => `"${pseudonym(key, 'sample', s)}"`)].join(','));
    expect(out.slice(out.indexOf('\r\n'))).toBe(csv.slice(csv.indexOf('\r\n')));
    const rStyle = rows.map((f, i) => (i === 0 ? f.slice(1) : f).join('\t')).join('\n') + '\n';
    await writeFile(at('counts-r.tsv'), rStyle);
    await pseudonymizeTableFile({ input: at('counts-r.tsv'), output: at('counts-r.pz.tsv'), key, matrix: true });
    const outR = await readFile(at('counts-r.pz.tsv'), 'utf8');
    expect(outR.slice(0, outR.indexOf('\n'))).toBe(NAMES.map((s) => pseudonym(key, 'sample', s)).join('\t'));
    for (const [o, p] of [['counts.csv', 'counts.pz.csv'], ['counts-r.tsv', 'counts-r.pz.tsv']] as const) {
      expect(failed(await verifyTable({ original: at(o), pseudonymized: at(p), key, matrix: true }))).toEqual([]);
      expect(failed(await verifyTable({ original: at(o), pseudonymized: at(p), matrix: true }))).toEqual([]);
    }
  });

  it('verify fails on a raw sample name left in the header and on a changed value', async () => {
    await pseudonymizeTableFile({ input: PASILLA, output: at('ok.tsv'), key, matrix: true });
    const ok = await readFile(at('ok.tsv'), 'utf8');
    const header = ok.slice(0, ok.indexOf('\n')).split('\t');
    header[3] = 'untreated3';
    await writeFile(at('raw-left.tsv'), header.join('\t') + ok.slice(ok.indexOf('\n')));
    const leftKey = failed(await verifyTable({ original: PASILLA, pseudonymized: at('raw-left.tsv'), key, matrix: true }));
    expect(leftKey).toEqual(expect.arrayContaining(['header sample names are pseudonyms of the originals, in the same columns', 'no original id appears in the output']));
    expect(failed(await verifyTable({ original: PASILLA, pseudonymized: at('raw-left.tsv'), matrix: true }))).toEqual(expect.arrayContaining(['no original id appears in the output']));
    await writeFile(at('changed.tsv'), ok.replace('FBgn0000008\t92\t', 'FBgn0000008\t93\t'));
    expect(failed(await verifyTable({ original: PASILLA, pseudonymized: at('changed.tsv'), key, matrix: true }))).toEqual(expect.arrayContaining(['matrix body byte-identical']));
  });

  it('a matrix without --matrix is refused (its header would stay raw), unless the id columns are named', async () => {
    await expect(pseudonymizeTableFile({ input: PASILLA, output: at('as-table.tsv'), key })).rejects.toMatchObject({
      code: 'GENOFED_USAGE',
      message: 'pasilla_gene_counts.tsv: looks like a genes x samples expression matrix (gene ids in the first column, numbers elsewhere), whose header names are the sample ids: give --matrix to pseudonymize them, or --id-column to pseudonymize it as a table',
    });
    await expect(pseudonymizeTableFile({ input: PASILLA, output: at('as-table.tsv'), key, idColumns: ['gene_id'] })).resolves.toMatchObject({ matrix: false });
  });

  it('--matrix on a phenotype table is refused naming line and column (its id column would stay raw)', async () => {
    await writeFile(at('pheno.tsv'), 'sample\tage\tsex\nP001\t61\tF\nP002\t45\tM\n');
    // Ingest's matrix parser speaks first: the same code and message as node ingest --expression.
    await expect(pseudonymizeTableFile({ input: at('pheno.tsv'), output: at('pheno.pz.tsv'), key, matrix: true })).rejects.toMatchObject({
      code: 'GENOFED_EXPRESSION_FORMAT',
      message: expect.stringMatching(/^pheno\.tsv:2: column 3: /),
    });
    await expect(pseudonymizeTableFile({ input: at('pheno.tsv'), output: at('pheno.pz.tsv'), key, matrix: true, ingestCheck: false })).rejects.toMatchObject({
      code: 'GENOFED_INPUT_FORMAT',
      message: expect.stringMatching(/^pheno\.tsv: line 2: column 3 is not a number: --matrix takes a genes x samples matrix/),
    });
    // Missing values in a matrix are kept as they are, when the matrix is not meant for ingest (which refuses them).
    await writeFile(at('na.tsv'), 'gene\ta\tb\nENSG00000141510\tNA\t3\n');
    await expect(pseudonymizeTableFile({ input: at('na.tsv'), output: at('na.pz.tsv'), key, matrix: true })).rejects.toMatchObject({ code: 'GENOFED_EXPRESSION_FORMAT', message: expect.stringMatching(/^na\.tsv:2: column 2: /) });
    await expect(pseudonymizeTableFile({ input: at('na.tsv'), output: at('na.pz.tsv'), key, matrix: true, ingestCheck: false })).resolves.toMatchObject({ matrix: true });
  });
});
