/**
 * JSON schemas of the researcher API: request bodies and every response
 * code, `additionalProperties: false` everywhere. They double as the
 * OpenAPI document (@fastify/swagger reads them from the routes).
 */

import { REGION_LIST_MAX } from '../../proto/region.js';

/** 2^31-1: the largest POS htslib accepts (VCF spec: 32-bit signed). */
const MAX_POS = 2147483647;

/** One million variants per query: 245 ciphertexts per site at N=8192, the target size. */
export const MAX_VARIANTS = 1_000_000;

export const variantObject = {
  type: 'object',
  additionalProperties: false,
  required: ['chrom', 'pos', 'ref', 'alt'],
  properties: {
    chrom: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[!-~]+$' },
    pos: { type: 'integer', minimum: 1, maximum: MAX_POS },
    ref: { type: 'string', minLength: 1, maxLength: 100000, pattern: '^[A-Za-z]+$' },
    alt: { type: 'string', minLength: 1, maxLength: 100000, pattern: '^[!-~]+$' },
  },
} as const;

/** `chrom-pos-ref-alt` (gnomAD style) or `chrom:pos:ref:alt`; chrom may itself contain '-' or ':'. Checked in full by proto/variant.ts. */
export const variantString = { type: 'string', minLength: 7, maxLength: 200000, pattern: '^[!-~]+[-:][0-9]+[-:][A-Za-z]+[-:][!-~]+$' } as const;

export const variantList = {
  type: 'array',
  minItems: 1,
  maxItems: MAX_VARIANTS,
  items: { anyOf: [variantObject, variantString] },
} as const;

/** A dbSNP rs id (`rs1234`): the sites resolve it to every ALT allele of their records that carry it. */
export const rsIdString = { type: 'string', minLength: 3, maxLength: 20, pattern: '^[Rr][Ss][0-9]+$' } as const;

/** A list that may name variants by rs id (allele frequencies, association). */
export const variantOrRsIdList = {
  ...variantList,
  items: { anyOf: [variantObject, variantString, rsIdString] },
  description: 'Variants as {chrom,pos,ref,alt}, chrom-pos-ref-alt strings, or dbSNP rs ids (rs1234: every ALT allele of the records that carry it, at most 10,000 distinct ids); rows come in this order.',
} as const;



export const cohort = { type: 'string', minLength: 1, maxLength: 10000, description: 'Cohort expression over the consortium phenotype schema (GET /v1/schema), e.g. super_pop=EUR and gender=female.' } as const;

const by = { type: 'array', minItems: 1, maxItems: 3, items: { type: 'string', minLength: 1, maxLength: 63 }, description: 'Stratification columns of the phenotype schema: one block of rows per combination of their values, after the all-sample rows.' } as const;

export const sitesOutcome = {
  type: 'object',
  additionalProperties: false,
  required: ['responding', 'missing'],
  properties: {
    responding: { type: 'array', items: { type: 'string' } },
    missing: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['site', 'reason'],
        properties: { site: { type: 'string' }, reason: { type: 'string' } },
      },
    },
  },
} as const;

/** A released count: the total, or a bound such as "<5" / ">1995" withheld by disclosure control. */
export const releasedCount = { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^[<>][0-9]+$' }] } as const;

/** What disclosure control did: policy, rules that fired and on how many rows (never a value). */
export const disclosureNote = {
  type: 'object',
  additionalProperties: false,
  required: ['policy', 'rowsAffected', 'rules'],
  properties: {
    policy: {
      type: 'object',
      additionalProperties: false,
      required: ['k', 'smallCounts', 'roundTo'],
      properties: { k: { type: 'integer' }, smallCounts: { type: 'string', enum: ['suppress', 'round'] }, roundTo: { type: 'integer' } },
    },
    rowsAffected: { type: 'integer' },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['rule', 'action', 'rows', 'reason'],
        properties: { rule: { type: 'string' }, action: { type: 'string', enum: ['suppressed', 'rounded', 'clamped'] }, rows: { type: 'integer' }, reason: { type: 'string' }, strata: { type: 'array', items: { type: 'string' }, description: 'stratum-below-k: the strata withheld.' } },
      },
    },
  },
} as const;

/** The DP noise on every released count (Skellam(mu, mu), sd = sqrt(2 mu)), or null when DP is off. */
export const noiseScale = {
  anyOf: [
    { type: 'null' },
    { type: 'object', additionalProperties: false, required: ['mu', 'sd'], properties: { mu: { type: 'number' }, sd: { type: 'number' } } },
  ],
} as const;

/**
 * DP on: the epsilon the querier (the token's identity, through this
 * coordinator) has left after this query, the smallest over the sites
 * (each signed its own); null with DP off or when no site was asked.
 */
export const remainingEpsilon = {
  type: ['number', 'null'],
  minimum: 0,
  description: 'With DP on: the privacy budget (epsilon) you have left after this query, the smallest over the sites (the network answers only while every site has budget); null with DP off or when no site was asked for counts.',
} as const;

/** The expression answers' DP note (coordinator/federation/expression.ts ExpressionDpNote), or null when DP is off. */
export function expressionDpNote(extra: Record<string, object> = {}) {
  return {
    anyOf: [
      { type: 'null' },
      {
        type: 'object',
        additionalProperties: false,
        required: ['clip', 'epsilonPerRound', 'sums', ...Object.keys(extra)],
        properties: {
          clip: { type: 'number', description: 'Every site clipped each expression value to [-clip, clip] before summing.' },
          epsilonPerRound: { type: 'number', description: 'Epsilon spent at every node by each of the two counted rounds (scale, sums).' },
          sums: {
            type: 'array',
            description: 'Noise sd on each network sum of a family, in the sum\'s own units (people; value x design value; value^2; reads); the scale round\'s prefixed "scale".',
            items: { type: 'object', additionalProperties: false, required: ['sum', 'sd'], properties: { sum: { type: 'string' }, sd: { type: 'number' } } },
          },
          ...extra,
        },
      },
    ],
  } as const;
}

/** rs ids of the request no site holds (no rows for them). */
export const unresolved = { type: 'array', items: { type: 'string' }, description: 'rs ids of the request that no site holds: they have no rows.' } as const;

/** What every query answer over a list or region ends with: the sites, the disclosure note, the noise scale, rs ids no site holds. */
export const queryOutcome = { sites: sitesOutcome, disclosure: disclosureNote, noise: noiseScale, remainingEpsilon, unresolved } as const;

export const errorBody = {
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

/** Every error status a query route can answer with (engine codes map onto these). */
export const errorResponses = {
  400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody, 413: errorBody, 422: errorBody,
  429: errorBody, 500: errorBody, 502: errorBody, 503: errorBody, 504: errorBody,
} as const;

export const alleleFrequencySchema = {
  summary: 'Network-wide AC, AN, AF and nhomalt per variant, summed under encryption',
  description: 'JSON by default; by `Accept`: `application/x-ndjson` and `text/tab-separated-values` streamed, `text/vcf` a sites-only VCF (attachment); `?format=` (json, ndjson, tsv, vcf, vcf.gz: BGZF, `application/gzip`) wins over Accept.',
  tags: ['queries'],
  security: [{ bearer: [] }],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      format: { type: 'string', enum: ['json', 'ndjson', 'tsv', 'vcf', 'vcf.gz'], description: 'The answer\'s form, instead of Accept: vcf is a sites-only VCF (INFO AC, AN, AF, nhomalt and per stratum AC_<cell> ...), vcf.gz the same BGZF-compressed for `bcftools index`.' },
    },
  },
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      region: { type: 'string', minLength: 1, maxLength: REGION_LIST_MAX, description: 'Regions as bcftools -r takes them: CHR:START-END, CHR:POS, CHR (a whole contig), comma-separated; 1-based, inclusive.' },
      variants: variantOrRsIdList,
      cohort,
      by,
      grpmaxExclude: { type: 'array', maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 63 }, description: "With `by`: groups (values of the first `by` column) left out of grpmax and faf95_max. Default gnomAD's: ami, asj, fin, mid, oth, remaining." },
    },
    oneOf: [{ required: ['region'] }, { required: ['variants'] }],
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['queryId', 'rows', 'sites', 'disclosure', 'noise', 'remainingEpsilon'],
      properties: {
        queryId: { type: 'string' },
        rows: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['chrom', 'pos', 'ref', 'alt', 'ac', 'an', 'af', 'nhomalt'],
            properties: {
              strata: { type: 'object', additionalProperties: { type: 'string' }, description: 'With `by`: the value of each stratification column (`all` on the all-sample rows).' },
              chrom: { type: 'string' },
              pos: { type: 'integer' },
              ref: { type: 'string' },
              alt: { type: 'string' },
              ac: { ...releasedCount, description: 'Alternate allele count, or a bound ("<5", ">1995") when withheld by disclosure control.' },
              an: releasedCount,
              af: { type: ['number', 'null'], description: 'ac / an; null when an is 0 or ac/an is withheld.' },
              nhomalt: releasedCount,
              exists: { type: ['boolean', 'null'], description: 'Whether any site holds the record: false for a listed variant no site observed (AN 0 then is not missing data); true over a region; null when DP noise blurs it.' },
              faf95: { type: ['number', 'null'], description: "gnomAD's filtering allele frequency: the 95% one-sided Poisson lower confidence bound on AF, qgamma(0.05, ac) / an (Whiffin et al. 2017), 0 when ac <= 1; computed from the released ac and an, null when either is withheld or an is 0." },
            },
          },
        },
        groupMaxima: {
          type: ['object', 'null'],
          additionalProperties: false,
          required: ['column', 'exclude', 'rows'],
          description: 'With `by`: per variant, the group (value of the first `by` column) with the highest AF and the one with the highest faf95, over groups whose cells were all released; null without `by`.',
          properties: {
            column: { type: 'string' },
            exclude: { type: 'array', items: { type: 'string' } },
            rows: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['chrom', 'pos', 'ref', 'alt', 'grpmax', 'faf95_max'],
                properties: {
                  chrom: { type: 'string' },
                  pos: { type: 'integer' },
                  ref: { type: 'string' },
                  alt: { type: 'string' },
                  grpmax: {
                    type: ['object', 'null'],
                    additionalProperties: false,
                    required: ['group', 'ac', 'an', 'af', 'nhomalt'],
                    properties: { group: { type: 'string' }, ac: { type: 'integer' }, an: { type: 'integer' }, af: { type: 'number' }, nhomalt: { type: ['integer', 'null'] } },
                  },
                  faf95_max: {
                    type: ['object', 'null'],
                    additionalProperties: false,
                    required: ['group', 'faf95'],
                    properties: { group: { type: 'string' }, faf95: { type: 'number' } },
                  },
                },
              },
            },
          },
        },
        ...queryOutcome,
      },
    },
    ...errorResponses,
  },
} as const;

export const cohortCountSchema = {
  summary: 'Number of patients across the network matching a cohort expression',
  tags: ['queries'],
  security: [{ bearer: [] }],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['cohort'],
    properties: { cohort, carriersOf: variantList },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['queryId', 'count', 'sites', 'disclosure', 'noise', 'remainingEpsilon'],
      properties: { queryId: { type: 'string' }, count: { ...releasedCount, description: 'Patients matching, or "<k" when fewer than k.' }, sites: sitesOutcome, disclosure: disclosureNote, noise: noiseScale, remainingEpsilon },
    },
    ...errorResponses,
  },
} as const;

const schemaColumn = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'type'],
  properties: {
    name: { type: 'string' },
    type: { type: 'string', enum: ['categorical', 'integer', 'number'] },
    values: { type: 'array', items: { type: 'string' }, description: 'Categorical: the only values an expression may use.' },
    bins: { type: 'array', items: { type: 'number' }, description: 'Numeric: bin edges; compare only with >= or < at an edge.' },
    description: { type: 'string' },
  },
} as const;

export const phenotypeSchemaSchema = {
  summary: 'The consortium phenotype schema: the only columns and values cohort expressions and strata may use',
  tags: ['status'],
  security: [{ bearer: [] }],
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['fingerprint', 'columns', 'grammar'],
      properties: {
        fingerprint: { type: 'string', description: 'SHA-256 of the schema (the same at every site).' },
        columns: { type: 'array', items: schemaColumn },
        grammar: { type: 'string', description: 'The cohort-expression grammar.' },
      },
    },
    401: errorBody,
    500: errorBody,
  },
} as const;

export const sitesSchema = {
  summary: 'Health of every configured site, as the coordinator sees it',
  tags: ['status'],
  security: [{ bearer: [] }],
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['sites'],
      properties: {
        sites: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['site', 'healthy'],
            properties: { site: { type: 'string' }, healthy: { type: 'boolean' }, detail: { type: 'string' } },
          },
        },
      },
    },
    401: errorBody,
    500: errorBody,
    503: errorBody,
  },
} as const;

export const healthSchema = {
  summary: 'Liveness of the coordinator process (no auth)',
  tags: ['status'],
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ok'] } },
    },
  },
} as const;
