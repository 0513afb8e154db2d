/**
 * POST /v1/queries/expression: differential expression over the network
 * (coordinator/federation/expression.ts): group A against group B, limma's
 * moderated t from encrypted network sums. The body's schema, the handler,
 * and the answer's schema (OpenAPI reads both).
 */
import type { FastifyInstance } from 'fastify';
import { MAX_GENES } from '../../proto/expression.js';
import { MAX_EXPR_CLIP } from '../../proto/expression-dp.js';
import { MAX_COVARIATES } from '../../proto/expression-design.js';
import type { DifferentialExpressionRequest } from '../federation/expression.js';
import type { Federation } from '../federation/types.js';
import { clientGone, timed } from './routes.js';
import { cohort, errorResponses, expressionDpNote, queryOutcome } from './schemas.js';

interface ExpressionBody {
  groupA: string;
  groupB: string;
  covariates?: string[];
  genes?: string[];
  trend?: boolean;
  clip?: number;
}

const num = (description: string) => ({ type: 'number', description }) as const;

export const expressionSchema = {
  summary: 'Differential expression, group A vs group B: limma (lmFit + eBayes) on log-CPM or log values, from encrypted network sums of X\'X, X\'y and y\'y',
  tags: ['queries'],
  security: [{ bearer: [] }],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['groupA', 'groupB'],
    properties: {
      groupA: { ...cohort, description: 'Cohort expression of group A (consortium schema); the log fold change is A - B.' },
      groupB: { ...cohort, description: 'Cohort expression of group B; disjoint from A (checked by every node).' },
      covariates: { type: 'array', maxItems: MAX_COVARIATES, items: { type: 'string', minLength: 1, maxLength: 63 }, description: 'Schema columns added to the model (categorical: treatment contrasts against the first schema value; numeric: the bin lower edge).' },
      genes: { type: 'array', minItems: 1, maxItems: MAX_GENES, items: { type: 'string', minLength: 1, maxLength: 200 }, description: 'Test only these gene ids (those every site holds). Default: every gene every site holds.' },
      trend: { type: 'boolean', description: 'limma eBayes(trend = TRUE): the prior variance follows average expression. Default false.' },
      clip: { type: 'number', minimum: 0, maximum: MAX_EXPR_CLIP, description: 'Every site clips each value (log-CPM or log value) to [-clip, clip] before summing. Default 16 with DP on (it bounds one person\'s change, so the noise), none (0) with DP off.' },
    },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['queryId', 'rows', 'n', 'values', 'design', 'dfResidual', 'dfPrior', 's2Prior', 'genesNotAtEverySite', 'dp', 'sites', 'disclosure', 'noise', 'remainingEpsilon'],
      properties: {
        queryId: { type: 'string' },
        rows: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['gene', 'logfc', 'ave_expr', 't', 'p', 'adj_p'],
            properties: {
              gene: { type: 'string' },
              logfc: num('log2 fold change, A - B (limma logFC).'),
              ave_expr: num('Average log-CPM (or log value) over the analysed samples (limma AveExpr).'),
              t: num('Moderated t (limma t).'),
              p: num('Its two-sided p (limma P.Value).'),
              adj_p: num('Benjamini-Hochberg adjusted p (limma adj.P.Val).'),
            },
          },
        },
        n: { type: 'integer', description: 'Samples in the model, network-wide (with DP: the noisy count, rounded).' },
        values: { type: 'string', enum: ['counts', 'log'], description: 'counts: modelled as edgeR log-CPM (prior.count 2); log: as ingested.' },
        design: { type: 'array', items: { type: 'string' }, description: 'The model\'s columns.' },
        dfResidual: num('Residual degrees of freedom of each gene\'s fit.'),
        dfPrior: { type: ['number', 'null'], description: 'limma\'s prior degrees of freedom; null: infinite (every gene\'s variance equal to the prior).' },
        s2Prior: num('limma\'s prior variance (with trend: its median over genes).'),
        genesNotAtEverySite: { type: 'integer', description: 'Genes asked (or held by some site) that not every site holds: not tested.' },
        dp: expressionDpNote({ logfcNoiseSd: { type: 'number', description: 'The sd DP noise adds to every logFC; t and p count it (t = logFC / sqrt(se^2 + logfcNoiseSd^2)).' }, genesNotFitted: { type: 'array', items: { type: 'string' }, description: 'Genes whose noisy residual variance is <= 0: left out of the fit (no row).' } }),
        ...queryOutcome,
      },
    },
    ...errorResponses,
  },
} as const;

export function registerExpressionRoute(app: FastifyInstance, federation: Federation): void {
  app.post<{ Body: ExpressionBody }>('/v1/queries/expression', { schema: expressionSchema }, async (request, reply) => {
    const b = request.body;
    const req: DifferentialExpressionRequest = {
      querier: request.querier!, groupA: b.groupA, groupB: b.groupB,
      ...(b.covariates ? { covariates: b.covariates } : {}), ...(b.genes ? { genes: b.genes } : {}), ...(b.trend !== undefined ? { trend: b.trend } : {}),
      ...(b.clip !== undefined ? { clip: b.clip } : {}),
    };
    return timed(request, 'expression', () => federation.differentialExpression(req, clientGone(reply)));
  });
}
