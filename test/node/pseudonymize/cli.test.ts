/**
 * The commands as an operator runs them (`node bin/genofed.js`, built by
 * `npx tsc`): key generate, pseudonymize, verify and scan exit codes, and
 * that nothing on stdout/stderr carries an id or the key.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_COLUMNS, panelRows } from '../panel-copy.js';
import { FIXTURES, ROOT } from './tools.js';

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
  dir = await mkdtemp(join(tmpdir(), 'genofed-pz-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('genofed key / pseudonymize / verify / scan', () => {
  it('needs the compiled CLI', () => {
    expect(existsSync(join(ROOT, 'dist', 'bin', 'genofed.js')), 'run `npx tsc -p tsconfig.json` first').toBe(true);
  });

  it('key generate writes a 0600 key, prints only its id, and refuses to overwrite', async () => {
    const r = await genofed(['key', 'generate', '--out', 'site.key']);
    expect(r.code).toBe(0);
    const key = JSON.parse(await readFile(join(dir, 'site.key'), 'utf8')) as { keyId: string; secret: string };
    expect((await stat(join(dir, 'site.key'))).mode & 0o777).toBe(0o600);
    expect(r.stdout).toContain(key.keyId);
    expect(r.stdout + r.stderr).not.toContain(key.secret);
    const again = await genofed(['key', 'generate', '--out', 'site.key']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/GENOFED_OUTPUT_EXISTS/);
  });

  it('pseudonymize vcf, verify exits 0, a tampered output makes verify exit 1, and the map decrypts', async () => {
    const input = join(FIXTURES, 'vcf/small_tricky/VariantAnnotation_ex2.vcf');
    const p = await genofed(['pseudonymize', 'vcf', '--in', input, '--out', 'ex2.vcf', '--key-file', 'site.key', '--map', 'ex2.map', '--report', 'ex2.json']);
    expect(p.code).toBe(0);
    const report = JSON.parse(await readFile(join(dir, 'ex2.json'), 'utf8')) as { samples: number };
    expect(report.samples).toBe(3);
    const v = await genofed(['verify', 'vcf', '--original', input, '--pseudonymized', 'ex2.vcf', '--key-file', 'site.key', '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout.trim().split('\n').pop()!)).toMatchObject({ ok: true });
    const text = await readFile(join(dir, 'ex2.vcf'), 'utf8');
    await writeFile(join(dir, 'bad.vcf'), text.replace(/\t0\|0:48:1:51,51/, '\t1|1:48:1:51,51'));
    const bad = await genofed(['verify', 'vcf', '--original', input, '--pseudonymized', 'bad.vcf']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL {2}record content digest equal/);
    const show = await genofed(['key', 'map-show', '--map', 'ex2.map', '--key-file', 'site.key']);
    expect(show.code).toBe(0);
    expect(show.stdout.split('\n').filter((l) => l.startsWith('sample\t')).map((l) => l.split('\t')[1])).toEqual(expect.arrayContaining(['NA00001', 'NA00002', 'NA00003']));
    for (const out of [p, v, bad]) expect(out.stdout + out.stderr).not.toMatch(/NA0000/);
  });

  it('scan exits 1 on the input and 0 on the pseudonymized output', async () => {
    const input = join(FIXTURES, 'vcf/small_tricky/VariantAnnotation_ex2.vcf');
    const a = await genofed(['scan', input, '--json']);
    expect(a.code).toBe(1);
    expect(JSON.parse(a.stdout).findings.length).toBeGreaterThan(3);
    expect(a.stdout).not.toMatch(/NA0000|20090805/);
    const b = await genofed(['scan', 'ex2.vcf']);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/nothing found/);
  });

  it('pseudonymize table and verify table accept the table options', async () => {
    const input = join(FIXTURES, 'expression/pasilla_gene_counts.tsv');
    expect((await genofed(['pseudonymize', 'table', '--matrix', '--in', input, '--out', 'counts.tsv', '--key-file', 'site.key'])).code).toBe(0);
    expect((await genofed(['verify', 'table', '--matrix', '--original', input, '--pseudonymized', 'counts.tsv', '--key-file', 'site.key'])).code).toBe(0);
  });

  it('pseudonymize table prints which columns were pseudonymized, shifted, kept and dropped, never a value', async () => {
    const rows = panelRows().slice(0, 200);
    await writeFile(join(dir, 'export.tsv'), `${ALL_COLUMNS.join('\t')}\n${rows.map((r) => ALL_COLUMNS.map((c) => String(r[c])).join('\t')).join('\n')}\n`);
    const p = await genofed(['pseudonymize', 'table', '--in', 'export.tsv', '--out', 'export.out.tsv', '--key-file', 'site.key', '--keep', 'pop,gender,age']);
    expect(p.code).toBe(0);
    expect(p.stdout).toBe([
      'columns pseudonymized: sample',
      'columns shifted: -',
      'columns kept: pop, gender, age',
      'columns dropped: super_pop (not in --keep), patient_id (identifier-like name), mrn_no (identifier-like name), phone (identifier-like name), zip (identifier-like name), first_name (identifier-like name), date_of_birth (identifier-like name)',
      '',
    ].join('\n'));
    expect(p.stdout + p.stderr).not.toMatch(/HG00|1000\d\d|Minsu/);
    expect((await genofed(['verify', 'table', '--original', 'export.tsv', '--pseudonymized', 'export.out.tsv', '--key-file', 'site.key', '--keep', 'pop,gender,age'])).code).toBe(0);
    const refused = await genofed(['pseudonymize', 'table', '--in', 'export.tsv', '--out', 'refused.tsv', '--key-file', 'site.key', '--keep-text', 'first_name']);
    expect(refused.code).toBe(2); // usage errors exit 2
    expect(refused.stderr).toMatch(/GENOFED_USAGE: export\.tsv: --keep-text: column 'first_name' looks like an identifier/);
  });

  it('bad input exits non-zero with a coded message naming the file and line, and leaves no output', async () => {
    const r = await genofed(['pseudonymize', 'vcf', '--in', join(FIXTURES, 'malformed/cyvcf2_test-invalid-header.vcf'), '--out', 'broken.vcf', '--key-file', 'site.key']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/GENOFED_VCF_HEADER: cyvcf2_test-invalid-header\.vcf:2: /);
    expect(existsSync(join(dir, 'broken.vcf'))).toBe(false);
    const loose = join(dir, 'loose.key');
    await writeFile(loose, await readFile(join(dir, 'site.key')), { mode: 0o644 });
    const perm = await genofed(['pseudonymize', 'vcf', '--in', join(FIXTURES, 'vcf/small_tricky/VariantAnnotation_ex2.vcf'), '--out', 'p.vcf', '--key-file', 'loose.key']);
    expect(perm.stderr).toMatch(/GENOFED_KEY_PERMISSIONS/);
  });
});
