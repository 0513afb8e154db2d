/**
 * GA4GH Beacon v2 on the coordinator (`/beacon/v2/...`): the informational
 * endpoints and `g_variants` (GET and POST), answered from the encrypted
 * federation (beacon-answer.ts). Access levels map onto the REST API's
 * bearer tokens: no token = public (boolean answers), a valid token =
 * registered (counts); a token that is presented but unknown is a 401,
 * never a silent downgrade. Anonymous g_variants requests run as one
 * querier (`BeaconConfig.publicQuerier`), so they share one rate limit
 * and one DP budget. Errors leave as beaconErrorResponse documents.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Federation } from '../../federation/types.js';
import { toErrorReply } from '../error-handler.js';
import { clientGone, timed } from '../routes.js';
import { answerVariantQuery } from './beacon-answer.js';
import { DEFAULT_BEACON_CONFIG, type BeaconConfig } from './beacon-config.js';
import { cohortFromFilters } from './beacon-filters.js';
import { fromQueryString, fromRequestBody, type BeaconVariantRequest } from './beacon-query.js';
import {
  booleanResponse, configurationResponse, countResponse, entryTypesResponse, errorResponse, filteringTermsResponse, infoResponse, mapResponse, serviceInfo,
} from './beacon-responses.js';
import { CoordinatorError } from '../../errors.js';

export const BEACON_PREFIX = '/beacon/v2';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No token needed (app.ts auth hook). */
    public?: boolean;
    /** With `public`: a token presented is still checked and sets the querier (Beacon's registered level). */
    optionalAuth?: boolean;
  }
}

/**
 * Beacon documents are defined by the official schemas (validated in the
 * tests); fastify only checks they are objects and serializes them whole
 * (`additionalProperties: true`: nothing is stripped; the handlers build
 * every field themselves, never from engine objects).
 */
const beaconDocument = { type: 'object', additionalProperties: true } as const;
const documentResponses = { 200: beaconDocument, '4xx': beaconDocument, '5xx': beaconDocument } as const;

const TAGS = ['beacon'];
/** Either no token (public) or a bearer token (registered). */
const OPTIONAL_BEARER: Record<string, string[]>[] = [{}, { bearer: [] }];

const text = (description: string, extra: object = {}) => ({ type: 'string', minLength: 1, maxLength: 10000, description, ...extra });

const variantQueryString = {
  type: 'object',
  additionalProperties: false,
  properties: {
    referenceName: text('Contig as the sites name it (1, chr1, X).'),
    start: text('0-based start (one value; bracket queries are refused).', { pattern: '^[0-9]{1,10}(,[0-9]{1,10})?$' }),
    end: text('0-based exclusive end: makes a range query.', { pattern: '^[0-9]{1,10}(,[0-9]{1,10})?$' }),
    referenceBases: text('REF as in VCF (with the padding base for indels).'),
    alternateBases: text('ALT as in VCF.'),
    variantType: text('SNP, MNP, INDEL, DEL, INS, or a symbolic type (CNV, DUP, ...).'),
    assemblyId: text('Assembly, e.g. GRCh37.'),
    filters: { anyOf: [text('Filtering term ids, comma-separated (GET /beacon/v2/filtering_terms).'), { type: 'array', maxItems: 100, items: text('A filtering term id.') }] },
    requestedGranularity: { type: 'string', enum: ['boolean', 'count', 'record'] },
    includeResultsetResponses: { type: 'string', enum: ['ALL', 'HIT', 'MISS', 'NONE'] },
    skip: text('Ignored (no records are returned).', { pattern: '^[0-9]{1,9}$' }),
    limit: text('Ignored (no records are returned).', { pattern: '^[0-9]{1,9}$' }),
    testMode: { type: 'string', enum: ['true', 'false'] },
    requestedSchema: text('Requested schema id (only the default variant schema exists).'),
    geneId: text('Refused: not supported.'),
    aminoacidChange: text('Refused: not supported.'),
    allele: text('Refused: not supported.'),
    variantMinLength: text('Refused: not supported.'),
    variantMaxLength: text('Refused: not supported.'),
    mateName: text('Refused: not supported.'),
  },
} as const;

const variantBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', maxLength: 2000 },
    meta: { type: 'object', additionalProperties: true, description: 'beaconRequestMeta: apiVersion, requestedSchemas.' },
    query: { type: 'object', additionalProperties: true, description: 'beaconRequestBody query: requestParameters ({ g_variant: {...} } or flat), filters, requestedGranularity, pagination, testMode.' },
  },
  description: 'A Beacon v2 request body (framework requests/beaconRequestBody.json).',
} as const;

function absoluteBase(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}${BEACON_PREFIX}`;
}

const ASSEMBLY_SYNONYMS: Readonly<Record<string, string>> = { hg19: 'grch37', grch37: 'grch37', 'grch37.p13': 'grch37', hg38: 'grch38', grch38: 'grch38' };
function sameAssembly(a: string, b: string): boolean {
  const n = (s: string) => ASSEMBLY_SYNONYMS[s.toLowerCase()] ?? s.toLowerCase();
  return n(a) === n(b);
}

/** Why: the consortium's Beacon is registered like any other route set, by one call in routes.ts. */
export function registerBeaconRoutes(app: FastifyInstance, federation: Federation, config: BeaconConfig = DEFAULT_BEACON_CONFIG): void {
  /** Requests that came without a token (set before the rate limit runs, which keys on the querier). */
  const anonymous = new WeakSet<FastifyRequest>();
  /** The parsed request, for the error document's receivedRequestSummary. */
  const parsed = new WeakMap<FastifyRequest, BeaconVariantRequest>();

  const beaconErrors = (err: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const mapped = toErrorReply(err);
    if (mapped.status >= 500) request.log.error({ err, code: mapped.code }, 'beacon request failed');
    else request.log.info({ code: mapped.code, status: mapped.status }, 'beacon request refused');
    if (mapped.status === 401) void reply.header('WWW-Authenticate', 'Bearer realm="genofed"');
    void reply.status(mapped.status).send(errorResponse(config, parsed.get(request), mapped.status, mapped.code, mapped.message));
  };

  const info = {
    schema: { tags: TAGS, security: OPTIONAL_BEARER, response: documentResponses },
    // Public, and a presented token is still checked (app.ts): a wrong one is a 401.
    config: { public: true, optionalAuth: true },
    errorHandler: beaconErrors,
  };

  for (const path of [BEACON_PREFIX, `${BEACON_PREFIX}/`, `${BEACON_PREFIX}/info`]) {
    app.get(path, { ...info, schema: { ...info.schema, summary: 'Beacon v2 info (beaconInfoResponse)' } }, async () => infoResponse(config));
  }
  app.get(`${BEACON_PREFIX}/service-info`, { ...info, schema: { ...info.schema, summary: 'GA4GH service-info 1.0.0' } }, async () => serviceInfo(config));
  app.get(`${BEACON_PREFIX}/configuration`, { ...info, schema: { ...info.schema, summary: 'Beacon v2 configuration' } }, async () => configurationResponse(config));
  app.get(`${BEACON_PREFIX}/entry_types`, { ...info, schema: { ...info.schema, summary: 'Beacon v2 entry types' } }, async () => entryTypesResponse(config));
  app.get(`${BEACON_PREFIX}/map`, { ...info, schema: { ...info.schema, summary: 'Beacon v2 map' } }, async (request) => mapResponse(config, absoluteBase(request)));
  app.get(`${BEACON_PREFIX}/filtering_terms`, { ...info, schema: { ...info.schema, summary: 'Beacon v2 filtering terms: ontology terms for sex and ancestry, column:value terms for every categorical schema column' } },
    async () => filteringTermsResponse(config, federation.phenotypeSchema()));

  const markAnonymous = async (request: FastifyRequest): Promise<void> => {
    if (request.querier !== null) return;
    anonymous.add(request);
    request.querier = config.publicQuerier;
  };

  const answer = async (request: FastifyRequest, reply: FastifyReply, req: BeaconVariantRequest): Promise<object> => {
    parsed.set(request, req);
    if (config.assemblyId !== undefined && req.variant.assemblyId !== undefined && !sameAssembly(config.assemblyId, req.variant.assemblyId)) {
      throw new CoordinatorError('GENOFED_BAD_REQUEST', `assemblyId: the consortium's sites hold ${config.assemblyId}`);
    }
    // Public: boolean only. Registered: count; record is never returned (returnedGranularity says what was).
    const registered = !anonymous.has(request);
    const returned = req.requestedGranularity !== 'boolean' && registered ? 'count' : 'boolean';
    const cohort = cohortFromFilters(req.filters, federation.phenotypeSchema(), config);
    const a = await timed(request, `beacon-g-variants-${returned}`, () =>
      answerVariantQuery(federation, { querier: request.querier!, variant: req.variant, cohort, count: returned === 'count', signal: clientGone(reply) }));
    return returned === 'count' ? countResponse(config, req, a) : booleanResponse(config, req, a);
  };

  const gVariants = {
    config: { public: true, optionalAuth: true },
    onRequest: markAnonymous,
    errorHandler: beaconErrors,
  };
  app.get<{ Querystring: Record<string, unknown> }>(`${BEACON_PREFIX}/g_variants`, {
    ...gVariants,
    schema: { tags: TAGS, security: OPTIONAL_BEARER, summary: 'Beacon v2 genomic variants: sequence or range query, boolean (public) or count (registered)', querystring: variantQueryString, response: documentResponses },
  }, async (request, reply) => answer(request, reply, fromQueryString(request.query)));
  app.post<{ Body: Record<string, unknown> }>(`${BEACON_PREFIX}/g_variants`, {
    ...gVariants,
    schema: { tags: TAGS, security: OPTIONAL_BEARER, summary: 'Beacon v2 genomic variants (request body)', body: variantBody, response: documentResponses },
  }, async (request, reply) => answer(request, reply, fromRequestBody(request.body ?? {})));
}
