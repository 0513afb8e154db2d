/**
 * Every real SAM and BAM fixture round-trips: pseudonymize, then our
 * verifier passes, and samtools (independent) agrees: quickcheck/view/index
 * accept the output, flagstat is equal, the digest of `samtools view`
 * columns 2-11 plus kept tags is equal, and no original read name, @RG
 * ID/SM/LB/PU, barcode, path or date is left in `samtools view -h` of the output.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { pseudonymizeAlignment, verifyAlignment } from '../../../../node/pseudonymize/alignment/index.js';
import { alignmentFixtures, HAS_SAMTOOLS, quickcheck, samText, samtools, samtoolsReads, testKey } from './samtools.js';

const dir = mkdtempSync(join(tmpdir(), 'genofed-aln-rt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = testKey();
const DEFAULT_DROPPED = new Set(['BC', 'QT', 'RX', 'QX', 'OX', 'BZ', 'CR', 'CY', 'PU', 'CO', 'RG', 'LB']);

/** SHA-256 over samtools' columns 2-11 and the tags kept by default mode (RG/LB compared via consistency). */
function samtoolsDigest(path: string): string {
  const h = createHash('sha256');
  for (const line of samText(path).split('\n')) {
    if (!line || line.startsWith('@')) continue;
    const f = line.split('\t');
    h.update([...f.slice(1, 11), ...f.slice(11).filter((t) => !DEFAULT_DROPPED.has(t.slice(0, 2)))].join('\t'));
    h.update('\n');
  }
  return h.digest('hex');
}

/** Original identifiers, read independently from samtools' text. */
function originalIds(path: string): { names: Set<string>; header: Set<string> } {
  const names = new Set<string>();
  const header = new Set<string>();
  for (const line of samText(path).split('\n')) {
    const f = line.split('\t');
    if (f[0] === '@RG') for (const x of f.slice(1)) if (/^(ID|SM|LB|PU|DT|BC|CN|DS):/.test(x)) header.add(x.slice(3));
    if (!line || line.startsWith('@')) continue;
    if (f[0] !== '*') names.add(f[0]!);
    for (const t of f.slice(11)) if (/^(BC|QT|RX|OX):Z:/.test(t)) header.add(t.slice(5));
  }
  return { names, header };
}

describe.skipIf(!HAS_SAMTOOLS)('SAM/BAM round trip on every real fixture', () => {
  for (const fx of alignmentFixtures()) {
    it(`${fx.name}: pseudonymizes, verifies, and samtools agrees on content, flagstat and leftovers`, async () => {
      const out = join(dir, fx.name);
      const report = await pseudonymizeAlignment({ format: fx.format, input: fx.path, output: out, key, mode: 'default' });
      expect(report.recordsOut).toBe(report.recordsIn);
      const records = samText(fx.path).split('\n').filter((l) => l && !l.startsWith('@')).length;
      expect(report.recordsIn).toBe(records);
      expect(JSON.stringify(report)).not.toMatch(/HG00|ERR\d|NA12878/);

      const checks = await verifyAlignment({ format: fx.format, original: fx.path, pseudonymized: out, key });
      expect(checks.filter((c) => !c.ok)).toEqual([]);
      expect(checks.length).toBeGreaterThanOrEqual(9);

      // samtools: the output parses exactly when the input did (two inputs have no @SQ).
      expect(quickcheck(out)).toBe(quickcheck(fx.path));
      expect(samtoolsDigest(out)).toBe(samtoolsDigest(fx.path));
      expect(samtoolsReads(out)).toBe(samtoolsReads(fx.path));
      if (samtoolsReads(fx.path)) expect(samtools('flagstat', out)).toBe(samtools('flagstat', fx.path));

      // Nothing left, by whole field and (for 8+ characters) by substring of the whole text.
      const text = samText(out);
      const { names, header } = originalIds(fx.path);
      const fieldValues = new Set<string>();
      for (const line of text.split('\n')) {
        const f = line.split('\t');
        if (line.startsWith('@')) { if (!line.startsWith('@SQ') && !line.startsWith('@HD')) for (const x of f.slice(1)) fieldValues.add(x.slice(3)); }
        else if (line) { fieldValues.add(f[0]!); for (const t of f.slice(11)) if (t[3] === 'Z') fieldValues.add(t.slice(5)); }
      }
      for (const n of names) expect(fieldValues.has(n)).toBe(false);
      for (const v of header) {
        if (/[A-Za-z0-9]/.test(v)) expect(fieldValues.has(v), 'header id left as a field value').toBe(false);
        if (v.length >= 8) expect(text.includes(v), 'header id left in the text').toBe(false);
      }
      expect(text).not.toMatch(/^@CO/m);
      expect(text).not.toMatch(/\tCL:|\tUR:|\tPU:|\tDT:/);
    });
  }

  it('coordinate-sorted BAM output is accepted by samtools index', async () => {
    const fx = alignmentFixtures().filter((f) => f.format === 'bam' && /SO:coordinate/.test(samtools('view', '-H', f.path)));
    expect(fx.length).toBeGreaterThanOrEqual(5);
    for (const f of fx) {
      const out = join(dir, `idx-${f.name}`);
      await pseudonymizeAlignment({ format: 'bam', input: f.path, output: out, key, mode: 'default' });
      samtools('index', out);
      expect(samtools('idxstats', out)).toBe(samtools('idxstats', f.path));
    }
  });
});

describe('samtools guard', () => {
  it('samtools is present in CI, so the differential suite cannot be skipped there', () => {
    if (process.env.CI) expect(HAS_SAMTOOLS).toBe(true);
    else expect(typeof HAS_SAMTOOLS).toBe('boolean');
  });
});
