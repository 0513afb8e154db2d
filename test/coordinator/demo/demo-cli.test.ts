/**
 * `genofed demo` as a user runs it (the compiled CLI in a child process):
 * a user's VCF without phenotypes (cohort skipped with a note), folder
 * clobbering rules, and Ctrl-C leaving no process behind. The full default
 * run is checked against bcftools in test/e2e/federation.test.ts.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin', 'genofed.js');
const VCF = join(ROOT, 'test/fixtures/vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz');

interface Run { code: number | null; stdout: string; stderr: string; pid: number }

function demo(args: string[], onStderr?: (text: string, pid: number) => void): Promise<Run> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [CLI, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      onStderr?.(stderr, p.pid!);
    });
    p.on('exit', (code) => done({ code, stdout, stderr, pid: p.pid! }));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)]).toString().trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('genofed demo (CLI)', () => {
  let dir: string;
  beforeAll(async () => {
    expect(existsSync(join(ROOT, 'dist', 'bin', 'genofed.js')), 'run `npx tsc -p tsconfig.json` first').toBe(true);
    dir = await mkdtemp(join(tmpdir(), 'genofed-demo-cli-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('runs on a user VCF without phenotypes: 3 sites, verified AF, cohort count, strata, association and expression skipped with a note', async () => {
    const out = join(dir, 'user');
    const r = await demo(['--vcf', VCF, '--sites', '3', '--preset', 'test', '--out', out]);
    expect(r.stderr).toMatch(/cohort count skipped: --vcf was given without --phenotypes/);
    expect(r.stderr).toMatch(/stratified allele frequencies, association and expression skipped: --vcf was given without --phenotypes/);
    expect(r.stderr).toMatch(/verified: 1044 variants, all equal/);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'cohort.json'), 'utf8'))).toHaveProperty('skipped');
    expect(readFileSync(join(out, 'af.tsv'), 'utf8').split('\n')).toHaveLength(1046); // header + 1044 + final newline
    expect(existsSync(join(out, 'work'))).toBe(false);
  });

  it('refuses a non-empty folder it did not make, --force or not, and replaces an earlier demo\'s folder without --force', async () => {
    const foreign = join(dir, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'precious.txt'), 'x');
    for (const extra of [[], ['--force']]) {
      const r = await demo(['--out', foreign, '--preset', 'test', ...extra]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`GENOFED_OUTPUT_EXISTS: ${foreign}: output folder is not empty and was not made by genofed demo; refusing to replace it (choose another --out)`);
    }
    expect(readFileSync(join(foreign, 'precious.txt'), 'utf8')).toBe('x');
    // A folder an earlier run made (its marker) is replaced by a plain rerun: the stale file is gone before the
    // run goes on (here it then fails on the missing VCF, after the folder was prepared).
    const earlier = join(dir, 'earlier');
    await mkdir(earlier);
    await writeFile(join(earlier, '.genofed-demo'), 'made by genofed demo\n');
    await writeFile(join(earlier, 'af.tsv'), 'stale');
    const rerun = await demo(['--out', earlier, '--preset', 'test', '--vcf', join(dir, 'no-such.vcf.gz')]);
    expect(rerun.stderr).not.toContain('GENOFED_OUTPUT_EXISTS');
    expect(existsSync(join(earlier, 'af.tsv'))).toBe(false);
    expect(existsSync(join(earlier, '.genofed-demo'))).toBe(true);
  });

  it('rejects a bad --sites value as a usage error', async () => {
    const r = await demo(['--sites', 'three', '--out', join(dir, 'bad-sites')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/GENOFED_USAGE: --sites/);
    // Fewer than 3 sites: nodes would refuse every query (minimum participant set), so the demo refuses up front.
    const r2 = await demo(['--sites', '2', '--preset', 'test', '--out', join(dir, 'two-sites')]);
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toMatch(/GENOFED_USAGE: --sites: expected an integer from 3 to 64/);
  });

  it('on Ctrl-C (SIGINT) once the servers run, it stops every process it started and exits non-zero', async () => {
    let kids: number[] = [];
    let sent = false;
    const r = await demo(['--vcf', VCF, '--sites', '3', '--preset', 'test', '--out', join(dir, 'interrupted')], (text, pid) => {
      if (!sent && /nodes \(gRPC, mTLS\) and the coordinator/.test(text)) {
        sent = true;
        kids = childrenOf(pid);
        process.kill(pid, 'SIGINT');
      }
    });
    expect(sent, r.stderr).toBe(true);
    expect(kids.length).toBe(4); // 3 nodes + coordinator
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/SIGINT: stopping every process it started/);
    expect(kids.filter(alive)).toEqual([]);
    expect(existsSync(join(dir, 'interrupted', 'work'))).toBe(false);
  });
});
