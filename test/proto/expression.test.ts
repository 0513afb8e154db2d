/**
 * The expression kinds' shared contract (proto/expression.ts,
 * proto/expression-design.ts, proto/kinds/expression-*.ts): limbs carry
 * any signed 96-bit sum exactly through masked mod-t addition at many
 * sites; the design's columns, rows and cells; what the kinds refuse.
 */
import { describe, expect, it } from 'vitest';
import { decodeLimbs, encodeLimbs, EXPR_LIMBS, EXPR_SCALE, logCpm, quantize } from '../../proto/expression.js';
import { deGeneOffset, deSumCount, designCells, designColumns, designPopulations, designRow, triangleIndex, triangleSize } from '../../proto/expression-design.js';
import { expressionDe } from '../../proto/kinds/expression-de.js';
import { expressionScale } from '../../proto/kinds/expression-scale.js';
import { parsePhenotypeSchema } from '../../proto/phenotype-schema.js';

const T = 1073692673n; // the `test` and `default` presets' plain modulus (crypto/params.ts T30)

const schema = parsePhenotypeSchema({
  format: 'genofed-phenotype-schema', version: 1,
  columns: [
    { name: 'sex', type: 'categorical', values: ['female', 'male'] },
    { name: 'batch', type: 'categorical', values: ['b1', 'b2', 'b3'] },
    { name: 'age', type: 'integer', bins: [0, 40, 60, 120] },
  ],
});

describe('fixed-point limbs', () => {
  it('the masked mod-t sum of every site\'s limbs decodes to the exact signed network sum (random sums, 2..40 sites)', () => {
    let seed = 3n;
    const rnd = (bits: bigint): bigint => {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) % (1n << 64n);
      return seed % (1n << bits);
    };
    for (let trial = 0; trial < 200; trial++) {
      const sites = 2 + Number(rnd(6n)) % 39;
      const sums = Array.from({ length: sites }, () => (rnd(1n) ? -1n : 1n) * rnd(BigInt(20 + (trial % 70))));
      const total = sums.reduce((a, b) => a + b, 0n);
      // Pairwise masks mod t: site i adds m_ij, site j subtracts it; every limb slot's masks cancel mod t.
      const slots = sums.map((s) => {
        const out = new Uint32Array(EXPR_LIMBS);
        encodeLimbs(s, out, 0);
        return Array.from(out, (v) => BigInt(v));
      });
      for (let i = 0; i < sites; i++) for (let j = i + 1; j < sites; j++) for (let k = 0; k < EXPR_LIMBS; k++) {
        const m = rnd(30n) % T;
        slots[i]![k] = (slots[i]![k]! + m) % T;
        slots[j]![k] = (slots[j]![k]! + T - m) % T;
      }
      const decrypted = Array.from({ length: EXPR_LIMBS }, (_, k) => Number(slots.reduce((a, s) => a + s[k]!, 0n) % T));
      expect(decodeLimbs(decrypted, 0)).toBe(total);
    }
  });

  it('refuses a sum outside 96-bit two\'s complement and limb sums that are not integers', () => {
    const out = new Uint32Array(EXPR_LIMBS);
    expect(() => encodeLimbs(1n << 95n, out, 0)).toThrow(RangeError);
    encodeLimbs(-(1n << 95n), out, 0);
    expect(decodeLimbs(out, 0)).toBe(-(1n << 95n));
    expect(() => decodeLimbs([0.5, 0, 0, 0, 0, 0], 0)).toThrow(RangeError);
  });

  it('quantizes at 2^-24, ties upward as R floor(x * 2^24 + 0.5)', () => {
    expect(quantize(1)).toBe(EXPR_SCALE);
    expect(quantize(-2.5 / EXPR_SCALE)).toBe(-2);
    expect(quantize(2.5 / EXPR_SCALE)).toBe(3);
    expect(() => quantize(Number.NaN)).toThrow(RangeError);
  });

  it('log-CPM is edgeR\'s: the prior scales with the library size over the mean, and the library grows by twice it', () => {
    // Hand-computed: lib 2e6, mean 1e6 -> prior 4, log2((10 + 4) / (2e6 + 8) * 1e6).
    expect(logCpm(10, 2e6, 1e6)).toBeCloseTo(Math.log2((14 / 2_000_008) * 1e6), 12);
  });
});

describe('the design', () => {
  it('columns: intercept, the term, treatment contrasts in schema order, numeric covariates as values', () => {
    expect(designColumns(schema, ['batch', 'age'], 'group').map((c) => c.name)).toEqual(['(Intercept)', 'group', 'batchb2', 'batchb3', 'age']);
    expect(() => designColumns(schema, ['height'], 'group')).toThrow(/unknown column 'height'/);
    expect(() => designColumns(schema, ['sex', 'sex'], 'group')).toThrow(/given twice/);
  });

  it('a sample\'s row; a missing covariate leaves it out', () => {
    const cols = designColumns(schema, ['batch', 'age'], 'group');
    expect([...designRow(cols, 1, (c) => ({ batch: 'b3', age: 40 })[c])!]).toEqual([1, 1, 0, 1, 40]);
    expect(designRow(cols, 0, (c) => ({ batch: 'b3' })[c])).toBeNull();
  });

  it('every (group, covariate cell) is a population the nodes verify, refused when small', () => {
    const pops = designPopulations(schema, ['sex', 'batch']);
    expect(pops).toHaveLength(2 + 2 * 6);
    expect(pops.every((p) => p.onSmall === 'refuse')).toBe(true);
    expect(pops[2]!.label).toBe('group_a (female,b1)');
    expect(designCells(schema, [])).toEqual([{ label: '', values: [] }]);
  });

  it('the sums\' slot order: n, the X\'X triangle, then per gene X\'y and y\'y', () => {
    expect(triangleSize(3)).toBe(6);
    expect([triangleIndex(0, 0, 3), triangleIndex(0, 2, 3), triangleIndex(1, 1, 3), triangleIndex(2, 1, 3), triangleIndex(2, 2, 3)]).toEqual([0, 2, 3, 4, 5]);
    expect(deSumCount(3, 10)).toBe(1 + 6 + 40);
    expect(deGeneOffset(3, 2)).toBe(1 + 6 + 8);
  });
});

describe('the expression kinds refuse', () => {
  const de = { kind: 'expression-de', groupA: "sex = 'female'", groupB: "sex = 'male'", covariates: ['batch'], values: 'counts', meanLibSize: 1e6, genes: ['A', 'B'], clip: 0 };
  const limits = { maxVariants: 1000, schema, dpEpsilon: 0 };

  it('DP on: a query without a clip, or whose noise would leave the sampler\'s exact range, is refused in the envelope checks, before a node admits it or spends budget', () => {
    expect(() => expressionDe.check(expressionDe.parse(de), { ...limits, dpEpsilon: 1 })).toThrow(/must carry a clip/);
    expect(() => expressionDe.check(expressionDe.parse({ ...de, clip: 16 }), { ...limits, dpEpsilon: 1 })).not.toThrow();
    expect(() => expressionScale.check(expressionScale.parse({ kind: 'expression-scale', groupA: 'a = 1', groupB: 'a = 2', covariates: [] }), { ...limits, dpEpsilon: 0.5 })).not.toThrow();
    // 100,000 genes at epsilon 1e-4: mu ~ 2^60.
    const many = Array.from({ length: 100_000 }, (_, i) => `G${String(i).padStart(6, '0')}`);
    expect(() => expressionDe.check(expressionDe.parse({ ...de, genes: many, clip: 16 }), { ...limits, dpEpsilon: 1e-4 })).toThrow(/exceed the exact range/);
    expect(() => expressionDe.check(expressionDe.parse(de), limits)).not.toThrow();
    expect([expressionDe.dpNoise, expressionScale.dpNoise]).toEqual(['sums', 'sums']);
  });

  it('unsorted or repeated genes, a mean library size without counts, unknown covariates', () => {
    expect(() => expressionDe.parse({ ...de, genes: ['B', 'A'] })).toThrow(/sorted, each once/);
    expect(() => expressionDe.parse({ ...de, genes: ['A', 'A'] })).toThrow(/sorted, each once/);
    expect(() => expressionDe.parse({ ...de, values: 'log' })).toThrow(/mean library size/);
    expect(() => expressionDe.check(expressionDe.parse({ ...de, covariates: ['height'] }), limits)).toThrow(/unknown column/);
  });

  it('the audit log records the gene list as its count and digest', () => {
    const a = expressionDe.audit(expressionDe.parse(de));
    expect(a.geneCount).toBe(2);
    expect(a.genesSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(a)).not.toContain('"A"');
  });
});
