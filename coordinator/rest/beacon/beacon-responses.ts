/**
 * Beacon v2 response documents (framework schemas in
 * test/fixtures/beacon-v2/framework/json/responses): the meta sections,
 * the boolean and count answers of g_variants, the error answer, and the
 * informational endpoints (info, service-info, configuration, entry_types,
 * map, filtering_terms). Pure functions: the routes pass what they know.
 */
import type { PhenotypeSchema } from '../../../proto/phenotype-schema.js';
import { BEACON_API_VERSION, type BeaconConfig } from './beacon-config.js';
import type { VariantAnswer } from './beacon-answer.js';
import { declaredTerms } from './beacon-filters.js';
import type { BeaconVariantRequest, Granularity } from './beacon-query.js';

const GITHUB_JSON = 'https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main';
const VARIANT_SCHEMA = { entityType: 'genomicVariant', schema: 'ga4gh-beacon-variant-v2.0.0' } as const;
const INFO_SCHEMA = { entityType: 'info', schema: 'beacon-info-v2.0.0' } as const;

type Json = Record<string, unknown>;

/** Why: informational endpoints share this meta (beaconInformationalResponseMeta). */
export function informationalMeta(config: BeaconConfig, returnedSchemas: readonly object[] = [INFO_SCHEMA]): Json {
  return { beaconId: config.beaconId, apiVersion: BEACON_API_VERSION, returnedSchemas };
}

/** The request as the Beacon understood it (beaconReceivedRequestSummary); parameters in the framework's dictionary-of-objects shape. */
function receivedRequestSummary(req: BeaconVariantRequest): Json {
  const v = req.variant;
  const g: Json = { referenceName: v.referenceName, start: [v.start] };
  if (v.end !== undefined) g.end = [v.end];
  if (v.referenceBases !== undefined) g.referenceBases = v.referenceBases;
  if (v.alternateBases !== undefined) g.alternateBases = v.alternateBases;
  if (v.variantType !== undefined) g.variantType = v.variantType;
  if (v.assemblyId !== undefined) g.assemblyId = v.assemblyId;
  return {
    apiVersion: req.apiVersion,
    requestedSchemas: req.requestedSchemas.map((s) => ({ ...s })),
    pagination: { skip: req.pagination.skip, limit: req.pagination.limit },
    requestedGranularity: req.requestedGranularity,
    filters: req.filters.map((f) => (typeof f === 'string' ? f : f.id)),
    requestParameters: { g_variant: g },
    includeResultsetResponses: req.includeResultsetResponses,
    testMode: req.testMode,
  };
}

/** Why: every g_variants answer and error says what it returned and what it was asked (beaconResponseMeta). */
export function responseMeta(config: BeaconConfig, req: BeaconVariantRequest | undefined, returned: Granularity): Json {
  return {
    beaconId: config.beaconId,
    apiVersion: BEACON_API_VERSION,
    returnedSchemas: [VARIANT_SCHEMA],
    returnedGranularity: returned,
    receivedRequestSummary: req ? receivedRequestSummary(req) : { apiVersion: BEACON_API_VERSION, requestedSchemas: [], pagination: { skip: 0, limit: 10 }, requestedGranularity: 'boolean' },
    testMode: req?.testMode ?? false,
  };
}

/**
 * The genofed part of the answer (`info`, the Beacon's place for
 * non-specification attributes): the DP noise scale when DP is on, the
 * disclosure policy and which rules fired (names only), what the count
 * counts; to a registered querier also its remaining epsilon (DP on).
 * Public (boolean) answers carry no number about the data, nor the shared
 * public identity's budget (which would tell how much others asked).
 */
function genofedInfo(answer: VariantAnswer, withCounts: boolean): Json {
  const info: Json = {
    countOf: 'individuals of the filtered cohort carrying at least one alternate allele of a matching variant (network-wide, summed under BFV encryption)',
    noise: answer.noise ? { mechanism: 'Skellam', mu: answer.noise.mu, sd: answer.noise.sd } : null,
    disclosure: { policy: answer.policy, rules: answer.rules },
  };
  if (withCounts) {
    info.variantsMatched = answer.variantsMatched;
    info.variantsWithheld = answer.variantsWithheld;
    info.remainingEpsilon = answer.remainingEpsilon;
  }
  return { genofed: info };
}

/** Why: boolean granularity (beaconBooleanResponse): public callers and anyone asking for it. */
export function booleanResponse(config: BeaconConfig, req: BeaconVariantRequest, answer: VariantAnswer): Json {
  return { meta: responseMeta(config, req, 'boolean'), responseSummary: { exists: answer.exists }, info: genofedInfo(answer, false) };
}

/** Why: count granularity (beaconCountResponse) with PR #220/#223's countAdjustedTo / countPrecision. */
export function countResponse(config: BeaconConfig, req: BeaconVariantRequest, answer: VariantAnswer): Json {
  const c = answer.count!;
  return {
    meta: responseMeta(config, req, 'count'),
    responseSummary: {
      exists: answer.exists,
      numTotalResults: c.numTotalResults,
      countPrecision: c.countPrecision,
      ...(c.countAdjustedTo ? { countAdjustedTo: [...c.countAdjustedTo] } : {}),
    },
    info: genofedInfo(answer, true),
  };
}

/** Why: a Beacon client reads errors as beaconErrorResponse, not genofed's `{ error: { code, message } }`; the genofed code rides in info. */
export function errorResponse(config: BeaconConfig, req: BeaconVariantRequest | undefined, status: number, code: string, message: string): Json {
  return { meta: responseMeta(config, req, 'boolean'), error: { errorCode: status, errorMessage: message }, info: { genofed: { code } } };
}

/** `/` and `/info` (beaconInfoResponse). */
export function infoResponse(config: BeaconConfig): Json {
  return {
    meta: informationalMeta(config),
    response: {
      id: config.beaconId, name: config.name, apiVersion: BEACON_API_VERSION, environment: config.environment,
      description: config.description,
      organization: { id: config.organization.id, name: config.organization.name, welcomeUrl: config.organization.welcomeUrl },
      info: { genofed: { accessLevels: { public: 'boolean (no token)', registered: 'count (a genofed bearer token)' } } },
    },
  };
}

/** `/service-info` (GA4GH service-info 1.0.0; a plain document, no Beacon meta). */
export function serviceInfo(config: BeaconConfig): Json {
  return {
    id: config.beaconId, name: config.name, description: config.description,
    type: { group: 'org.ga4gh', artifact: 'beacon', version: BEACON_API_VERSION },
    organization: { name: config.organization.name, url: config.organization.welcomeUrl },
    environment: config.environment, version: BEACON_API_VERSION,
  };
}

function variantEntryType(): Json {
  return {
    id: 'genomicVariant',
    name: 'Genomic Variants',
    ontologyTermForThisType: { id: 'ENSGLOSSARY:0000092', label: 'Variant' },
    partOfSpecification: `Beacon ${BEACON_API_VERSION}`,
    description: 'Variants summed across the consortium\'s hospital nodes under BFV encryption; answered as boolean or count, never as records.',
    defaultSchema: {
      id: VARIANT_SCHEMA.schema, name: 'Default schema for a genomic variation',
      referenceToSchemaDefinition: `${GITHUB_JSON}/models/json/beacon-v2-default-model/genomicVariations/defaultSchema.json`,
      schemaVersion: BEACON_API_VERSION,
    },
    nonFilteredQueriesAllowed: true,
  };
}

/** `/configuration` (beaconConfigurationResponse): public = boolean, registered = count. */
export function configurationResponse(config: BeaconConfig): Json {
  return {
    meta: informationalMeta(config, [{ entityType: 'configuration', schema: 'beacon-configuration-v2.0.0' }]),
    response: {
      $schema: `${GITHUB_JSON}/framework/json/configuration/beaconConfigurationSchema.json`,
      maturityAttributes: { productionStatus: config.environment === 'prod' ? 'PROD' : config.environment === 'test' ? 'TEST' : 'DEV' },
      securityAttributes: { defaultGranularity: 'boolean', securityLevels: ['PUBLIC', 'REGISTERED'] },
      entryTypes: { genomicVariant: variantEntryType() },
    },
  };
}

/** `/entry_types` (beaconEntryTypesResponse). */
export function entryTypesResponse(config: BeaconConfig): Json {
  return { meta: informationalMeta(config, [{ entityType: 'entryType', schema: 'beacon-entry-types-v2.0.0' }]), response: { entryTypes: { genomicVariant: variantEntryType() } } };
}

/** `/map` (beaconMapResponse); `base` is the absolute URL of /beacon/v2 as the client reached it. */
export function mapResponse(config: BeaconConfig, base: string): Json {
  return {
    meta: informationalMeta(config, [{ entityType: 'map', schema: 'beacon-map-v2.0.0' }]),
    response: {
      $schema: `${GITHUB_JSON}/framework/json/configuration/beaconMapSchema.json`,
      endpointSets: { genomicVariant: { entryType: 'genomicVariant', rootUrl: `${base}/g_variants`, openAPIEndpointsDefinition: `${base.replace(/\/beacon\/v2$/, '')}/openapi.json` } },
    },
  };
}

/** `/filtering_terms` (beaconFilteringTermsResponse): what `filters` accepts, from the roster's schema. */
export function filteringTermsResponse(config: BeaconConfig, schema: PhenotypeSchema): Json {
  return {
    meta: informationalMeta(config, [{ entityType: 'filteringTerm', schema: 'beacon-filtering-terms-v2.0.0' }]),
    response: {
      filteringTerms: declaredTerms(schema, config).map((t) => ({ type: t.type, id: t.id, label: t.label, scopes: [...t.scopes] })),
      resources: config.resources.map((r) => ({ ...r })),
    },
  };
}
