/**
 * `genofed scan` as a release gate (issue 13, deliverable 5): exit 0 on a
 * clean pseudonymized file (shifted dates in the declared `--date-columns`
 * are legitimate), 1 on findings (1000 Genomes and other cohort sample ids
 * in a raw table), 2 on errors (a file node ingest would reject, with its
 * message; an unreadable file; bad usage). Also: `pseudonymize table`
 * prints each column's fate on stdout, for a table and for `--matrix`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COHORT_SAMPLE_ID, scanFile } from '../../../node/pseudonymize/scan.js';
import { FIXTURES, ROOT, run } from './tools.js';

const CLI = join(ROOT, 'bin', 'genofed.js');
let dir: string;

function genofed(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: dir, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-scan-gate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A visit table with one row per person (ingest's rule) and a date column; ids from the 1000 Genomes panel. */
const VISITS = [
  'sample,visit_date,age_group,smoker',
  ...['HG00096', 'HG00097', 'HG00099', 'NA12878', 'NA12891', 'NA12892', 'HG00100', 'HG00101'].map((id, i) => `${id},2023-0${(i % 9) + 1}-1${i},${['40-49', '50-59'][i % 2]},${['yes', 'no'][i % 2]}`),
].join('\n') + '\n';

describe('cohort sample ids', () => {
  it('match 1000 Genomes, Coriell, HGDP, TCGA and GTEx ids as whole cells and nothing like gene ids, missing values or numbers', () => {
    for (const id of ['HG00096', 'NA12878', 'HGDP00001', 'TCGA-02-0001', 'TCGA-02-0001-01C-01D-0182-01', 'GTEX-1117F', 'GTEX-111CU-0226-SM-5GZXC']) expect(COHORT_SAMPLE_ID.test(id), id).toBe(true);
    for (const v of ['NA', 'HG0009', 'HG000961', 'xHG00096', 'FBgn0000003', 'ENSG00000141510', '1234567', 'TCGA', 'tcga-02-0001']) expect(COHORT_SAMPLE_ID.test(v), v).toBe(false);
  });

  it('flag the 1000 Genomes ids of the real panel table per column, and none in the pasilla count matrix', async () => {
    const r = await scanFile(join(FIXTURES, 'panel/igsr_samples.tsv'));
    const cohort = r.findings.filter((f) => f.kind.startsWith('cohort sample id'));
    expect(cohort.map((f) => f.where)).toEqual(['column 1 (Sample name)']);
    // Counted independently with cut and grep -E over the first column.
    const expected = Number(run('sh', ['-c', "cut -f1 \"$1\" | tail -n +2 | grep -cE '^((HG|NA)[0-9]{5}|HGDP[0-9]{5})$'", 'sh', join(FIXTURES, 'panel/igsr_samples.tsv')]).stdout.trim());
    expect(expected).toBe(3522 + 949);
    expect(cohort[0]!.count).toBe(expected);
    const pasilla = await scanFile(join(FIXTURES, 'expression/pasilla_gene_counts.tsv'));
    expect(pasilla.findings.filter((f) => f.kind.startsWith('cohort'))).toEqual([]);
  });
});

describe('genofed scan exit codes', () => {
  it('needs the compiled CLI', () => {
    expect(existsSync(join(ROOT, 'dist', 'bin', 'genofed.js')), 'run `npx tsc -p tsconfig.json` first').toBe(true);
  });

  it('exits 1 on a raw table with cohort sample ids, and 0 on its pseudonymized copy when the shifted date column is declared', async () => {
    expect((await genofed(['key', 'generate', '--out', 'site.key'])).code).toBe(0);
    await writeFile(join(dir, 'visits.csv'), VISITS);
    const raw = await genofed(['scan', 'visits.csv']);
    expect(raw.code).toBe(1);
    expect(raw.stdout).toMatch(/cohort sample id \(1000 Genomes HG\/NA, HGDP, TCGA barcode, GTEx\): 8 \(first at column 1 \(sample\)\)/);
    expect(raw.stdout).not.toMatch(/HG00096|NA12878/);
    const p = await genofed(['pseudonymize', 'table', '--in', 'visits.csv', '--out', 'visits.pz.csv', '--key-file', 'site.key', '--date-columns', 'visit_date']);
    expect(p.code).toBe(0);
    expect(p.stdout).toBe('columns pseudonymized: sample\ncolumns shifted: visit_date\ncolumns kept: age_group, smoker\ncolumns dropped: -\n');
    const clean = await genofed(['scan', 'visits.pz.csv', '--date-columns', 'visit_date']);
    expect(clean.stdout).toMatch(/nothing found/);
    expect(clean.code).toBe(0);
    // Without the declaration, the shifted dates are dates like any other: a finding.
    const undeclared = await genofed(['scan', 'visits.pz.csv']);
    expect(undeclared.code).toBe(1);
    expect(undeclared.stdout).toMatch(/^date: 8 \(first at line 2, column 2\)$/m);
  });

  it('exits 0 on a pseudonymized real VCF and 1 on its original', async () => {
    const input = join(FIXTURES, 'vcf/small_tricky/VariantAnnotation_ex2.vcf');
    expect((await genofed(['pseudonymize', 'vcf', '--in', input, '--out', 'ex2.vcf', '--key-file', 'site.key'])).code).toBe(0);
    expect((await genofed(['scan', 'ex2.vcf'])).code).toBe(0);
    expect((await genofed(['scan', input])).code).toBe(1);
  });

  it('exits 2 with ingest\'s code and file:line message on a VCF ingest rejects, and on an unreadable file or bad usage', async () => {
    const malformed = join(FIXTURES, 'malformed/VariantAnnotation_fewer-FORMAT-than-GENO.vcf');
    const bad = await genofed(['scan', malformed]);
    expect(bad.code).toBe(2);
    // The message names the file; the path as typed follows, on this terminal only (proto/operator-path.ts).
    expect(bad.stderr).toBe(`genofed: GENOFED_VCF_GENOTYPE: VariantAnnotation_fewer-FORMAT-than-GENO.vcf:12: sample column 1 has more sub-fields than FORMAT keys (${malformed})\n`);
    expect(bad.stdout).toBe('');
    const missing = await genofed(['scan', 'no-such-file.vcf']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^genofed: GENOFED_INPUT_NOT_FOUND: no-such-file\.vcf/);
    expect((await genofed(['scan', 'visits.csv', '--format', 'pdf'])).code).toBe(2);
    expect((await genofed(['scan'])).code).toBe(2);
  });

  it('pseudonymize table --matrix says on stdout what it did', async () => {
    const p = await genofed(['pseudonymize', 'table', '--matrix', '--in', join(FIXTURES, 'expression/pasilla_gene_counts.tsv'), '--out', 'pasilla.pz.tsv', '--key-file', 'site.key']);
    expect(p.code).toBe(0);
    expect(p.stdout).toBe('matrix: 7 header sample names pseudonymized; gene column and values kept byte-identical\n');
  });
});
