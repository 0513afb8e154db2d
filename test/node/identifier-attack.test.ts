/**
 * The attack from the issue, replayed with the real CLI (`node
 * bin/genofed.js`, built by `npx tsc`): a hospital export of the 1000
 * Genomes panel carrying `patient_id`, `mrn_no`, an all-digit `phone`,
 * `zip`, `first_name` and `date_of_birth`. Before the fix `scan` missed
 * four of them, `pseudonymize table` kept the all-numeric ones, and after
 * ingest `node query cohort --cohort 'patient_id = 100017'` answered 1.
 * Now: scan reports each, pseudonymize drops each (no value left in the
 * output bytes), ingest without a schema refuses them, and under a schema
 * of pop/super_pop/gender they are not stored and the query is refused.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudonym } from '../../node/pseudonymize/pseudonym.js';
import { readSiteKeyFile } from '../../node/pseudonymize/site-key.js';
import { ALL_COLUMNS, BEACON, IDENTIFIER_COLUMNS, panelRows, writePanel } from './panel-copy.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin', 'genofed.js');
const rows = panelRows();
let dir = '';
let exported = '';

function genofed(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { cwd: dir, timeout: 300_000, maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-attack-'));
  exported = await writePanel(dir, 'export.tsv', rows, ALL_COLUMNS);
  expect(rows[16]!.patient_id).toBe('100017');
  expect((await genofed('key', 'generate', '--out', 'site.key')).code).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a panel export with identifier columns, as an attacker would use it', () => {
  it('needs the compiled CLI', () => {
    expect(existsSync(join(ROOT, 'dist', 'bin', 'genofed.js')), 'run `npx tsc -p tsconfig.json` first').toBe(true);
  });

  it('scan reports each identifier column by name and exits 1, never printing a value', async () => {
    const r = await genofed('scan', 'export.tsv', '--json');
    expect(r.code).toBe(1);
    const findings = (JSON.parse(r.stdout) as { findings: { kind: string; where: string }[] }).findings;
    for (const [i, col] of IDENTIFIER_COLUMNS.entries()) {
      expect(findings, col).toContainEqual(expect.objectContaining({ kind: 'column name suggesting a direct identifier', where: `column ${6 + i} (${col})` }));
    }
    expect(r.stdout).not.toMatch(/100017|HG00096|Minsu|010\d{8}/);
  });

  it('pseudonymize table drops each of them: not in the header, no original value anywhere in the output bytes; verify passes', async () => {
    const p = await genofed('pseudonymize', 'table', '--in', 'export.tsv', '--out', 'export.pz.tsv', '--key-file', 'site.key', '--report', 'report.json');
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('columns dropped: patient_id (identifier-like name), mrn_no (identifier-like name), phone (identifier-like name), zip (identifier-like name), first_name (identifier-like name), date_of_birth (identifier-like name)');
    const out = await readFile(join(dir, 'export.pz.tsv'), 'utf8');
    const header = out.slice(0, out.indexOf('\n')).split('\t');
    expect(header).toEqual(['sample', 'pop', 'super_pop', 'gender', 'age']);
    for (const col of IDENTIFIER_COLUMNS) {
      expect(header).not.toContain(col);
      const values = new Set(rows.map((r) => r[col]));
      const left = [...values].filter((v) => out.includes(v));
      expect(left, `${col}: ${left.length} values left`).toEqual([]);
    }
    expect(out).not.toContain('HG00096');
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as { columnsDropped: { name: string }[] };
    expect(report.columnsDropped.map((d) => d.name)).toEqual([...IDENTIFIER_COLUMNS]);
    expect((await genofed('verify', 'table', '--original', 'export.tsv', '--pseudonymized', 'export.pz.tsv', '--key-file', 'site.key')).code).toBe(0);
    const after = await genofed('scan', 'export.pz.tsv');
    expect(after.stdout).toMatch(/nothing found/);
    expect(after.code).toBe(0);
  });

  describe('ingest', () => {
    let withIds = '';
    beforeAll(async () => {
      expect((await genofed('pseudonymize', 'vcf', '--in', BEACON, '--out', 'beacon.pz.vcf.gz', '--key-file', 'site.key')).code).toBe(0);
      // An operator who pseudonymized the ids by hand but left the other columns in.
      const key = await readSiteKeyFile(join(dir, 'site.key'));
      withIds = await writePanel(dir, 'export-ids.tsv', rows, ALL_COLUMNS, (s) => pseudonym(key, 'sample', s));
      await writeFile(join(dir, 'schema.json'), JSON.stringify({
        format: 'genofed-phenotype-schema', version: 1,
        columns: [
          { name: 'pop', type: 'categorical', values: [...new Set(rows.map((r) => r.pop))].sort() },
          { name: 'super_pop', type: 'categorical', values: ['AFR', 'AMR', 'EAS', 'EUR', 'SAS'] },
          { name: 'gender', type: 'categorical', values: ['female', 'male'] },
        ],
      }));
    }, 120_000);

    it('without a schema refuses them, with raw ids and with pseudonymized ids, naming each column', async () => {
      const expected = "columns 'patient_id' (identifier-like name), 'mrn_no' (identifier-like name), 'phone' (identifier-like name), 'zip' (identifier-like name), 'first_name' (identifier-like name), 'date_of_birth' (identifier-like name) would single people out and cannot be query columns; give the consortium schema (--schema FILE: only its columns are stored, numbers binned) or remove them from the table";
      const raw = await genofed('node', 'ingest', '--raw-ids', '--store', 'raw-store', '--vcf', BEACON, '--phenotypes', exported);
      expect(raw.code).toBe(1);
      // The message names the file; the CLI adds the path as typed, on this terminal only (proto/operator-path.ts).
      expect(raw.stderr).toBe(`genofed: GENOFED_PHENOTYPE_IDENTIFIER: export.tsv: ${expected} (${exported})\n`);
      const pz = await genofed('node', 'ingest', '--key-file', 'site.key', '--store', 'pz-store', '--vcf', 'beacon.pz.vcf.gz', '--phenotypes', withIds);
      expect(pz.code).toBe(1);
      expect(pz.stderr).toContain(`GENOFED_PHENOTYPE_IDENTIFIER: export-ids.tsv: ${expected}`);
      const q = await genofed('node', 'query', 'cohort', '--store', 'pz-store', '--cohort', 'patient_id = 100017');
      expect(q.code).toBe(1);
      expect(q.stderr).toMatch(/GENOFED_BAD_COHORT: .*unknown column 'patient_id'; known columns: none/);
    });

    it('with a schema of pop/super_pop/gender they are not stored and the patient_id query is refused (GENOFED_BAD_COHORT)', async () => {
      const r = await genofed('node', 'ingest', '--key-file', 'site.key', '--store', 'schema-store', '--vcf', 'beacon.pz.vcf.gz', '--phenotypes', withIds, '--schema', 'schema.json');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('phenotypes: 2504 rows from export-ids.tsv; query columns: pop, super_pop, gender\n');
      expect(r.stdout).toContain('columns not stored (not in the consortium schema): age, patient_id, mrn_no, phone, zip, first_name, date_of_birth\n');
      expect(r.stdout).toMatch(/^phenotype schema: [0-9a-f]{64}$/m);
      const attack = await genofed('node', 'query', 'cohort', '--store', 'schema-store', '--cohort', 'patient_id = 100017');
      expect(attack.code).not.toBe(0);
      expect(attack.stderr).toBe("genofed: GENOFED_BAD_COHORT: cohort expression column 1: unknown column 'patient_id'; known columns: pop, super_pop, gender\n");
      expect(attack.stdout).toBe('');
      const ok = await genofed('node', 'query', 'cohort', '--store', 'schema-store', '--cohort', "super_pop = 'EUR'", '--format', 'json');
      expect(JSON.parse(ok.stdout)).toEqual({ samples: 503 });
      const outside = await genofed('node', 'query', 'cohort', '--store', 'schema-store', '--cohort', "pop = 'XYZ'");
      expect(outside.stderr).toMatch(/GENOFED_BAD_COHORT: .*value 'XYZ' is not in the consortium schema; allowed: ACB, ASW/);
    });
  });
});
