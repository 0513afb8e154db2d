/**
 * The first round of differential expression at the node: over the
 * analysed samples, their count, their summed library sizes (quantized)
 * and which kind of values this site holds (each sum as limbs).
 */
import { encodeLimbs, EXPR_LIMBS, quantize } from '../../proto/expression.js';
import { expressionScale, SCALE_SUMS, type ExpressionScaleParams } from '../../proto/kinds/expression-scale.js';
import { analysedDesign, eqtlAnalysedCells, expressionMembers, expressionOf, unionOf } from './expression-samples.js';
import type { CountedNodeKind } from './kind.js';

export const kind: CountedNodeKind<ExpressionScaleParams> = {
  spec: expressionScale,
  // One group: the eQTL scale, over the cohort's analysed cells (expression values and genotypes).
  members: (store, p, schema) => (p.groupB === '' ? eqtlAnalysedCells(store, p.groupA, schema, p.covariates) : expressionMembers(store, p, schema)),
  async count(store, p, schema, _list, members) {
    const e = await expressionOf(store);
    const samples = p.groupB === '' ? unionOf(members) : analysedDesign(members, p, schema).samples;
    let lib = 0n;
    if (e.values === 'counts') for (const l of await e.libSizes(samples)) lib += BigInt(quantize(l));
    const out = new Uint32Array(SCALE_SUMS.length * EXPR_LIMBS);
    encodeLimbs(BigInt(samples.length), out, 0);
    encodeLimbs(lib, out, EXPR_LIMBS);
    encodeLimbs(e.values === 'counts' ? 1n : 0n, out, 2 * EXPR_LIMBS);
    encodeLimbs(e.values === 'log' ? 1n : 0n, out, 3 * EXPR_LIMBS);
    return out;
  },
};
