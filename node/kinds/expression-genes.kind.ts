/** Gene listing at the node: the expression matrix's gene ids (no values). */
import { expressionGenes, type ExpressionGenesParams } from '../../proto/kinds/expression-genes.js';
import { expressionOf } from './expression-samples.js';
import type { NameListingNodeKind } from './kind.js';

export const kind: NameListingNodeKind<ExpressionGenesParams> = {
  spec: expressionGenes,
  names: async (store) => (await expressionOf(store)).genes(),
};
