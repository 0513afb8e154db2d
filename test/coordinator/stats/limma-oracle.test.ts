/**
 * limma from network sums against R limma 3.54 itself (R 4.2, run in the
 * test): lmFit + eBayes(trend = FALSE | TRUE) + topTable(sort.by = "P"),
 * computed here from n, X'X, X'y and y'y only, the way the coordinator gets
 * them (quantized values at 2^-24, sums exact).
 *
 * - pasilla (14,599 genes x 7 samples; intercept, treated, library type):
 *   log-CPM here (proto/expression.ts logCpm) equals edgeR's cpm(log =
 *   TRUE, prior.count = 2) within 1e-9; on the same quantized matrix (R
 *   quantizes its own cpm) every gene's coefficients, stdev.unscaled,
 *   sigma, AveExpr, s2.prior, s2.post, t, df.total, p and adj.P.Val equal
 *   R's within 1e-9 (absolute or relative; p: relative 1e-9 or 1e-12
 *   absolute); against limma on the unquantized log-CPM within 1e-4.
 * - a seeded synthetic matrix (3,000 genes x 60 samples, age, 3-level
 *   batch, constant and near-constant rows), with a full-rank design and one
 *   with two aliased columns.
 * - OLS per row with its own X'X (the eQTL shape) against summary(lm()).
 * - fitFDist on short vectors (spline df 2 and 3, ties, NA) and ns() itself.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { differentialExpressionTable, eBayes, fitFDist, lmFitFromSums, naturalSpline, olsCoefficientTest, topTable, type LinearModelFit, type ModeratedFit } from '../../../coordinator/stats/index.js';
import { dequantize, quantize } from '../../../proto/expression.js';
import { prng } from '../../bench/synthetic-vcf.js';
import { close, HAS_R } from './r-oracle.js';
import { exactSums, loadPasilla, matrixTsv, numbers, PASILLA_ANNOTATION, PASILLA_COUNTS, pasillaLogCpm, runRFiles, SUM_UNIT, synthetic } from './limma-oracle.js';
import { R_FIT_F_DIST, R_MATRIX, R_NS, R_OLS, R_PASILLA } from './limma-r-scripts.js';
import { readFileSync } from 'node:fs';

let compared = 0;

interface Tol {
  rel: number;
  abs: number;
}
// Same data: 1e-9 (1e-6 would do; the largest differences seen are ~7e-12 on t, ~5e-12 relative on p).
const SAME: Tol = { rel: 1e-9, abs: 1e-9 };
const P_TOL: Tol = { rel: 1e-9, abs: 1e-12 };
const RAW: Tol = { rel: 1e-4, abs: 1e-4 };

/** Largest differences seen, by kind (printed with LIMMA_ORACLE_REPORT=1). */
const worst = new Map<string, { abs: number; rel: number }>();

/** NaN (R's NA) on both sides, or close. */
function check(bad: string[], what: string, ours: number, r: number, tol: Tol): void {
  compared++;
  if (Number.isFinite(ours) && Number.isFinite(r)) {
    const kind = what.replace(/(^| )(gene|row|case|sample) \d+/g, '').replace(/ \d+$/, '');
    const w = worst.get(kind) ?? { abs: 0, rel: 0 };
    const d = Math.abs(ours - r);
    worst.set(kind, { abs: Math.max(w.abs, d), rel: Math.max(w.rel, d === 0 ? 0 : d / Math.max(Math.abs(ours), Math.abs(r))) });
  }
  const same = Number.isNaN(r) ? Number.isNaN(ours) : close(ours, r, tol.rel, tol.abs);
  if (!same && bad.length < 20) bad.push(`${what}: ours ${ours} R ${r}`);
}

/** Every gene of our fit + eBayes + topTable against R's rows (limma-r-scripts.ts layout). */
function compareFit(label: string, fit: LinearModelFit, eb: ModeratedFit, coef: number, rows: number[][], tol: Tol, pTol: Tol): string[] {
  const bad: string[] = [];
  const { p, genes } = fit;
  expect(rows.length).toBe(genes);
  const table = topTable(fit, eb, coef);
  const adj = new Float64Array(genes);
  table.forEach((r) => (adj[r.gene] = r.adjPValue ?? Number.NaN));
  rows.forEach((r, g) => {
    const at = (k: number): number => r[k]!;
    for (let j = 0; j < p; j++) {
      check(bad, `${label} gene ${g} coef ${j}`, fit.coefficients[g * p + j]!, at(j), tol);
      check(bad, `${label} gene ${g} stdev.unscaled ${j}`, fit.stdevUnscaled[g * p + j]!, at(p + j), { rel: 1e-12, abs: 0 });
    }
    check(bad, `${label} gene ${g} sigma`, fit.sigma[g]!, at(2 * p), { rel: tol.rel, abs: 1e-12 });
    check(bad, `${label} gene ${g} df.residual`, fit.dfResidual[g]!, at(2 * p + 1), { rel: 0, abs: 0 });
    check(bad, `${label} gene ${g} AveExpr`, fit.amean[g]!, at(2 * p + 2), tol === RAW ? RAW : { rel: 1e-14, abs: 1e-14 });
    check(bad, `${label} gene ${g} s2.prior`, eb.s2Prior[g]!, at(2 * p + 3), tol);
    check(bad, `${label} gene ${g} s2.post`, eb.s2Post[g]!, at(2 * p + 4), tol);
    check(bad, `${label} gene ${g} t`, eb.t[g * p + coef]!, at(2 * p + 5), tol);
    check(bad, `${label} gene ${g} df.total`, eb.dfTotal[g]!, at(2 * p + 6), tol);
    check(bad, `${label} gene ${g} P.Value`, eb.pValue[g * p + coef]!, at(2 * p + 7), pTol);
    check(bad, `${label} gene ${g} adj.P.Val`, adj[g]!, at(2 * p + 8), pTol);
  });
  check(bad, `${label} df.prior`, eb.dfPrior, rows[0]![2 * p + 10]!, tol);
  // Our order is R's up to ties: R's p-values, taken in our order, never decrease.
  for (let i = 1; i < table.length; i++) {
    const prev = rows[table[i - 1]!.gene]![2 * p + 7]!;
    const cur = rows[table[i]!.gene]![2 * p + 7]!;
    if (!(cur >= prev * (1 - pTol.rel) - pTol.abs) && bad.length < 20) bad.push(`${label} order at ${i}: R p ${prev} then ${cur}`);
  }
  return bad;
}

/** R rows of one tag and trend, the tag fields dropped. */
function rowsOf(out: string[][], tag: string, trend: 'F' | 'T'): number[][] {
  return out.filter((r) => r[0] === tag && r[1] === trend).map((r) => numbers(r.slice(2)));
}

describe.skipIf(!HAS_R)('limma on pasilla from network sums equals R limma', () => {
  const data = loadPasilla();
  const ns = data.samples.length;
  const design = data.samples.map((_, s) => [1, data.treated[s]!, data.singleRead[s]!]);
  const lc = pasillaLogCpm(data);
  let out: string[][] = [];
  let fit: LinearModelFit;
  let sums: ReturnType<typeof exactSums>;
  beforeAll(() => {
    out = runRFiles(R_PASILLA, [readFileSync(PASILLA_COUNTS, 'utf8'), readFileSync(PASILLA_ANNOTATION, 'utf8')]);
    sums = exactSums(design, lc, data.genes.length);
    fit = lmFitFromSums({ n: sums.n, xtx: sums.xtx, unit: SUM_UNIT }, sums.xty, sums.yty);
  });

  it('differentialExpressionTable: the same table with gene ids, in R\'s order', () => {
    const table = differentialExpressionTable({ ...sums, unit: SUM_UNIT }, { genes: data.genes, coefficient: 1, trend: true });
    const r = rowsOf(out, 'Q', 'T');
    const index = new Map(data.genes.map((g, i) => [g, i]));
    const bad: string[] = [];
    table.rows.forEach((row, k) => {
      const g = index.get(row.gene)!;
      check(bad, `table ${k} logFC`, row.logfc, r[g]![1]!, SAME);
      check(bad, `table ${k} AveExpr`, row.ave_expr, r[g]![8]!, SAME);
      check(bad, `table ${k} adj.P.Val`, row.adj_p, r[g]![14]!, P_TOL);
      if (r[g]![15] !== k + 1 && bad.length < 20) bad.push(`table ${k}: R ranks ${row.gene} ${r[g]![15]}`);
    });
    expect(bad).toEqual([]);
    expect(table.dfResidual).toBe(4);
    expect(table.dfPrior).toBeCloseTo(r[0]![16]!, 9);
  });

  it('the design is R model.matrix(~ condition + type): intercept, treated, single-read', () => {
    expect(out.filter((r) => r[0] === 'design').map((r) => numbers(r.slice(1)))).toEqual(design);
  });

  it('logCpm (proto/expression.ts) equals edgeR cpm(log = TRUE, prior.count = 2) within 1e-9 on every value', () => {
    const cpm = out.filter((r) => r[0] === 'cpm').map((r) => numbers(r.slice(1)));
    expect(cpm.length).toBe(data.genes.length);
    const bad: string[] = [];
    let quantumFlips = 0;
    cpm.forEach((row, g) =>
      row.forEach((v, s) => {
        check(bad, `gene ${g} sample ${s} log-CPM`, lc[g * ns + s]!, v, { rel: 0, abs: 1e-9 });
        if (quantize(v) !== quantize(lc[g * ns + s]!)) quantumFlips++;
      }),
    );
    expect(bad).toEqual([]);
    if (process.env.LIMMA_ORACLE_REPORT) console.log(`log-CPM values rounding to a different 2^-24 grid value: ${quantumFlips}`);
    // Rounding to 2^-24 then agrees on all but a handful of values sitting on a rounding boundary.
    expect(quantumFlips).toBeLessThan(10);
  });

  for (const trend of ['F', 'T'] as const) {
    it(`trend = ${trend === 'T'}: every gene equals limma on the same quantized matrix within 1e-9`, () => {
      const eb = eBayes(fit, { trend: trend === 'T' });
      expect(compareFit(`quantized trend ${trend}`, fit, eb, 1, rowsOf(out, 'Q', trend), SAME, P_TOL)).toEqual([]);
    });
    it(`trend = ${trend === 'T'}: every gene equals limma on the unquantized log-CPM within 1e-4`, () => {
      const eb = eBayes(fit, { trend: trend === 'T' });
      expect(compareFit(`raw trend ${trend}`, fit, eb, 1, rowsOf(out, 'U', trend), RAW, { rel: 1e-4, abs: 1e-12 })).toEqual([]);
    });
  }
});

describe.skipIf(!HAS_R)('limma on a synthetic matrix (60 samples, age, 3-level batch) equals R limma', () => {
  const syn = synthetic();
  const batchB = (s: number): number => (syn.batch[s] === 1 ? 1 : 0);
  const batchC = (s: number): number => (syn.batch[s] === 2 ? 1 : 0);
  const designs: Record<string, { names: string[]; rows: number[][] }> = {
    full: { names: ['int', 'group', 'age', 'batchB', 'batchC'], rows: syn.group.map((g, s) => [1, g, syn.age[s]!, batchB(s), batchC(s)]) },
    // notA = batchB + batchC follows the columns it depends on; zero is all zeros: both aliased (NA), age after them kept.
    aliased: { names: ['int', 'group', 'batchB', 'batchC', 'notA', 'age', 'zero'], rows: syn.group.map((g, s) => [1, g, batchB(s), batchC(s), batchB(s) + batchC(s), syn.age[s]!, 0]) },
  };
  for (const [name, d] of Object.entries(designs)) {
    let out: string[][] = [];
    let fit: LinearModelFit;
    beforeAll(() => {
      const designTsv = d.names.join('\t') + '\n' + d.rows.map((r) => r.map(String).join('\t')).join('\n') + '\n';
      out = runRFiles(R_MATRIX, [matrixTsv(syn.values, syn.n), designTsv, '2\n']);
      const sums = exactSums(d.rows, syn.values, syn.genes);
      fit = lmFitFromSums({ n: sums.n, xtx: sums.xtx, unit: SUM_UNIT }, sums.xty, sums.yty);
    });
    for (const trend of ['F', 'T'] as const) {
      it(`${name} design, trend = ${trend === 'T'}: every gene within 1e-9, constant and near-constant rows included`, () => {
        const eb = eBayes(fit, { trend: trend === 'T' });
        expect(compareFit(`${name} trend ${trend}`, fit, eb, 1, rowsOf(out, 'S', trend), SAME, P_TOL)).toEqual([]);
      });
    }
    if (name === 'aliased') {
      it('the aliased columns are NA like R, and topTable on one of them is an error', () => {
        expect(fit.estimable).toEqual([true, true, true, true, false, true, false]);
        expect(fit.dfResidual[0]).toBe(syn.n - 5);
        const eb = eBayes(fit);
        expect(() => topTable(fit, eb, 4)).toThrow(/not estimable/);
      });
    }
  }
  it('the near-constant rows (sd ~1e-6 around ~20) keep their residual variance (a double-only RSS would not)', () => {
    const sums = exactSums(designs.full!.rows, syn.values, syn.genes);
    const fit = lmFitFromSums({ n: sums.n, xtx: sums.xtx, unit: SUM_UNIT }, sums.xty, sums.yty);
    for (const g of syn.tinyRows) expect(fit.sigma[g]!).toBeGreaterThan(5e-7);
    for (const g of syn.constantRows) expect(fit.sigma[g]).toBe(0);
  });
});

describe.skipIf(!HAS_R)('OLS per row with its own X\'X (eQTL shape) equals summary(lm(y ~ dosage + age))', () => {
  const rnd = prng(77);
  const n = 80;
  const age = Array.from({ length: n }, () => dequantize(quantize(20 + 60 * rnd())));
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const rows = Array.from({ length: 300 }, (_, r) => {
    const maf = r % 25 === 0 ? 0 : 0.02 + 0.48 * rnd();
    const dosage = Array.from({ length: n }, () => (rnd() < maf ? 1 : 0) + (rnd() < maf ? 1 : 0));
    const beta = r % 3 === 0 ? 0 : (rnd() - 0.5) * 4;
    const mean = 14 * rnd();
    const y = dosage.map((d, s) => dequantize(quantize(mean + beta * d + 0.01 * age[s]! + 0.3 * normal())));
    return { y, dosage };
  });
  it('estimate, SE, t within 1e-6 (relative) and p within 1e-6 relative; null where R drops an aliased dosage', () => {
    const out = runRFiles(R_OLS, [rows.map((r) => [...r.y, ...r.dosage].map(String).join('\t')).join('\n') + '\n', age.map(String).join('\n') + '\n']).map(numbers);
    expect(out.length).toBe(rows.length);
    const bad: string[] = [];
    let dropped = 0;
    let tiny = 0;
    rows.forEach((r, i) => {
      const design = r.dosage.map((d, s) => [1, d, age[s]!]);
      const sums = exactSums(design, Float64Array.from(r.y), 1);
      const test = olsCoefficientTest({ n, xtx: sums.xtx, xty: sums.xty, yty: sums.yty[0]!, unit: SUM_UNIT }, 1);
      const rr = out[i]!;
      if (Number.isNaN(rr[0]!)) {
        dropped++;
        compared++;
        if (test !== null) bad.push(`row ${i}: R dropped dosage, ours ${JSON.stringify(test)}`);
        return;
      }
      if (test === null) {
        bad.push(`row ${i}: ours null`);
        return;
      }
      check(bad, `row ${i} estimate`, test.estimate, rr[0]!, { rel: 1e-6, abs: 1e-12 });
      check(bad, `row ${i} SE`, test.se, rr[1]!, { rel: 1e-6, abs: 0 });
      check(bad, `row ${i} t`, test.t, rr[2]!, { rel: 1e-6, abs: 1e-12 });
      check(bad, `row ${i} p`, test.p, rr[3]!, { rel: 1e-6, abs: 0 });
      if (rr[3]! < 1e-30) tiny++;
      expect(test.df).toBe(n - 3);
    });
    expect(bad).toEqual([]);
    expect(dropped).toBe(12);
    expect(tiny).toBeGreaterThan(20);
  });
});

describe.skipIf(!HAS_R)('fitFDist and ns equal R on short and awkward inputs', () => {
  const rnd = prng(5);
  const cases: { x: number[]; df1: number[]; cov: number[] | null }[] = [];
  for (const len of [2, 4, 5, 8, 12, 29, 40]) {
    const cov = Array.from({ length: len }, () => 10 * rnd());
    const x = cov.map((c) => (0.05 + Math.exp(-c / 3)) * (0.3 + 2 * rnd()) ** 2);
    cases.push({ x, df1: x.map(() => 4), cov }, { x, df1: x.map(() => 4), cov: null });
  }
  // Two distinct covariate values (spline df capped at 2), one value (back to no covariate), unequal df1, NA and negative x, zeros.
  cases.push({ x: [0.2, 0.5, 0.1, 0.9, 0.3, 0.4, 0.8], df1: [3, 3, 3, 3, 3, 3, 3], cov: [1, 2, 1, 2, 1, 2, 1] });
  cases.push({ x: [0.2, 0.5, 0.1, 0.9, 0.3], df1: [3, 3, 3, 3, 3], cov: [1, 1, 1, 1, 1] });
  cases.push({ x: [0.2, 0.5, 0.1, 0.9, 0.3, 2.5, 0.05, 0.7], df1: [2, 3, 4, 5, 6, 7, 8, 9], cov: [1, 2, 3, 4, 5, 6, 7, 8] });
  cases.push({ x: [0.2, Number.NaN, 0.1, 0.9, -1, 0.4, 0.8, 0.6, 0.35, 1.1], df1: new Array<number>(10).fill(5), cov: [5, 0.5, 3, 4, 12, 6, 7, 8, 9, 2] });
  cases.push({ x: [0, 0, 0.3, 0.5, 0, 0.2, 0.9], df1: new Array<number>(7).fill(4), cov: [1, 2, 3, 4, 5, 6, 7] });

  it('fitFDist(x, df1, covariate): scale and df2 within 1e-10', () => {
    const bad: string[] = [];
    const tsv = 'case\tx\tdf1\tcovariate\n' + cases.flatMap((c, i) => c.x.map((v, k) => `${i}\t${Number.isNaN(v) ? 'NA' : v}\t${c.df1[k]}\t${c.cov ? c.cov[k] : 'NA'}`)).join('\n') + '\n';
    const out = runRFiles(R_FIT_F_DIST, [tsv]).map(numbers);
    expect(out.length).toBe(2 * cases.length);
    cases.forEach((c, i) => {
      const ours = fitFDist(c.x, c.df1, c.cov ?? undefined);
      ours.scale.forEach((v, k) => check(bad, `case ${i} scale`, v, out[2 * i]![k]!, { rel: 1e-10, abs: 0 }));
      check(bad, `case ${i} df2`, ours.df2, out[2 * i + 1]![0]!, { rel: 1e-10, abs: 0 });
    });
    expect(bad).toEqual([]);
  });

  it('ns(x, df, intercept) and predict() beyond the boundary knots: every basis value within 1e-12', () => {
    const bad: string[] = [];
    const inputs: [number[], number, boolean][] = [
      [Array.from({ length: 50 }, () => 20 * rnd() - 5), 4, true],
      [Array.from({ length: 50 }, () => 20 * rnd() - 5), 3, false],
      [Array.from({ length: 9 }, () => Math.round(5 * rnd())), 2, true], // ties, few values
      [Array.from({ length: 200 }, () => rnd() ** 4), 5, true], // skewed
      [[3, 1, 2], 3, true],
    ];
    for (const [x, df, intercept] of inputs) {
      const newx = [-10, 0.5, 30];
      const out = runRFiles(R_NS, [x.join('\n') + '\n', [df, intercept ? 1 : 0, ...newx].join('\n') + '\n']);
      const basis = out.filter((r) => r[0] === 'basis').map((r) => numbers(r.slice(1)));
      const pred = out.filter((r) => r[0] === 'predict').map((r) => numbers(r.slice(1)));
      const ours = naturalSpline(x, { df, intercept });
      const again = naturalSpline(newx, { knots: ours.knots, boundaryKnots: ours.boundaryKnots, intercept });
      expect(ours.ncol).toBe(basis[0]!.length);
      basis.forEach((row, i) => row.forEach((v, j) => check(bad, `ns df ${df} row ${i} col ${j}`, ours.basis[i * ours.ncol + j]!, v, { rel: 0, abs: 1e-12 })));
      pred.forEach((row, i) => row.forEach((v, j) => check(bad, `predict df ${df} row ${i} col ${j}`, again.basis[i * again.ncol + j]!, v, { rel: 1e-12, abs: 1e-12 })));
    }
    expect(bad).toEqual([]);
  });
});

describe('limma R comparison guard', () => {
  it('the R comparison ran (Rscript with limma and edgeR must be installed in CI)', () => {
    if (process.env.CI) expect(HAS_R).toBe(true);
    if (HAS_R) expect(compared).toBeGreaterThan(500_000);
    if (process.env.LIMMA_ORACLE_REPORT) for (const [k, w] of [...worst].sort()) console.log(`${k}\tabs ${w.abs.toExponential(2)}\trel ${w.rel.toExponential(2)}`);
  });
});
