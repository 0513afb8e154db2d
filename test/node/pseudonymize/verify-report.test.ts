/**
 * Signed verification reports (issue 13, deliverable 4): `genofed verify
 * --report F.json --report F.csv` on a real pseudonymized VCF and table,
 * `genofed verify report F.json --against OUTPUT --key-file K`, and what
 * makes it fail (a one-byte edit of the report or of the output, another
 * key). The signature and the file digest are recomputed independently:
 * sha256sum for the file, and a few lines of Python (hmac, hashlib, json
 * with sorted keys) for the HKDF-derived key and the HMAC over the
 * canonical JSON, as a review board without genofed would check it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../node/pseudonymize/report/canonical-json.js';
import { CSV_COLUMNS } from '../../../node/pseudonymize/report/report-csv.js';
import { checkReportFile } from '../../../node/pseudonymize/report/verification-report.js';
import { readSiteKeyFile } from '../../../node/pseudonymize/site-key.js';
import { FIXTURES, MUST_HAVE_TOOLS, has, ROOT, run } from './tools.js';

const CLI = join(ROOT, 'bin', 'genofed.js');
const VCF = join(FIXTURES, 'vcf/small_tricky/VariantAnnotation_ex2.vcf');
const TABLE = join(FIXTURES, 'expression/airway_sample_table.csv');
const python = has('python3');
const sha256sum = has('sha256sum');
let dir: string;
let compared = 0;

function genofed(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: dir, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Flip one byte of a copy of `from` at `offset` (a character that stays printable, so the JSON may still parse). */
async function oneByteEdit(from: string, to: string, offset: number): Promise<void> {
  const bytes = await readFile(from);
  bytes[offset] = bytes[offset] === 0x30 ? 0x31 : 0x30;
  await writeFile(to, bytes);
}

/** Independent check of the JSON report's MAC: HKDF-SHA256 and HMAC from Python's standard library, JSON sorted and compact. */
const PY_CHECK = `
import hashlib, hmac, json, struct, sys, base64
key = json.load(open(sys.argv[1]))
report = json.load(open(sys.argv[2]))
secret = base64.b64decode(key["secret"])
salt = struct.pack(">I", key["keyVersion"])
prk = hmac.new(salt, secret, hashlib.sha256).digest()
okm = hmac.new(prk, b"genofed verification-report v1" + b"\\x01", hashlib.sha256).digest()
value = report["signature"]["value"]
report["signature"]["value"] = ""
text = json.dumps(report, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
print("ok" if hmac.compare_digest(hmac.new(okm, text.encode(), hashlib.sha256).hexdigest(), value) else "bad")
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-report-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('RFC 8785 canonical JSON', () => {
  it('serializes the RFC 8785 section 3.2.4 example to the bytes the RFC prints', () => {
    const input = JSON.parse('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}') as Parameters<typeof canonicalJson>[0];
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('sorts keys by UTF-16 code units and refuses what RFC 8785 cannot represent', () => {
    expect(canonicalJson({ b: 1, a: { d: [], c: 'x' }, '\u20ac': 2, '\ud83d\ude00': 3, '\ufb33': 4 })).toBe('{"a":{"c":"x","d":[]},"b":1,"\u20ac":2,"\ud83d\ude00":3,"\ufb33":4}'); // by code point, U+FB33 would sort before U+1F600
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/non-finite/);
    expect(() => canonicalJson('\ud800')).toThrow(/lone surrogate/);
  });
});

describe('genofed verify --report and verify report', () => {
  it('needs the compiled CLI', () => {
    expect(existsSync(join(ROOT, 'dist', 'bin', 'genofed.js')), 'run `npx tsc -p tsconfig.json` first').toBe(true);
  });

  it('a pseudonymized VCF gets a signed JSON report and a CSV report with the same rows', async () => {
    expect((await genofed(['key', 'generate', '--out', 'site.key'])).code).toBe(0);
    expect((await genofed(['key', 'generate', '--out', 'other.key'])).code).toBe(0);
    expect((await genofed(['pseudonymize', 'vcf', '--in', VCF, '--out', 'ex2.vcf', '--key-file', 'site.key'])).code).toBe(0);
    const v = await genofed(['verify', 'vcf', '--original', VCF, '--pseudonymized', 'ex2.vcf', '--key-file', 'site.key', '--report', 'ex2.report.json', '--report', 'ex2.report.csv']);
    expect(v.code).toBe(0);
    const report = JSON.parse(await readFile(join(dir, 'ex2.report.json'), 'utf8')) as {
      fileFormat: string; level: string; verdict: string; files: Record<string, string>; tool: { version: string };
      digests: { original: { sha256: string }; pseudonymized: { sha256: string } };
      checks: Array<{ name: string; ok: boolean; targets?: number; masked?: number; digests?: Record<string, string>; unmaskedPositions?: string[] }>;
      signature: { algorithm: string; keyId: string; value: string };
    };
    const key = await readSiteKeyFile(join(dir, 'site.key'));
    expect(report).toMatchObject({ fileFormat: 'vcf', level: 'default', verdict: 'pass', files: { original: 'VariantAnnotation_ex2.vcf', pseudonymized: 'ex2.vcf' }, tool: { version: '0.1.0' } });
    expect(report.signature).toMatchObject({ algorithm: 'HMAC-SHA256', keyId: key.keyId });
    // The sample rule: 3 targets (the fixture's three samples), all pseudonymized, none left.
    expect(report.checks.find((c) => c.name.startsWith('each sample column'))).toMatchObject({ ok: true, targets: 3, masked: 3, unmaskedPositions: [] });
    const content = report.checks.find((c) => c.name.startsWith('record content digest'))!;
    expect(content.digests!.original).toBe(content.digests!.pseudonymized);
    // Basenames only; no sample id of the original anywhere in the report.
    const text = await readFile(join(dir, 'ex2.report.json'), 'utf8');
    expect(text).not.toContain(dir);
    for (const sample of ['NA00001', 'NA00002', 'NA00003']) expect(text).not.toContain(sample);

    const csv = (await readFile(join(dir, 'ex2.report.csv'), 'utf8')).trimEnd().split('\n');
    expect(csv[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv).toHaveLength(report.checks.length + 1);
    report.checks.forEach((c, i) => {
      const row = csv[i + 1]!;
      expect(row.startsWith(`ex2.vcf,VariantAnnotation_ex2.vcf,vcf,default,${/[",]/.test(c.name) ? `"${c.name.replace(/"/g, '""')}"` : c.name},${c.ok},`)).toBe(true);
      expect(row).toContain(report.digests.pseudonymized.sha256);
    });

    const ok = await genofed(['verify', 'report', 'ex2.report.json', '--against', 'ex2.vcf', '--key-file', 'site.key']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/PASS {2}the report signature verifies/);
    expect(ok.stdout).toMatch(/PASS {2}the file digest in the report equals the file/);
  });

  it.skipIf(!sha256sum)('the report names the sha256 that sha256sum computes for the original and the output', async () => {
    const report = JSON.parse(await readFile(join(dir, 'ex2.report.json'), 'utf8')) as { digests: { original: { sha256: string }; pseudonymized: { sha256: string } } };
    expect(report.digests.pseudonymized.sha256).toBe(run('sha256sum', [join(dir, 'ex2.vcf')]).stdout.split(' ')[0]);
    expect(report.digests.original.sha256).toBe(run('sha256sum', [VCF]).stdout.split(' ')[0]);
    compared++;
  });

  it.skipIf(!python)('the signature verifies with Python hmac/hashlib/json alone (HKDF, HMAC, sorted compact JSON)', () => {
    const r = spawnSync('python3', ['-c', PY_CHECK, join(dir, 'site.key'), join(dir, 'ex2.report.json')], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('ok');
    const other = spawnSync('python3', ['-c', PY_CHECK, join(dir, 'other.key'), join(dir, 'ex2.report.json')], { encoding: 'utf8' });
    expect(other.stdout.trim()).toBe('bad');
    compared++;
  });

  it('a one-byte edit of the report fails the signature, and verify report exits 1 naming it', async () => {
    const text = await readFile(join(dir, 'ex2.report.json'), 'utf8');
    // Edit a digit inside the "targets" count of the sample rule: still valid JSON, one byte different.
    const at = text.indexOf('"targets": 3');
    expect(at).toBeGreaterThan(0);
    await oneByteEdit(join(dir, 'ex2.report.json'), join(dir, 'edited.json'), at + '"targets": '.length);
    expect((await readFile(join(dir, 'edited.json'))).length).toBe(Buffer.byteLength(text));
    const r = await genofed(['verify', 'report', 'edited.json', '--against', 'ex2.vcf', '--key-file', 'site.key']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}the report signature verifies/);
    expect(r.stdout).toMatch(/PASS {2}the file digest/);
    // A byte of the signature itself, too.
    await oneByteEdit(join(dir, 'ex2.report.json'), join(dir, 'edited-sig.json'), text.indexOf('"value": "') + 12);
    expect((await genofed(['verify', 'report', 'edited-sig.json', '--against', 'ex2.vcf', '--key-file', 'site.key'])).code).toBe(1);
  });

  it('a one-byte edit of the output fails the file digest, and verify report exits 1 naming it', async () => {
    const text = await readFile(join(dir, 'ex2.vcf'), 'utf8');
    await oneByteEdit(join(dir, 'ex2.vcf'), join(dir, 'ex2-edited.vcf'), text.lastIndexOf('\t0|0') + 1);
    const r = await genofed(['verify', 'report', 'ex2.report.json', '--against', 'ex2-edited.vcf', '--key-file', 'site.key']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/PASS {2}the report signature verifies/);
    expect(r.stdout).toMatch(/FAIL {2}the file digest in the report equals the file/);
  });

  it('another site key fails the signature', async () => {
    const r = await genofed(['verify', 'report', 'ex2.report.json', '--against', 'ex2.vcf', '--key-file', 'other.key']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}the report signature verifies under the site key: the report is signed with key gk-/);
    const checks = await checkReportFile(join(dir, 'ex2.report.json'), join(dir, 'ex2.vcf'), await readSiteKeyFile(join(dir, 'other.key')));
    expect(checks.map((c) => c.ok)).toEqual([false, true]);
  });

  it('a report that is no longer JSON fails the signature instead of crashing', async () => {
    const text = await readFile(join(dir, 'ex2.report.json'), 'utf8');
    await writeFile(join(dir, 'broken.json'), text.slice(0, -3));
    const r = await genofed(['verify', 'report', 'broken.json', '--against', 'ex2.vcf', '--key-file', 'site.key']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}the report signature verifies/);
  });

  it('a pseudonymized table gets a report that verifies, binds to the table, and records the id rule per cell', async () => {
    expect((await genofed(['pseudonymize', 'table', '--in', TABLE, '--out', 'airway.csv', '--key-file', 'site.key'])).code).toBe(0);
    const v = await genofed(['verify', 'table', '--original', TABLE, '--pseudonymized', 'airway.csv', '--key-file', 'site.key', '--report', 'airway.json', '--report', 'airway.csv.csv']);
    expect(v.code).toBe(0);
    const report = JSON.parse(await readFile(join(dir, 'airway.json'), 'utf8')) as { verdict: string; checks: Array<{ name: string; targets?: number; masked?: number; digests?: Record<string, string> }> };
    expect(report.verdict).toBe('pass');
    // The airway sample table has 8 rows: 8 id cells, all pseudonyms of their originals.
    expect(report.checks.find((c) => c.name === 'id cells are pseudonyms of the original ids')).toMatchObject({ targets: 8, masked: 8 });
    const det = report.checks.find((c) => c.name.startsWith('re-pseudonymizing'))!;
    expect(det.digests!.expected).toBe(det.digests!.actual);
    const csv = (await readFile(join(dir, 'airway.csv.csv'), 'utf8')).trimEnd().split('\n');
    expect(csv).toHaveLength(report.checks.length + 1);
    expect((await genofed(['verify', 'report', 'airway.json', '--against', 'airway.csv', '--key-file', 'site.key'])).code).toBe(0);
    // Bound to its own file: the VCF's report does not verify against the table, nor the table's against the VCF.
    expect((await genofed(['verify', 'report', 'ex2.report.json', '--against', 'airway.csv', '--key-file', 'site.key'])).code).toBe(1);
    expect((await genofed(['verify', 'report', 'airway.json', '--against', 'ex2.vcf', '--key-file', 'site.key'])).code).toBe(1);
  });

  it('a failing verify still writes its report, with verdict fail and the failing rule', async () => {
    const text = await readFile(join(dir, 'ex2.vcf'), 'utf8');
    await writeFile(join(dir, 'bad.vcf'), text.replace(/\t0\|0:48:1:51,51/, '\t1|1:48:1:51,51'));
    const v = await genofed(['verify', 'vcf', '--original', VCF, '--pseudonymized', 'bad.vcf', '--key-file', 'site.key', '--report', 'bad.json']);
    expect(v.code).toBe(1);
    const report = JSON.parse(await readFile(join(dir, 'bad.json'), 'utf8')) as { verdict: string; checks: Array<{ name: string; ok: boolean; digests?: Record<string, string>; unmaskedPositions?: string[] }> };
    expect(report.verdict).toBe('fail');
    const content = report.checks.find((c) => c.name.startsWith('record content digest'))!;
    expect(content.ok).toBe(false);
    expect(content.digests!.original).not.toBe(content.digests!.pseudonymized);
    expect(content.unmaskedPositions).toEqual(['records 1-5']);
    // The report of a failed verification is still a true, signed record of it.
    expect((await genofed(['verify', 'report', 'bad.json', '--against', 'bad.vcf', '--key-file', 'site.key'])).code).toBe(0);
  });

  it('refuses a JSON report without a key, a report name of unknown kind, and an existing report without --force', async () => {
    const noKey = await genofed(['verify', 'vcf', '--original', VCF, '--pseudonymized', 'ex2.vcf', '--report', 'nokey.json']);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/GENOFED_USAGE: --report FILE.json is signed with the site key/);
    expect(existsSync(join(dir, 'nokey.json'))).toBe(false);
    expect((await genofed(['verify', 'vcf', '--original', VCF, '--pseudonymized', 'ex2.vcf', '--key-file', 'site.key', '--report', 'r.txt'])).code).toBe(2);
    const again = await genofed(['verify', 'vcf', '--original', VCF, '--pseudonymized', 'ex2.vcf', '--key-file', 'site.key', '--report', 'ex2.report.json']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/GENOFED_OUTPUT_EXISTS/);
    expect((await genofed(['verify', 'vcf', '--original', VCF, '--pseudonymized', 'ex2.vcf', '--key-file', 'site.key', '--report', 'ex2.report.json', '--force'])).code).toBe(0);
    expect((await genofed(['verify', 'report', '--against', 'ex2.vcf', '--key-file', 'site.key'])).code).toBe(2);
    expect((await genofed(['verify', 'report', 'ex2.report.json', '--against', 'ex2.vcf'])).code).toBe(2);
  });

  it('compared with at least one independent tool (sha256sum or python3)', () => {
    if (MUST_HAVE_TOOLS) expect(python && sha256sum, 'CI must have python3 and sha256sum').toBe(true);
    expect(compared, 'every independent comparison was skipped').toBeGreaterThan(0);
  });
});
