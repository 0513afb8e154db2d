/**
 * What DP leaves of differential expression, measured on the demo's size
 * (4,000 genes x the 2,504 1000 Genomes samples, negative binomial counts
 * with 10% planted group effects, ~ group + sex): the exact network sums
 * (pooled here, as the nodes' store computes them: node/store/expression-
 * sums.ts), released in their families' units with Skellam noise at the mu
 * the nodes draw (one draw of the network total: the sum of the sites'
 * shares has the same law), decoded and fitted by the coordinator's
 * expression-de kind. The mean library size is the exact one (the scale
 * round's noise only scales the prior count). Cited by THREAT-MODEL.md,
 * "Expression answers".
 */
import { describe, expect, it } from 'vitest';
import { syntheticExpression } from '../../../coordinator/demo/synthetic-expression.js';
import { readPanel } from '../../../coordinator/demo/synthetic-expression-genotypes.js';
import { DEFAULT_DISCLOSURE_POLICY } from '../../../coordinator/disclosure/index.js';
import { expressionDe } from '../../../coordinator/kinds/expression-de.js';
import { noiseShare } from '../../../node/privacy/skellam.js';
import { DesignSums } from '../../../node/store/expression-sums.js';
import { skellamMu } from '../../../proto/dp-accounting.js';
import { encodeLimbs, EXPR_LIMBS, logCpm, quantize } from '../../../proto/expression.js';
import { DEFAULT_EXPR_CLIP, familiesSensitivity, modelFamilyOf, releaseSum } from '../../../proto/expression-dp.js';
import { deGeneOffset, deSumCount, triangleIndex } from '../../../proto/expression-design.js';
import { deFamilies, type ExpressionDeParams } from '../../../proto/kinds/expression-de.js';
import { parsePhenotypeSchema } from '../../../proto/phenotype-schema.js';

const schema = parsePhenotypeSchema({
  format: 'genofed-phenotype-schema', version: 1,
  columns: [{ name: 'group', type: 'categorical', values: ['A', 'B'] }, { name: 'sex', type: 'categorical', values: ['female', 'male'] }],
});

describe('differential expression under DP on the demo-size matrix (4,000 genes x 2,504 samples, ~ group + sex, clip 16)', () => {
  const panel = readPanel();
  const data = syntheticExpression({ samples: panel.map((r) => r.sample), genes: 4_000, seed: 2012, panel: new Map(panel.map((r) => [r.sample, r])), covariates: { sex: 0.05, age: 0, batch: 0 } });
  const S = data.samples.length;
  const G = data.genes.length;
  const order = data.genes.map((g, i) => ({ id: g.id, i })).sort((a, b) => (a.id < b.id ? -1 : 1));
  const lib = Array.from({ length: S }, (_, j) => { let s = 0; for (let g = 0; g < G; g++) s += data.matrix[g * S + j]!; return s; });
  const meanLibSize = lib.reduce((a, b) => a + b, 0) / S;
  const P = 3;
  const params: ExpressionDeParams = { kind: 'expression-de', groupA: "group = 'A'", groupB: "group = 'B'", covariates: ['sex'], values: 'counts', meanLibSize, genes: order.map((g) => g.id), clip: DEFAULT_EXPR_CLIP };
  // Exact sums in slot order (log-CPM clipped to 16, quantized, summed exactly).
  const xq = new Float64Array(S * P);
  data.phenotypes.forEach((p, j) => xq.set([quantize(1), quantize(p.group === 'A' ? 1 : 0), quantize(p.sex === 'male' ? 1 : 0)], j * P));
  const design = new DesignSums(xq, S, P);
  const count = deSumCount(P, G);
  const exact = new Array<bigint>(count);
  exact[0] = BigInt(S);
  for (let a = 0; a < P; a++) for (let b = a; b < P; b++) exact[1 + triangleIndex(a, b, P)] = design.xtx[a * P + b]!;
  const y = new Float64Array(S);
  const xty = new Array<bigint>(P);
  const scratch: Float64Array[] = [];
  order.forEach((g, k) => {
    for (let j = 0; j < S; j++) y[j] = quantize(Math.min(DEFAULT_EXPR_CLIP, logCpm(data.matrix[g.i * S + j]!, lib[j]!, meanLibSize)));
    const yty = design.gene(y, xty, 0, scratch);
    const o = deGeneOffset(P, k);
    for (let a = 0; a < P; a++) exact[o + a] = xty[a]!;
    exact[o + P] = yty;
  });
  const families = deFamilies(params, schema);
  const familyOf = modelFamilyOf(P, count);
  const planted = new Set(data.truth.filter((t) => t.deLog2fc !== 0).map((t) => t.gene));

  /** The coordinator's answer from the released totals at `epsilon` (0: exact, DP off). */
  function answer(epsilon: number) {
    const mu = epsilon > 0 ? skellamMu({ epsilon, norms: familiesSensitivity(families) }) : 0;
    const noise = mu > 0 ? noiseShare({ mu, parties: 1, length: count }) : null;
    const totals = new Uint32Array(count * EXPR_LIMBS);
    exact.forEach((v, i) => encodeLimbs(noise ? releaseSum(v, families[familyOf(i)]!.shift) + BigInt(noise[i]!) : v, totals, i * EXPR_LIMBS));
    const req = { querier: 'x', groupA: params.groupA, groupB: params.groupB, covariates: params.covariates, values: params.values, meanLibSize, genes: params.genes, trend: false, clip: params.clip };
    return expressionDe.answer(Float64Array.from(totals), { req, params, list: [], ctx: { schema, policy: DEFAULT_DISCLOSURE_POLICY }, noise: mu > 0 ? { mu, sd: Math.sqrt(2 * mu) } : null, withheld: new Set() });
  }

  function found(epsilon: number): { planted: number; called: number; found: number; notFitted: number } {
    try {
      const a = answer(epsilon);
      const called = a.rows.filter((r) => r.adj_p < 0.05);
      return { planted: planted.size, called: called.length, found: called.filter((r) => planted.has(r.gene)).length, notFitted: a.dp?.genesNotFitted.length ?? 0 };
    } catch (err) {
      // No model at all under this noise (GENOFED_DP_NOISE_TOO_LARGE): nothing found.
      if ((err as { code?: string }).code === 'GENOFED_DP_NOISE_TOO_LARGE') return { planted: planted.size, called: 0, found: 0, notFitted: G };
      throw err;
    }
  }

  it('DP off (the same path without noise): most of the 400 planted genes found at 5% FDR', () => {
    const r = found(0);
    expect(r.planted).toBe(400);
    expect(r.found / r.planted).toBeGreaterThan(0.8);
  }, 60_000);

  it('at the default epsilon (1 per round) no planted gene is found: often no model at all (the noisy X\'X is not positive definite), else most genes without a positive residual variance', () => {
    const r = found(1);
    expect(r.found).toBeLessThan(4);
    expect(r.notFitted).toBeGreaterThan(G / 4);
  }, 60_000);

  it('at epsilon 100 per round, 15-50% of the planted genes are found, and counting the noise in t keeps false calls near the nominal rate (under 30% of the calls; limma\'s t alone: ~89%)', () => {
    const r = found(100);
    expect(r.found / r.planted).toBeGreaterThan(0.15);
    expect(r.found / r.planted).toBeLessThan(0.5);
    expect((r.called - r.found) / r.called).toBeLessThan(0.3);
  }, 60_000);
});
