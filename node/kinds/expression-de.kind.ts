/**
 * Differential expression at the node: over the analysed samples, the
 * exact quantized sums n, X'X and per signed gene X'y, y'y (the store
 * computes them: node/store/README.md, "Expression"; y clipped to
 * [-clip, clip] when the query carries a clip), each as limbs in
 * proto/expression-design.ts's order; with DP on, each in its family's
 * units plus this site's noise share (expression-noise.ts). Refused when
 * this site's values are not the kind signed, or it lacks a signed gene.
 */
import { modelFamilyOf } from '../../proto/expression-dp.js';
import { deGeneOffset, deSumCount, triangleIndex } from '../../proto/expression-design.js';
import { deFamilies, expressionDe, type ExpressionDeParams } from '../../proto/kinds/expression-de.js';
import { NodeError } from '../errors.js';
import { encodeSums } from './expression-noise.js';
import { analysedDesign, expressionMembers, expressionOf } from './expression-samples.js';
import type { CountedNodeKind } from './kind.js';

export const kind: CountedNodeKind<ExpressionDeParams> = {
  spec: expressionDe,
  members: (store, p, schema) => expressionMembers(store, p, schema),
  async count(store, p, schema, _list, members, noise) {
    const e = await expressionOf(store);
    if (e.values !== p.values) throw new NodeError('GENOFED_QUERY_MALFORMED', `query refused: this site holds ${e.values} values, the query analyses ${p.values}`);
    const held = new Set(await e.genes());
    const lacking = p.genes.filter((g) => !held.has(g)).length;
    if (lacking > 0) throw new NodeError('GENOFED_QUERY_MALFORMED', `query refused: ${lacking} of the signed genes are not in this site's matrix`);
    const { samples, design, columns } = analysedDesign(members, p, schema);
    const P = columns.length;
    const s = await e.sums({ samples, design, p: P, genes: p.genes, meanLibSize: p.meanLibSize, clip: p.clip });
    const count = deSumCount(P, p.genes.length);
    const sums = new Array<bigint>(count);
    sums[0] = BigInt(s.n);
    for (let i = 0; i < P; i++) for (let j = i; j < P; j++) sums[1 + triangleIndex(i, j, P)] = s.xtx[i * P + j]!;
    for (let g = 0; g < p.genes.length; g++) {
      const o = deGeneOffset(P, g);
      for (let j = 0; j < P; j++) sums[o + j] = s.xty[g * P + j]!;
      sums[o + P] = s.yty[g]!;
    }
    return encodeSums(sums, deFamilies(p, schema), modelFamilyOf(P, count), noise);
  },
};
