/**
 * The node's configuration file (JSON), validated once at start-up against
 * a zod schema and passed down frozen. Relative paths are resolved against
 * the config file's folder, so a consortium folder made by `genofed network
 * init` can be moved as a whole. Errors name the bad field, never its value
 * (a value may be a hospital path).
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { normalizeFingerprint } from '../../proto/roster.js';
import { NodeError } from '../errors.js';
import { withOperatorPath } from '../../proto/operator-path.js';

const endpoint = z.object({
  host: z.string().min(1),
  /** 0 = ephemeral (tests); the bound port is printed as `listening ...`. */
  port: z.number().int().min(0).max(65535),
}).strict();

const siteId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'a site id is 1-63 of [a-z0-9._-], starting with a letter or digit');

export const nodeConfigSchema = z.object({
  /** This hospital's site id; its server certificate must name it. */
  siteId,
  /** Folder of the embedded store (`genofed node ingest --store`). */
  store: z.string().min(1),
  /** gRPC endpoint (mTLS). */
  listen: endpoint,
  /** Optional plain-HTTP `GET /healthz` for load balancers / orchestration (no data, only "ok"). */
  healthHttp: endpoint.optional(),
  /** Optional plain-HTTP `GET /metrics` (Prometheus; node/server/metrics.ts): off when absent; bind it to 127.0.0.1 or a monitoring network. */
  metricsHttp: endpoint.optional(),
  tls: z.object({
    /** Consortium CA certificate (PEM): client certificates must chain to it. */
    ca: z.string().min(1),
    /** This node's server certificate (PEM) and private key (PEM, 0600). */
    cert: z.string().min(1),
    key: z.string().min(1),
  }).strict(),
  /**
   * This site's own secret keys (PEM, 0600), made by `genofed site init`;
   * their public parts are in the roster.
   */
  keys: z.object({
    /** X25519: pairwise secure-aggregation masks and size-round boxes. */
    x25519: z.string().min(1),
    /** Ed25519: the site's roster signature, size commitments and answer headers. */
    signing: z.string().min(1),
  }).strict(),
  /**
   * The consortium roster (proto/roster.ts) and the fingerprint this
   * site's operator confirmed with the other sites over an independent
   * channel. The node serves only under this roster: every query must
   * name exactly its members (never a subset), and the roster file must
   * hash to this fingerprint and carry every member's signature.
   */
  roster: z.object({
    file: z.string().min(1),
    fingerprint: z.string().transform((t, ctx) => {
      const h = normalizeFingerprint(t);
      if (!h) ctx.addIssue({ code: 'custom', message: 'a roster fingerprint is 64 hex digits (spaces and colons allowed)' });
      return h ?? '';
    }),
  }).strict(),
  coordinator: z.object({
    /** The coordinator's BFV public key file: the node encrypts under it; the roster holds its SHA-256. */
    bfvPublicKey: z.string().min(1),
  }).strict(),
  crypto: z.object({
    /** `default` for real deployments; `test` (smaller, faster) only for tests and demos. */
    preset: z.enum(['default', 'test']),
  }).strict(),
  /**
   * Privacy (node/privacy/, node/audit/). Absent section = all defaults:
   * cohorts and strata of network size 1..4 refused, differencing k = 5,
   * DP off, implicit policy (the roster's coordinator may run every kind,
   * no rate limit), at least 3 roster members, one change of membership
   * per 24 h. Masks are always on: they come with the roster.
   */
  privacy: z.object({
    /** Refuse any population (cohort, stratum cell, carriers) whose network size, verified by the nodes, is 1..minCohortSize-1. */
    minCohortSize: z.number().int().min(1).max(10_000).default(5),
    roster: z.object({
      /** A roster with fewer members is refused (2 members could read each other's counts from the total). */
      minSites: z.number().int().min(3).max(1000).default(3),
      /** Membership may change at most once per this many hours (epoch differences reveal the sites that joined or left). */
      minMembershipIntervalHours: z.number().min(0).max(24 * 365).default(24),
    }).strict().default({ minSites: 3, minMembershipIntervalHours: 24 }),
    /** Node policy (node/privacy/authorization.ts): which coordinators may run which kinds, rate limits. */
    policyFile: z.string().min(1).optional(),
    budget: z.object({
      /** Epsilon budget per coordinator, the party that decrypts (node/privacy/skellam.ts DEFAULT_EPSILON_BUDGET: LRT power 0.02-0.03 at 10). */
      totalEpsilon: z.number().positive().max(10_000).default(10),
      /** A cap per researcher beneath it (default: the total). */
      perResearcherEpsilon: z.number().positive().max(10_000).optional(),
    }).strict().default({ totalEpsilon: 10 }),
    differencing: z.object({
      /** Refuse a population differing from one this coordinator (any researcher) was answered for by 1..k-1 samples (DataSHIELD nfilter.subset 3; 5 matches disclosure k). */
      k: z.number().int().min(1).max(10_000).default(5),
    }).strict().default({ k: 5 }),
    dp: z.object({
      enabled: z.boolean().default(false),
      /** Epsilon each query spends; the signed envelope's dp_epsilon must equal it (DEFAULT_QUERY_EPSILON). */
      epsilonPerQuery: z.number().positive().max(1000).default(1),
    }).strict().default({ enabled: false, epsilonPerQuery: 1 }),
  }).strict().default({ minCohortSize: 5, roster: { minSites: 3, minMembershipIntervalHours: 24 }, budget: { totalEpsilon: 10 }, differencing: { k: 5 }, dp: { enabled: false, epsilonPerQuery: 1 } }),
  limits: z.object({
    /** Clock skew tolerated on issuedAt/expiresAt. 30 s: NTP-synced hosts are within ~1 s; VMs drift more. */
    clockSkewSeconds: z.number().int().min(0).max(600).default(30),
    /** A query may not live longer than this (bounds the replay window the query-id log must cover). */
    maxQueryLifetimeSeconds: z.number().int().min(1).max(86_400).default(900),
    /** Largest union variant list a query may ask for: 5M x ~20 B is ~100 MB of request. */
    maxVariants: z.number().int().min(1).max(50_000_000).default(5_000_000),
  }).strict().default({ clockSkewSeconds: 30, maxQueryLifetimeSeconds: 900, maxVariants: 5_000_000 }),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug']).default('info'),
}).strict();

export type NodeConfig = Readonly<z.infer<typeof nodeConfigSchema>>;

/** Paths in the config that are resolved against the config file's folder. */
function resolvePaths(config: z.infer<typeof nodeConfigSchema>, base: string): void {
  const r = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  config.store = r(config.store);
  config.tls = { ca: r(config.tls.ca), cert: r(config.tls.cert), key: r(config.tls.key) };
  config.coordinator = { bfvPublicKey: r(config.coordinator.bfvPublicKey) };
  config.keys = { x25519: r(config.keys.x25519), signing: r(config.keys.signing) };
  config.roster = { ...config.roster, file: r(config.roster.file) };
  const pv = config.privacy;
  if (pv.policyFile) pv.policyFile = r(pv.policyFile);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Validate an already-parsed JSON value; `base` resolves relative paths. */
export function parseNodeConfig(raw: unknown, base: string, label = 'node config'): NodeConfig {
  const parsed = nodeConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const field = first && first.path.length ? first.path.join('.') : '(top level)';
    const keys = (first as { keys?: string[] } | undefined)?.keys ?? [];
    const replaced = keys.some((k) => ['x25519', 'masks', 'minParticipants', 'identity', 'signingPublicKey'].includes(k))
      ? ' (issue 9 replaced x25519 / privacy.masks / minParticipants / coordinator.identity / coordinator.signingPublicKey by `keys` and `roster`: see deploy/README.md)'
      : '';
    const what = first?.code === 'unrecognized_keys' ? `unknown field(s) ${keys.join(', ')}${replaced}` : first?.message ?? 'invalid';
    throw new NodeError('GENOFED_CONFIG', `${label}: field '${field}': ${what}`);
  }
  resolvePaths(parsed.data, base);
  return deepFreeze(parsed.data);
}

/** Read, parse and validate the node config file; fails fast naming the bad field. */
export async function loadNodeConfig(path: string): Promise<NodeConfig> {
  const label = basename(path);
  const text = await readFile(path, 'utf8').catch((cause: unknown) => {
    throw withOperatorPath(new NodeError('GENOFED_CONFIG', `${label}: cannot read config file`, { cause }), path);
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new NodeError('GENOFED_CONFIG', `${label}: not valid JSON`, { cause });
  }
  return parseNodeConfig(raw, dirname(resolve(path)), label);
}
