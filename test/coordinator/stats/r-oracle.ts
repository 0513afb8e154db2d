/**
 * R as the independent oracle for coordinator/stats (a helper, not a test):
 * the input goes to a temporary TSV file, R reads it and prints every value
 * with format(x, digits = 17), so each double round-trips.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { has } from '../../tool-available.js';

export const HAS_R = has('Rscript');

/** Runs `script` with the TSV `input` as its one argument; returns stdout as rows of tab-separated fields. */
export function runR(script: string, input: string): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'genofed-r-'));
  try {
    writeFileSync(join(dir, 'oracle.R'), script);
    writeFileSync(join(dir, 'input.tsv'), input);
    const out = execFileSync('Rscript', ['--vanilla', join(dir, 'oracle.R'), join(dir, 'input.tsv')], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
    return out
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.split('\t').map((f) => f.trim()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** R's printed value: NA -> null, NaN/Inf as IEEE. */
export function parseR(text: string): number | null {
  if (text === 'NA') return null;
  if (text === 'NaN') return Number.NaN;
  if (text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const v = Number(text);
  if (Number.isNaN(v)) throw new Error('parseR: R printed something that is not a number');
  return v;
}

/** |ours - r| <= rel * max(|ours|, |r|) + abs, with equal infinities. */
export function close(ours: number, r: number, rel: number, abs = 0): boolean {
  if (ours === r) return true;
  if (!Number.isFinite(ours) || !Number.isFinite(r)) return false;
  return Math.abs(ours - r) <= rel * Math.max(Math.abs(ours), Math.abs(r)) + abs;
}
