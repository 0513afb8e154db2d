/**
 * Helpers for the pseudonymization tests (not a test file): tool detection,
 * the digest of an external tool's stdout (streamed: `bcftools query` on a
 * 2,504-sample file prints ~100 MB), and the lists of real fixtures.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { has } from '../../tool-available.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

export { has };

/** In CI the external tools must be present: a differential suite that silently skipped would prove nothing. */
export const MUST_HAVE_TOOLS = !!process.env.CI;

/** sha256 of a command's stdout and its exit code. */
export function digestOf(cmd: string, args: string[]): Promise<{ sha256: string; code: number; bytes: number }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const h = createHash('sha256');
    let bytes = 0;
    child.stdout.on('data', (d: Buffer) => {
      h.update(d);
      bytes += d.length;
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ sha256: h.digest('hex'), code: code ?? -1, bytes }));
  });
}

export function run(cmd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Every real VCF (plain or bgzip; BCF excluded: refused by design) under test/fixtures/vcf. */
export function vcfFixtures(): string[] {
  return walk(join(FIXTURES, 'vcf')).filter((p) => /\.vcf(\.gz)?$/.test(p)).sort();
}

/** Every real SAM/BAM under test/fixtures/{sam,bam}. */
export function alignmentFixtures(): string[] {
  return [...walk(join(FIXTURES, 'sam')), ...walk(join(FIXTURES, 'bam'))].filter((p) => /\.(sam|sam\.gz|bam)$/.test(p)).sort();
}
