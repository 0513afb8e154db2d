/**
 * The matrix parser alone (node/expression/parse-matrix.ts): the header
 * forms, quoting, library sizes, the values it notes for warnings; the
 * refusals with their file, line and column are in
 * test/node/store/expression-ingest.test.ts, through ingest.
 */
import { describe, expect, it } from 'vitest';
import { parseExpressionMatrix } from '../../../node/expression/index.js';

const parse = (lines: string[], values: 'counts' | 'log' = 'counts') => parseExpressionMatrix(lines, { label: 'm.tsv', values });

describe('parseExpressionMatrix', () => {
  it('a full header names the gene column first; an R-style header, one field shorter, names samples only', async () => {
    const full = await parse(['gene\ts1\ts2', 'g1\t1\t2', 'g2\t3\t0']);
    const r = await parse(['"s1" "s2"', '"g1" 1 2', '"g2" 3 0']);
    for (const m of [full, r]) {
      expect(m.samples).toEqual(['s1', 's2']);
      expect(m.genes).toEqual(['g1', 'g2']);
      expect(m.rows.map((x) => [...x])).toEqual([[1, 2], [3, 0]]);
      expect([...m.columnSums!]).toEqual([4, 2]);
      expect(m.headerLine).toBe(1);
    }
  });

  it('CSV quotes may hold the delimiter; blank lines and CRLF are skipped; -0 is stored as 0', async () => {
    const m = await parse(['"gene, id","a","b"\r', '', '"g,1",-0,2\r', 'g2,1e3,0.5']);
    expect(m.samples).toEqual(['a', 'b']);
    expect(m.genes).toEqual(['g,1', 'g2']);
    expect(Object.is(m.rows[0]![0], 0)).toBe(true);
    expect([...m.rows[1]!]).toEqual([1000, 0.5]);
    expect(m.nonInteger).toEqual({ count: 1, firstLine: 4 });
  });

  it('log values: no column sums, negative values kept, all-integer matrices noted', async () => {
    const m = await parse(['gene\ta\tb', 'g\t-2.5\t3'], 'log');
    expect(m.columnSums).toBeNull();
    expect([...m.rows[0]!]).toEqual([-2.5, 3]);
    expect(m.allCountLike).toBe(false);
    expect((await parse(['gene\ta', 'g\t4'], 'log')).allCountLike).toBe(true);
  });

  it('errors name the label, line and column, never the value', async () => {
    await expect(parse(['gene\ta\tb', 'g\t1\t7x'])).rejects.toMatchObject({ code: 'GENOFED_EXPRESSION_FORMAT', message: 'm.tsv:2: column 3: value is not a number' });
    await expect(parse(['gene\ta\tb', 'g\t1\t-Infinity'], 'log')).rejects.toMatchObject({ message: 'm.tsv:2: column 3: value is not finite' });
    await expect(parse([])).rejects.toMatchObject({ message: 'm.tsv: empty file: no header line' });
  });
});
