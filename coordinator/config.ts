/**
 * The coordinator's configuration file (JSON), validated once at start-up
 * against a zod schema and passed down frozen. Relative paths resolve
 * against the config file's folder. Errors name the bad field, never its
 * value.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { disclosurePolicy, type DisclosurePolicy } from './disclosure/index.js';
import { CoordinatorError } from './errors.js';
import { withOperatorPath } from '../proto/operator-path.js';

const endpoint = z.object({
  host: z.string().min(1),
  /** 0 = ephemeral (tests); the bound port is printed as `listening rest HOST:PORT`. */
  port: z.number().int().min(0).max(65535),
}).strict();

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'an id is 1-63 of [a-z0-9._-], starting with a letter or digit');

export const siteEntrySchema = z.object({
  /** The site id; the node's server certificate must name it (CN and `urn:genofed:site:<id>` URI SAN). */
  id,
  /** `host:port` of the node's gRPC endpoint. */
  address: z.string().regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'an address is HOST:PORT'),
}).strict();

export const coordinatorConfigSchema = z.object({
  /** The coordinator's identity: its client certificate names it, and node configs expect it. */
  identity: id,
  /** REST API endpoint for researchers. */
  listen: endpoint,
  tls: z.object({
    /** Consortium CA (PEM): each node's server certificate must chain to it. */
    ca: z.string().min(1),
    /** The coordinator's client certificate and key (PEM, key 0600). */
    cert: z.string().min(1),
    key: z.string().min(1),
  }).strict(),
  /** Ed25519 private key (PEM, 0600) that signs every query envelope. */
  signingKey: z.string().min(1),
  bfv: z.object({
    preset: z.enum(['default', 'test']),
    publicKey: z.string().min(1),
    /** The only key that decrypts: keep it on the coordinator host, 0600. */
    secretKey: z.string().min(1),
  }).strict(),
  /**
   * The consortium roster (proto/roster.ts), signed by every site: the
   * coordinator queries every member of it, always (nodes refuse any other
   * participant set), and its own keys must be the ones it names.
   */
  roster: z.string().min(1),
  /** Where each roster member's node listens; exactly the roster's sites. */
  sites: z.array(siteEntrySchema).min(1).refine((s) => new Set(s.map((x) => x.id)).size === s.length, 'site ids must be unique'),
  deadlines: z.object({
    /** Info/Health/ListVariants per node. 5 s: loopback answers in ~10 ms; WAN round trips stay well below 1 s. */
    infoMs: z.number().int().min(100).max(600_000).default(5_000),
    /** Aggregate per node. 120 s: 1M variants encrypt in ~1-2 s per core plus the store scan; leaves room for slow disks. */
    queryMs: z.number().int().min(100).max(3_600_000).default(120_000),
  }).strict().default({ infoMs: 5_000, queryMs: 120_000 }),
  /** How long a signed query stays valid at the nodes. */
  queryLifetimeSeconds: z.number().int().min(5).max(86_400).default(300),
  /**
   * Removed in issue 9: every roster member must answer, always. A total
   * over fewer sites is a different sum, and two sums over different sets
   * give a site's counts away; a dropout fails the query (retry later).
   */
  minSites: z.never({ message: 'minSites was removed: every roster member must answer (a dropout fails the query; retry it)' }).optional(),
  /** Bearer tokens of researchers: a JSON file (0600) `[{ "querier": "...", "token": "..." }]`. */
  tokensFile: z.string().min(1),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug']).default('info'),
  /**
   * Disclosure control on network totals (coordinator/disclosure): cohorts
   * and counts below k withheld ("<k") or rounded. Default k = 5, 'suppress'.
   * k = 1 releases every total as decrypted.
   */
  disclosure: z.object({
    k: z.number().int().min(1).max(1000).optional(),
    smallCounts: z.enum(['suppress', 'round']).optional(),
    roundTo: z.number().int().min(1).max(1000).optional(),
  }).strict().optional(),
  privacy: z.object({
    /**
     * Epsilon every node spends per query (signed into each envelope). 0 =
     * DP off (default). When the consortium turns DP on it must equal the
     * nodes' policy, which they enforce.
     */
    dpEpsilon: z.number().min(0).max(100).default(0),
  }).strict().default({ dpEpsilon: 0 }),
  /** Resource limits (coordinator/rest/README.md "Limits"); every field has a default. */
  limits: z.object({
    /** Largest REST request body: 413 GENOFED_BODY_TOO_LARGE above it. 8 MiB is ~300,000 variants as strings; larger sets go by region. */
    maxBodyBytes: z.number().int().min(1_024).max(256 * 1024 * 1024).default(8 * 1024 * 1024),
    /** Authenticated REST requests per querier (token) per minute: 429 GENOFED_TOO_MANY_REQUESTS with Retry-After above it. */
    queriesPerMinutePerToken: z.number().int().min(1).max(100_000).default(60),
    /** Variant keys one site may stream in phase 1 (ListVariants); more cancels the stream and fails that site. The nodes' own default maxVariants is 5,000,000. */
    maxVariantKeysPerSite: z.number().int().min(1).max(50_000_000).default(5_000_000),
  }).strict().default({ maxBodyBytes: 8 * 1024 * 1024, queriesPerMinutePerToken: 60, maxVariantKeysPerSite: 5_000_000 }),
}).strict();

export type CoordinatorConfig = Readonly<z.infer<typeof coordinatorConfigSchema>>;
export type SiteEntry = Readonly<z.infer<typeof siteEntrySchema>>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Validate an already-parsed JSON value; `base` resolves relative paths. */
export function parseCoordinatorConfig(raw: unknown, base: string, label = 'coordinator config'): CoordinatorConfig {
  const parsed = coordinatorConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const field = first && first.path.length ? first.path.join('.') : '(top level)';
    const what = first?.code === 'unrecognized_keys' ? `unknown field(s) ${(first as { keys?: string[] }).keys?.join(', ')}` : first?.message ?? 'invalid';
    throw new CoordinatorError('GENOFED_CONFIG', `${label}: field '${field}': ${what}`);
  }
  const c = parsed.data;
  const r = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  c.tls = { ca: r(c.tls.ca), cert: r(c.tls.cert), key: r(c.tls.key) };
  c.signingKey = r(c.signingKey);
  c.bfv = { ...c.bfv, publicKey: r(c.bfv.publicKey), secretKey: r(c.bfv.secretKey) };
  c.tokensFile = r(c.tokensFile);
  c.roster = r(c.roster);
  return deepFreeze(c);
}

/** The validated disclosure policy of a config (defaults when the field is absent). */
export function configDisclosurePolicy(c: CoordinatorConfig): DisclosurePolicy {
  return disclosurePolicy(c.disclosure ?? {});
}

/** Read, parse and validate the coordinator config file; fails fast naming the bad field. */
export async function loadCoordinatorConfig(path: string): Promise<CoordinatorConfig> {
  const label = basename(path);
  const text = await readFile(path, 'utf8').catch((cause: unknown) => {
    throw withOperatorPath(new CoordinatorError('GENOFED_CONFIG', `${label}: cannot read config file`, { cause }), path);
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new CoordinatorError('GENOFED_CONFIG', `${label}: not valid JSON`, { cause });
  }
  return parseCoordinatorConfig(raw, dirname(resolve(path)), label);
}

/** One researcher bearer token (the REST app compares in constant time). */
export interface TokenEntry {
  readonly querier: string;
  readonly token: string;
}

const tokensSchema = z.array(z.object({ querier: id, token: z.string().min(32) }).strict()).min(1);

/** Read the tokens file named by the config; errors name the field, never a token. */
export async function loadTokens(path: string): Promise<readonly TokenEntry[]> {
  const label = basename(path);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw withOperatorPath(new CoordinatorError('GENOFED_CONFIG', `${label}: cannot read tokens file as JSON`, { cause }), path);
  }
  const parsed = tokensSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new CoordinatorError('GENOFED_CONFIG', `${label}: field '${first?.path.join('.') ?? ''}': ${first?.message ?? 'invalid'}`);
  }
  return deepFreeze(parsed.data);
}
