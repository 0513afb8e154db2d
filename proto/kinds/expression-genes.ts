/**
 * `expression-genes`: before a differential-expression query that names no
 * genes, each site lists the gene ids of its expression matrix (names, no
 * values; revealed to the coordinator, like phase 1's variant keys). The
 * coordinator tests the genes every site holds.
 */
import { z } from 'zod';
import type { QueryParams } from '../query.js';
import { LISTING_SPEC, parseWith, type QueryKindSpec } from './kind.js';

export interface ExpressionGenesParams extends QueryParams {
  readonly kind: 'expression-genes';
}

const schema = z.strictObject({ kind: z.literal('expression-genes') });

export const expressionGenes: QueryKindSpec<ExpressionGenesParams> = {
  kind: 'expression-genes',
  parse: (raw) => parseWith(schema, raw, 'expression-genes'),
  ...LISTING_SPEC,
  region: () => undefined,
  audit: () => ({}),
  check: () => undefined,
};
