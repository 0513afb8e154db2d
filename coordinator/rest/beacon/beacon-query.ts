/**
 * A g_variants request, GET or POST, normalized into one variant query:
 * a Beacon sequence query (referenceName, start, referenceBases,
 * alternateBases) or range query (referenceName, start, end, optionally
 * alternateBases, referenceBases, variantType), plus granularity and
 * filters. Beacon coordinates are 0-based (`start`) and half-open (`end`
 * exclusive); genofed regions and VCF POS are 1-based, so a Beacon
 * `start` s is POS s + 1 and the range [s, e) is the region s+1-e.
 * What genofed cannot answer (bracket queries, gene ids, amino-acid
 * changes) is refused with 400, never silently widened.
 */
import { CoordinatorError } from '../../errors.js';
import { BEACON_API_VERSION } from './beacon-config.js';
import type { BeaconFilter } from './beacon-filters.js';

export type Granularity = 'boolean' | 'count' | 'record';

export interface VariantQuery {
  readonly referenceName: string;
  /** 0-based. */
  readonly start: number;
  /** 0-based, exclusive: a range query; absent: a sequence query at `start`. */
  readonly end?: number;
  readonly referenceBases?: string;
  readonly alternateBases?: string;
  readonly variantType?: string;
  readonly assemblyId?: string;
}

export interface BeaconVariantRequest {
  readonly apiVersion: string;
  readonly requestedGranularity: Granularity;
  readonly filters: readonly BeaconFilter[];
  readonly variant: VariantQuery;
  readonly includeResultsetResponses: 'ALL' | 'HIT' | 'MISS' | 'NONE';
  readonly pagination: { readonly skip: number; readonly limit: number };
  readonly testMode: boolean;
  readonly requestedSchemas: readonly { entityType?: string; schema?: string }[];
}

/** Largest 0-based coordinate: POS 2^31-1 (htslib's limit) minus one. */
const MAX_START = 2147483646;

function bad(message: string): CoordinatorError {
  return new CoordinatorError('GENOFED_BAD_REQUEST', message);
}

/** A start/end value: a number, a numeric string, a list of one (the model's array form) or, in GET, `a,b`. */
function coordinate(raw: unknown, name: string): number | undefined {
  if (raw === undefined) return undefined;
  let items: unknown[];
  if (Array.isArray(raw)) items = raw;
  else if (typeof raw === 'string') items = raw.split(',');
  else items = [raw];
  if (items.length === 0) return undefined;
  if (items.length > 1) throw bad(`${name}: bracket queries (two values) are not supported; give one ${name}`);
  const v = items[0];
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[0-9]{1,10}$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_START + 1) throw bad(`${name} must be a 0-based position from 0 to ${MAX_START + 1}`);
  return n;
}

function optionalString(raw: unknown, name: string, pattern: RegExp, what: string): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !pattern.test(raw)) throw bad(`${name} must be ${what}`);
  return raw;
}

const BASES = /^[ACGTacgt]{1,10000}$/;

/** Why: one checked shape for both verbs, so GET and POST answer the same question the same way. */
export function variantQuery(p: Readonly<Record<string, unknown>>): VariantQuery {
  for (const unsupported of ['geneId', 'aminoacidChange', 'genomicAlleleShortForm', 'allele', 'mateName', 'variantMinLength', 'variantMaxLength']) {
    if (p[unsupported] !== undefined) throw bad(`${unsupported}: not supported by this Beacon (query by sequence or by range)`);
  }
  const referenceName = optionalString(p.referenceName, 'referenceName', /^[!-~]{1,255}$/, 'a contig name such as 1, chr1 or X');
  if (referenceName === undefined) throw bad('referenceName is required');
  const start = coordinate(p.start, 'start');
  if (start === undefined) throw bad('start is required (0-based)');
  const end = coordinate(p.end, 'end');
  const referenceBases = optionalString(p.referenceBases, 'referenceBases', BASES, 'bases (A, C, G, T)');
  const alternateBases = optionalString(p.alternateBases, 'alternateBases', BASES, 'bases (A, C, G, T)');
  const variantType = optionalString(p.variantType, 'variantType', /^[A-Za-z0-9_:]{1,40}$/, 'a type such as SNP, MNP, INDEL, DEL, INS');
  const assemblyId = optionalString(p.assemblyId, 'assemblyId', /^[!-~]{1,100}$/, 'an assembly name such as GRCh37');
  if (end !== undefined && end <= start) throw bad('end must be greater than start (Beacon ranges are 0-based, end exclusive)');
  if (end === undefined && alternateBases === undefined) throw bad('a sequence query needs alternateBases (and referenceBases); a range query needs end');
  return {
    referenceName, start,
    ...(end !== undefined ? { end } : {}),
    ...(referenceBases !== undefined ? { referenceBases: referenceBases.toUpperCase() } : {}),
    ...(alternateBases !== undefined ? { alternateBases: alternateBases.toUpperCase() } : {}),
    ...(variantType !== undefined ? { variantType: variantType.toUpperCase() } : {}),
    ...(assemblyId !== undefined ? { assemblyId } : {}),
  };
}

function granularity(raw: unknown): Granularity {
  if (raw === undefined) return 'boolean';
  if (raw === 'boolean' || raw === 'count' || raw === 'record') return raw;
  throw bad('requestedGranularity must be boolean, count or record');
}

function includeResultsets(raw: unknown): BeaconVariantRequest['includeResultsetResponses'] {
  if (raw === undefined) return 'HIT';
  if (raw === 'ALL' || raw === 'HIT' || raw === 'MISS' || raw === 'NONE') return raw;
  throw bad('includeResultsetResponses must be ALL, HIT, MISS or NONE');
}

function nonNegative(raw: unknown, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = typeof raw === 'string' && /^[0-9]{1,9}$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw bad(`${name} must be a non-negative integer`);
  return n;
}

function bool(raw: unknown, name: string): boolean {
  if (raw === undefined) return false;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw bad(`${name} must be true or false`);
}

/** GET: the query string (fastify's schema already refused unknown parameters). `filters` may repeat or be comma-separated. */
export function fromQueryString(q: Readonly<Record<string, unknown>>): BeaconVariantRequest {
  const rawFilters = q.filters === undefined ? [] : Array.isArray(q.filters) ? q.filters : [q.filters];
  const filters = rawFilters.flatMap((f) => String(f).split(',')).map((f) => f.trim()).filter((f) => f.length > 0);
  const { filters: _f, requestedGranularity, includeResultsetResponses, skip, limit, testMode, requestedSchema, ...params } = q;
  return {
    apiVersion: BEACON_API_VERSION,
    requestedGranularity: granularity(requestedGranularity),
    filters,
    variant: variantQuery(params),
    includeResultsetResponses: includeResultsets(includeResultsetResponses),
    pagination: { skip: nonNegative(skip, 'skip', 0), limit: nonNegative(limit, 'limit', 10) },
    testMode: bool(testMode, 'testMode'),
    requestedSchemas: typeof requestedSchema === 'string' ? [{ entityType: 'genomicVariant', schema: requestedSchema }] : [],
  };
}

function objectOr(raw: unknown, name: string): Readonly<Record<string, unknown>> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`${name} must be an object`);
  return raw as Record<string, unknown>;
}

const PARAMETERS = new Set(['referenceName', 'start', 'end', 'referenceBases', 'alternateBases', 'variantType', 'assemblyId', 'geneId', 'aminoacidChange', 'genomicAlleleShortForm', 'mateName', 'variantMinLength', 'variantMaxLength']);

/**
 * POST: the Beacon request body. `query.requestParameters` is read in the
 * framework's shape (a dictionary of objects: `{ g_variant: {...} }`, the
 * default model's name) or flat (`{ referenceName, start, ... }`, what most
 * Beacon clients send); an unknown parameter is refused.
 */
export function fromRequestBody(body: Readonly<Record<string, unknown>>): BeaconVariantRequest {
  const meta = objectOr(body.meta, 'meta');
  const query = objectOr(body.query, 'query');
  let params = objectOr(query.requestParameters, 'query.requestParameters');
  const { $schema: _s, ...rest } = params;
  if ('g_variant' in rest) {
    if (Object.keys(rest).length !== 1) throw bad('query.requestParameters: give either g_variant or the flat parameters, not both');
    params = objectOr(rest.g_variant, 'query.requestParameters.g_variant');
  } else params = rest;
  for (const k of Object.keys(params)) if (!PARAMETERS.has(k) && k !== '$schema') throw bad(`query.requestParameters: unknown parameter '${k}'`);
  const filters = query.filters === undefined ? [] : query.filters;
  if (!Array.isArray(filters)) throw bad('query.filters must be an array');
  const checked: BeaconFilter[] = filters.map((f, i) => {
    if (typeof f === 'string') return f;
    if (typeof f === 'object' && f !== null && typeof (f as { id?: unknown }).id === 'string') {
      const o = f as Record<string, unknown>;
      for (const k of ['operator', 'value', 'scope', 'similarity']) if (o[k] !== undefined && typeof o[k] !== 'string') throw bad(`query.filters.${i}.${k} must be a string`);
      return o as BeaconFilter;
    }
    throw bad(`query.filters.${i} must be a filter object with an id`);
  });
  const pagination = objectOr(query.pagination, 'query.pagination');
  const apiVersion = typeof meta.apiVersion === 'string' ? meta.apiVersion : BEACON_API_VERSION;
  // Echoed in receivedRequestSummary: only the two string fields a ListOfSchemas item has.
  const requestedSchemas = (Array.isArray(meta.requestedSchemas) ? meta.requestedSchemas as unknown[] : []).map((s) => {
    const o = (typeof s === 'object' && s !== null ? s : {}) as Record<string, unknown>;
    return { ...(typeof o.entityType === 'string' ? { entityType: o.entityType } : {}), ...(typeof o.schema === 'string' ? { schema: o.schema } : {}) };
  });
  return {
    apiVersion,
    requestedGranularity: granularity(query.requestedGranularity),
    filters: checked,
    variant: variantQuery(params),
    includeResultsetResponses: includeResultsets(query.includeResultsetResponses),
    pagination: { skip: nonNegative(pagination.skip, 'query.pagination.skip', 0), limit: nonNegative(pagination.limit, 'query.pagination.limit', 10) },
    testMode: bool(query.testMode, 'query.testMode'),
    requestedSchemas,
  };
}

/** The genofed region of a variant query: POS start+1 for a sequence query, start+1-end for a range. */
export function regionOf(v: VariantQuery): string {
  return `${v.referenceName}:${v.start + 1}-${v.end ?? v.start + 1}`;
}

/** Whether a variant (VCF REF/ALT at POS) answers the query: the position of a sequence query, the alleles and type asked. */
export function matchesQuery(v: VariantQuery, row: { readonly pos: number; readonly ref: string; readonly alt: string }): boolean {
  if (v.end === undefined && row.pos !== v.start + 1) return false;
  if (v.referenceBases !== undefined && row.ref.toUpperCase() !== v.referenceBases) return false;
  if (v.alternateBases !== undefined && row.alt.toUpperCase() !== v.alternateBases) return false;
  if (v.variantType !== undefined && !typeMatches(row.ref, row.alt, v.variantType)) return false;
  return true;
}

/** SNP, MNP, DEL, INS from REF/ALT; a symbolic ALT (`<DEL>`, `<INS:ME:SVA>`) by its first field; BND for breakends. */
export function variantTypeOf(ref: string, alt: string): string {
  const sym = /^<([A-Za-z0-9_]+)/.exec(alt);
  if (sym) return sym[1]!.toUpperCase();
  if (!/^[A-Za-z]+$/.test(alt)) return 'BND';
  if (ref.length === alt.length) return ref.length === 1 ? 'SNP' : 'MNP';
  return alt.length < ref.length ? 'DEL' : 'INS';
}

/** INDEL is DEL or INS with both alleles spelled out; a symbolic type also matches by prefix (`CNV` matches `<CNV:TR>`). */
function typeMatches(ref: string, alt: string, type: string): boolean {
  const t = variantTypeOf(ref, alt);
  if (type === 'INDEL') return (t === 'DEL' || t === 'INS') && /^[A-Za-z]+$/.test(alt);
  return t === type || alt.toUpperCase().startsWith(`<${type}`);
}
