/**
 * Differential expression at the node: over the analysed samples, the
 * exact quantized sums n, X'X and per signed gene X'y, y'y (the store
 * computes them: node/store/README.md, "Expression"), each as limbs in
 * proto/expression-design.ts's order. Refused when this site's values are
 * not the kind signed, or it lacks a signed gene.
 */
import { encodeLimbs, EXPR_LIMBS } from '../../proto/expression.js';
import { deGeneOffset, deSumCount, triangleIndex } from '../../proto/expression-design.js';
import { expressionDe, type ExpressionDeParams } from '../../proto/kinds/expression-de.js';
import { NodeError } from '../errors.js';
import { analysedDesign, expressionMembers, expressionOf } from './expression-samples.js';
import type { CountedNodeKind } from './kind.js';

export const kind: CountedNodeKind<ExpressionDeParams> = {
  spec: expressionDe,
  members: (store, p, schema) => expressionMembers(store, p, schema),
  async count(store, p, schema, _list, members) {
    const e = await expressionOf(store);
    if (e.values !== p.values) throw new NodeError('GENOFED_QUERY_MALFORMED', `query refused: this site holds ${e.values} values, the query analyses ${p.values}`);
    const held = new Set(await e.genes());
    const lacking = p.genes.filter((g) => !held.has(g)).length;
    if (lacking > 0) throw new NodeError('GENOFED_QUERY_MALFORMED', `query refused: ${lacking} of the signed genes are not in this site's matrix`);
    const { samples, design, columns } = analysedDesign(members, p, schema);
    const P = columns.length;
    const s = await e.sums({ samples, design, p: P, genes: p.genes, meanLibSize: p.meanLibSize });
    const out = new Uint32Array(deSumCount(P, p.genes.length) * EXPR_LIMBS);
    encodeLimbs(BigInt(s.n), out, 0);
    for (let i = 0; i < P; i++) for (let j = i; j < P; j++) encodeLimbs(s.xtx[i * P + j]!, out, (1 + triangleIndex(i, j, P)) * EXPR_LIMBS);
    for (let g = 0; g < p.genes.length; g++) {
      const o = deGeneOffset(P, g) * EXPR_LIMBS;
      for (let j = 0; j < P; j++) encodeLimbs(s.xty[g * P + j]!, out, o + j * EXPR_LIMBS);
      encodeLimbs(s.yty[g]!, out, o + P * EXPR_LIMBS);
    }
    return out;
  },
};
