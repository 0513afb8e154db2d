/**
 * POST /v1/queries/eqtl: expression by genotype (cis) over the network
 * (coordinator/federation/eqtl.ts): per variant within `window` bases of
 * the gene, the regression of its expression on the ALT dosage (plus
 * covariates) from encrypted network sums. The body's schema, the handler,
 * and the answer's schema (OpenAPI reads both).
 */
import type { FastifyInstance } from 'fastify';
import { MAX_EXPR_CLIP } from '../../proto/expression-dp.js';
import { MAX_COVARIATES } from '../../proto/expression-design.js';
import { MAX_EQTL_WINDOW, type EqtlRequest } from '../federation/eqtl.js';
import type { Federation } from '../federation/types.js';
import { clientGone, timed } from './routes.js';
import { cohort, errorResponses, expressionDpNote, queryOutcome } from './schemas.js';

interface EqtlBody {
  gene: string;
  chrom: string;
  start: number;
  end: number;
  window?: number;
  cohort?: string;
  covariates?: string[];
  clip?: number;
}

const stat = (description: string) => ({ type: ['number', 'null'], description }) as const;

export const eqtlSchema = {
  summary: 'Cis eQTL: per variant near a gene, lm(expression ~ dosage + covariates) from encrypted network sums of X\'X, X\'y and y\'y',
  tags: ['queries'],
  security: [{ bearer: [] }],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['gene', 'chrom', 'start', 'end'],
    properties: {
      gene: { type: 'string', minLength: 1, maxLength: 200, description: 'Gene id as in the sites\' expression matrices.' },
      chrom: { type: 'string', minLength: 1, maxLength: 64, description: 'The gene\'s contig (22 or chr22 both match the sites\' VCFs).' },
      start: { type: 'integer', minimum: 1, description: 'The gene\'s first base (1-based).' },
      end: { type: 'integer', minimum: 1, description: 'The gene\'s last base (1-based, inclusive).' },
      window: { type: 'integer', minimum: 0, maximum: MAX_EQTL_WINDOW, description: 'Bases on each side of the gene (Matrix eQTL cisDist). Default 1,000,000.' },
      cohort: { ...cohort, minLength: 0, description: 'Cohort expression (consortium schema). Default: every sample with expression values and genotypes.' },
      covariates: { type: 'array', maxItems: MAX_COVARIATES, items: { type: 'string', minLength: 1, maxLength: 63 }, description: 'Schema columns added to the model (categorical: treatment contrasts against the first schema value; numeric: the bin lower edge).' },
      clip: { type: 'number', minimum: 0, maximum: MAX_EXPR_CLIP, description: 'Every site clips each value (log-CPM or log value) to [-clip, clip] before summing. Default 16 with DP on, none (0) with DP off.' },
    },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['queryId', 'gene', 'region', 'values', 'n', 'design', 'rows', 'dp', 'sites', 'disclosure', 'noise', 'remainingEpsilon'],
      properties: {
        queryId: { type: 'string' },
        gene: { type: 'string' },
        region: { type: 'string', description: 'The cis window queried (CHR:START-END).' },
        values: { type: 'string', enum: ['counts', 'log'], description: 'counts: modelled as edgeR log-CPM (prior.count 2, network mean library size); log: as ingested.' },
        n: { type: 'integer', description: 'Samples of the cohort with expression values and genotypes (every covariate present).' },
        design: { type: 'array', items: { type: 'string' }, description: 'The model\'s columns; the coefficient reported is dosage.' },
        dp: expressionDpNote(),
        rows: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['chrom', 'pos', 'ref', 'alt', 'n', 'af', 'slope', 'se', 't', 'p', 'note'],
            properties: {
              chrom: { type: 'string' },
              pos: { type: 'integer' },
              ref: { type: 'string' },
              alt: { type: 'string' },
              n: { type: ['integer', 'null'], description: 'Samples in this variant\'s model (genotype called).' },
              af: stat('ALT allele frequency among them.'),
              slope: stat('Change in expression per ALT copy (R lm estimate).'),
              se: stat('Its standard error.'),
              t: stat('t = slope / se.'),
              p: stat('Two-sided p, n - p residual degrees of freedom.'),
              note: { type: ['string', 'null'], enum: ['withheld', 'monomorphic', 'noise', null], description: 'withheld: by the nodes (see the disclosure note); monomorphic: dosage constant (R gives NA); noise: DP noise leaves no model for this variant (noisy n not above the columns, X\'X not positive definite, or residual variance <= 0).' },
            },
          },
        },
        ...queryOutcome,
      },
    },
    ...errorResponses,
  },
} as const;

export function registerEqtlRoute(app: FastifyInstance, federation: Federation): void {
  app.post<{ Body: EqtlBody }>('/v1/queries/eqtl', { schema: eqtlSchema }, async (request, reply) => {
    const b = request.body;
    const req: EqtlRequest = {
      querier: request.querier!, gene: b.gene, chrom: b.chrom, start: b.start, end: b.end, window: b.window ?? 1_000_000,
      ...(b.cohort !== undefined ? { cohort: b.cohort } : {}), ...(b.covariates ? { covariates: b.covariates } : {}), ...(b.clip !== undefined ? { clip: b.clip } : {}),
    };
    return timed(request, 'eqtl', () => federation.eqtl(req, clientGone(reply)));
  });
}
