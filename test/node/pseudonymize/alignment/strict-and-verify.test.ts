/**
 * Modes and the verifier's ability to fail: default drops barcode tags,
 * strict also drops XA/SA/OQ... and the @PG lines; verify passes on honest
 * outputs and fails, naming the check, on outputs that are not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { pseudonymizeAlignment, verifyAlignment } from '../../../../node/pseudonymize/alignment/index.js';
import { FIXTURES, HAS_SAMTOOLS, samtools, testKey } from './samtools.js';

const dir = mkdtempSync(join(tmpdir(), 'genofed-aln-mode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = testKey();
const range = join(FIXTURES, 'bam/htslib_range.bam');

function tagCounts(path: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of samtools('view', path).split('\n')) for (const t of line.split('\t').slice(11)) m.set(t.slice(0, 2), (m.get(t.slice(0, 2)) ?? 0) + 1);
  return m;
}

describe.skipIf(!HAS_SAMTOOLS)('default and strict modes', () => {
  it('default drops BC and QT (counted in the report) and keeps XA; strict also drops XA and every @PG line', async () => {
    const before = tagCounts(range);
    expect(before.get('BC')).toBe(55);
    expect(before.get('XA')).toBe(20);
    const d = join(dir, 'default.bam');
    const s = join(dir, 'strict.bam');
    const rd = await pseudonymizeAlignment({ format: 'bam', input: range, output: d, key, mode: 'default' });
    const rs = await pseudonymizeAlignment({ format: 'bam', input: range, output: s, key, mode: 'strict' });
    expect(rd.tagsDropped).toEqual({ BC: 55, QT: 55 });
    expect(rs.tagsDropped).toEqual({ BC: 55, QT: 55, XA: 20 });
    const afterD = tagCounts(d);
    const afterS = tagCounts(s);
    expect(afterD.has('BC') || afterD.has('QT')).toBe(false);
    expect(afterD.get('XA')).toBe(20);
    expect(afterS.has('XA')).toBe(false);
    expect(afterS.get('MD')).toBe(before.get('MD'));
    expect(samtools('view', '-H', '--no-PG', d)).toMatch(/^@PG\tID:scramble\tPN:scramble\tVN:1\.14\.7$/m);
    expect(samtools('view', '-H', '--no-PG', s)).not.toMatch(/^@PG/m);
    expect(rs.headerLinesDropped.PG).toBe(1);
    for (const [path, mode] of [[d, 'default'], [s, 'strict']] as const) {
      const checks = await verifyAlignment({ format: 'bam', original: range, pseudonymized: path, key, mode });
      expect(checks.filter((c) => !c.ok)).toEqual([]);
      // Without the mode, the verifier infers it from the output.
      const inferred = await verifyAlignment({ format: 'bam', original: range, pseudonymized: path });
      expect(inferred.find((c) => c.name.startsWith('retained content'))?.detail).toBe(`compared as ${mode} mode`);
      expect(inferred.every((c) => c.ok)).toBe(true);
    }
    // A default-mode output claimed as strict fails: XA and @PG are still there.
    const claimed = await verifyAlignment({ format: 'bam', original: range, pseudonymized: d, mode: 'strict' });
    const failed = claimed.filter((c) => !c.ok).map((c) => c.name.split(' (')[0]!.split(':')[0]);
    expect(failed).toEqual(expect.arrayContaining(['retained content unchanged', 'dropped tags absent', 'header']));
  });

  it('the same key gives byte-identical output; another key or key version gives unrelated names', async () => {
    const read = async (k: ReturnType<typeof testKey>, name: string): Promise<string[]> => {
      const out = join(dir, name);
      await pseudonymizeAlignment({ format: 'bam', input: range, output: out, key: k, mode: 'default' });
      return samtools('view', out).split('\n').filter(Boolean).map((l) => l.split('\t')[0]!);
    };
    const { readFileSync } = await import('node:fs');
    const a = await read(key, 'a.bam');
    const b = await read(key, 'b.bam');
    expect(readFileSync(join(dir, 'a.bam')).equals(readFileSync(join(dir, 'b.bam')))).toBe(true);
    const other = new Set(await read(testKey(2), 'c.bam'));
    const version2 = new Set(await read(testKey(1, 2), 'd.bam'));
    expect(a).toEqual(b);
    expect(a.filter((n) => other.has(n) || version2.has(n))).toEqual([]);
    for (const n of a) expect(n).toMatch(/^[a-z2-7]{26}$/);
  });
});

describe.skipIf(!HAS_SAMTOOLS)('verify fails on outputs that are not honest pseudonymizations', () => {
  it('the original checked against itself fails the header, read-name-pseudonym and nothing-left checks', async () => {
    const checks = await verifyAlignment({ format: 'bam', original: range, pseudonymized: range, key });
    const failed = checks.filter((c) => !c.ok).map((c) => c.name.split(':')[0]);
    expect(failed).toEqual(expect.arrayContaining(['header', 'nothing left', 'names and ids equal their keyed pseudonyms under this key']));
  });

  it('one changed base in one record fails the retained-content check and nothing else about names', async () => {
    const good = join(dir, 'good.bam');
    await pseudonymizeAlignment({ format: 'bam', input: range, output: good, key, mode: 'default' });
    const lines = samtools('view', '-h', '--no-PG', good).split('\n');
    const i = lines.findIndex((l) => l && !l.startsWith('@'));
    const f = lines[i + 10]!.split('\t');
    f[9] = (f[9]![0] === 'A' ? 'C' : 'A') + f[9]!.slice(1);
    lines[i + 10] = f.join('\t');
    const tampered = join(dir, 'tampered.bam');
    execFileSync('samtools', ['view', '--no-PG', '-b', '-o', tampered, '-'], { input: lines.join('\n') });
    const checks = await verifyAlignment({ format: 'bam', original: range, pseudonymized: tampered, key, mode: 'default' });
    const failed = checks.filter((c) => !c.ok).map((c) => c.name.split(' (')[0]);
    expect(failed).toContain('retained content unchanged');
    expect(failed).toContain('deterministic: a re-run with the key');
    expect(failed).not.toContain('read names consistent');
  });

  it('two different reads given one name fail the read-name consistency check, with and without the key', async () => {
    const good = join(dir, 'good-names.bam');
    await pseudonymizeAlignment({ format: 'bam', input: range, output: good, key, mode: 'default' });
    const lines = samtools('view', '-h', '--no-PG', good).split('\n');
    const first = lines.findIndex((l) => l && !l.startsWith('@'));
    const names = lines.slice(first).filter(Boolean).map((l) => l.split('\t')[0]!);
    const j = names.findIndex((n) => n !== names[0]);
    const f = lines[first + j]!.split('\t');
    f[0] = names[0]!;
    lines[first + j] = f.join('\t');
    const merged = join(dir, 'merged-names.bam');
    execFileSync('samtools', ['view', '--no-PG', '-b', '-o', merged, '-'], { input: lines.join('\n') });
    for (const k of [undefined, key]) {
      const checks = await verifyAlignment({ format: 'bam', original: range, pseudonymized: merged, key: k, mode: 'default' });
      expect(checks.find((c) => c.name.startsWith('read names consistent'))?.ok).toBe(false);
      expect(checks.find((c) => c.name.startsWith('retained content'))?.ok).toBe(true);
    }
  });

  it('a truncated pseudonymized file fails the parse check; an unreadable original is reported as such', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const good = join(dir, 'to-cut.bam');
    await pseudonymizeAlignment({ format: 'bam', input: range, output: good, key, mode: 'default' });
    const bytes = readFileSync(good);
    const cut = join(dir, 'cut.bam');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 28));
    const checks = await verifyAlignment({ format: 'bam', original: range, pseudonymized: cut });
    const parse = checks.find((c) => c.name === 'pseudonymized file parses');
    expect(parse?.ok).toBe(false);
    expect(parse?.detail).toMatch(/^cut\.bam: BGZF EOF block is missing/);
    const bad = await verifyAlignment({ format: 'bam', original: join(FIXTURES, 'malformed/samtools_1.quickcheck.badeof.bam'), pseudonymized: good });
    expect(bad.find((c) => c.name === 'original file parses')?.ok).toBe(false);
  });

  it('a record marked duplicate fails the flag statistics check', async () => {
    const good = join(dir, 'good-flags.bam');
    await pseudonymizeAlignment({ format: 'bam', input: range, output: good, key, mode: 'default' });
    const lines = samtools('view', '-h', '--no-PG', good).split('\n');
    const i = lines.findIndex((l) => l && !l.startsWith('@') && (Number(l.split('\t')[1]) & 0x400) === 0);
    const f = lines[i]!.split('\t');
    f[1] = String(Number(f[1]) | 0x400);
    lines[i] = f.join('\t');
    const dup = join(dir, 'dup.bam');
    execFileSync('samtools', ['view', '--no-PG', '-b', '-o', dup, '-'], { input: lines.join('\n') });
    expect(samtools('flagstat', dup)).not.toBe(samtools('flagstat', range));
    const checks = await verifyAlignment({ format: 'bam', original: range, pseudonymized: dup, key, mode: 'default' });
    expect(checks.find((c) => c.name.startsWith('flag statistics'))?.ok).toBe(false);
  });

  it('a BAM of another sample fails the record count and content checks', async () => {
    const out = join(dir, 'other.bam');
    await pseudonymizeAlignment({ format: 'bam', input: join(FIXTURES, 'bam/samtools_mpileup.2.bam'), output: out, key, mode: 'default' });
    const checks = await verifyAlignment({ format: 'bam', original: join(FIXTURES, 'bam/samtools_mpileup.3.bam'), pseudonymized: out });
    expect(checks.find((c) => c.name === 'record count')?.ok).toBe(false);
    expect(checks.find((c) => c.name.startsWith('retained content'))?.ok).toBe(false);
  });
});
