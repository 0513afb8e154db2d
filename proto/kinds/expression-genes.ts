/**
 * `expression-genes`: before a differential-expression query that names no
 * genes, each site lists the gene ids of its expression matrix (names, no
 * values; revealed to the coordinator, like phase 1's variant keys). The
 * coordinator tests the genes every site holds.
 */
import { z } from 'zod';
import { blockLayout, type QueryParams } from '../query.js';
import { parseWith, type QueryKindSpec } from './kind.js';

export interface ExpressionGenesParams extends QueryParams {
  readonly kind: 'expression-genes';
}

const schema = z.strictObject({ kind: z.literal('expression-genes') });

export const expressionGenes: QueryKindSpec<ExpressionGenesParams> = {
  kind: 'expression-genes',
  rpc: 'list',
  parse: (raw) => parseWith(schema, raw, 'expression-genes'),
  list: () => undefined,
  region: () => undefined,
  cohorts: () => [],
  populations: () => [],
  layout: (_p, slotCount) => ({ ...blockLayout([], 0, 0, slotCount), ciphertextCount: 0, valueCount: 0 }),
  sensitivity: () => ({ sensitivity: 0, counts: 0 }),
  audit: () => ({}),
  check: () => undefined,
  impossible: () => undefined,
};
