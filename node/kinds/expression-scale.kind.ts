/**
 * The first round of differential expression at the node: over the
 * analysed samples, their count, their summed library sizes (quantized;
 * with DP on each clipped at LIB_SIZE_CLIP) and which kind of values this
 * site holds (each sum as limbs; with DP on, n and the library sizes in
 * their families' units plus this site's noise share: expression-noise.ts).
 */
import { quantize } from '../../proto/expression.js';
import { LIB_SIZE_CLIP, scaleFamilies } from '../../proto/expression-dp.js';
import { expressionScale, type ExpressionScaleParams } from '../../proto/kinds/expression-scale.js';
import { encodeSums } from './expression-noise.js';
import { analysedDesign, eqtlAnalysedCells, expressionMembers, expressionOf, unionOf } from './expression-samples.js';
import type { CountedNodeKind } from './kind.js';

export const kind: CountedNodeKind<ExpressionScaleParams> = {
  spec: expressionScale,
  // One group: the eQTL scale, over the cohort's analysed cells (expression values and genotypes).
  members: (store, p, schema) => (p.groupB === '' ? eqtlAnalysedCells(store, p.groupA, schema, p.covariates) : expressionMembers(store, p, schema)),
  async count(store, p, schema, _list, members, noise) {
    const e = await expressionOf(store);
    const samples = p.groupB === '' ? unionOf(members) : analysedDesign(members, p, schema).samples;
    let lib = 0n;
    // With DP on one person changes the sum by at most the clip (proto/expression-dp.ts); the exact sum is unclipped.
    const cap = noise ? LIB_SIZE_CLIP : Number.POSITIVE_INFINITY;
    if (e.values === 'counts') for (const l of await e.libSizes(samples)) lib += BigInt(quantize(Math.min(l, cap)));
    const sums = [BigInt(samples.length), lib, e.values === 'counts' ? 1n : 0n, e.values === 'log' ? 1n : 0n];
    return encodeSums(sums, scaleFamilies(), (i) => i, noise);
  },
};
