/**
 * POST /v1/queries/association: case-control association over the
 * network (coordinator/kinds/association.ts): the body's schema, the
 * handler, and the answer's schema (OpenAPI reads both).
 */
import type { FastifyInstance } from 'fastify';
import type { Federation } from '../federation/types.js';
import { association, type AssociationRequest } from '../kinds/association.js';
import { clientGone, timed } from './routes.js';
import { cohort, errorResponses, queryOutcome, releasedCount, variantOrRsIdList } from './schemas.js';
import { toVariantItems, type VariantInput } from './variants.js';
import { REGION_LIST_MAX } from '../../proto/region.js';

interface AssociationBody {
  cases: string;
  controls: string;
  region?: string;
  variants?: VariantInput[];
}

const stat = (description: string) => ({ type: ['number', 'null'], description }) as const;

export const associationSchema = {
  summary: 'Case-control association per variant from encrypted network totals: allele and genotype tables, chi-square, odds ratio, Fisher and trend p',
  tags: ['queries'],
  security: [{ bearer: [] }],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['cases', 'controls'],
    properties: {
      cases: { ...cohort, description: 'Cohort expression of the cases (consortium schema).' },
      controls: { ...cohort, description: 'Cohort expression of the controls; disjoint from the cases (checked by every node).' },
      region: { type: 'string', minLength: 1, maxLength: REGION_LIST_MAX, description: 'Regions as bcftools -r takes them: CHR:START-END, CHR:POS, CHR (a whole contig), comma-separated; 1-based, inclusive.' },
      variants: variantOrRsIdList,
    },
    oneOf: [{ required: ['region'] }, { required: ['variants'] }],
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['queryId', 'rows', 'lambda', 'sites', 'disclosure', 'noise', 'remainingEpsilon'],
      properties: {
        queryId: { type: 'string' },
        rows: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['chrom', 'pos', 'ref', 'alt', 'ac_cases', 'an_cases', 'ac_controls', 'an_controls', 'chisq', 'p', 'or', 'or_l95', 'or_u95', 'p_fisher', 'p_trend'],
            properties: {
              chrom: { type: 'string' }, pos: { type: 'integer' }, ref: { type: 'string' }, alt: { type: 'string' },
              ac_cases: releasedCount, an_cases: releasedCount, ac_controls: releasedCount, an_controls: releasedCount,
              chisq: stat('Allelic chi-square, 1 df, no continuity correction (PLINK --assoc CHISQ).'),
              p: stat('Its p-value.'),
              or: stat('Odds ratio of the ALT allele, cases vs controls.'),
              or_l95: stat('Lower bound of its 95% CI (Woolf).'),
              or_u95: stat('Upper bound of its 95% CI (Woolf).'),
              p_fisher: stat("Fisher's exact test, two-sided."),
              p_trend: stat('Cochran-Armitage trend test (PLINK --model TREND).'),
            },
          },
        },
        lambda: stat('Genomic inflation: median released chi-square / 0.4549.'),
        ...queryOutcome,
      },
    },
    ...errorResponses,
  },
} as const;

export function registerAssociationRoute(app: FastifyInstance, federation: Federation): void {
  app.post<{ Body: AssociationBody }>('/v1/queries/association', { schema: associationSchema }, async (request, reply) => {
    const b = request.body;
    const variants = toVariantItems(b.variants, 'variants');
    const req: AssociationRequest = { querier: request.querier!, cases: b.cases, controls: b.controls, ...(b.region !== undefined ? { region: b.region } : {}), ...(variants !== undefined ? { variants } : {}) };
    return timed(request, 'association', () => federation.run(association, req, clientGone(reply)));
  });
}
