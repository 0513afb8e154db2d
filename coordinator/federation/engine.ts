/**
 * The federation engine (implements `types.ts`): slot alignment, fan-out
 * with a deadline per site, validation of every answer, homomorphic sum,
 * and decryption of the network total only.
 *
 * Region queries run two phases (THREAT-MODEL.md, "Slot alignment"):
 * phase 1 collects each site's variant keys in the region and forms their
 * sorted union; phase 2 sends that union (signed digest + streamed list)
 * so slot i means the same variant at every site. Variant-list queries
 * skip phase 1. A site that fails either phase fails the query naming it,
 * unless a minSites policy is set, in which case it is listed as missing.
 *
 * Secure-aggregation masks (node/privacy/masks.ts) are derived per (query
 * id, participant set) and cancel only over the WHOLE signed set: a partial
 * sum is uniform noise. So the engine never sums a subset: when a site drops
 * out of phase 2 under minSites, phase 2 is rerun under a NEW query id with
 * the remaining set (fresh masks at every node; a query id is never reused).
 * Decrypted totals then pass disclosure control (coordinator/disclosure)
 * before anything is returned.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { signEnvelope } from '../../proto/convert/envelope.js';
import { PROTOCOL_VERSION, layoutFor, unpackAlleleCounts, variantListDigest, type QueryEnvelope, type QueryParams } from '../../proto/query.js';
import { parseRegion } from '../../proto/region.js';
import { normalizeContig, variantMatchKey, type VariantKey } from '../../proto/variant.js';
import { applyAlleleFrequencyPolicy, applyCohortThreshold, DEFAULT_DISCLOSURE_POLICY, type DisclosurePolicy } from '../disclosure/index.js';
import { CoordinatorError } from '../errors.js';
import type { NodeClient, SiteAnswer } from './node-client.js';
import type {
  AlleleFrequencyAnswer, AlleleFrequencyRequest, AlleleFrequencyRow, CohortCountAnswer, CohortCountRequest, Federation, NoiseScale, SiteOutcome, SiteStatus,
} from './types.js';

/** What the engine needs from crypto/: bound check, sum, decrypt. */
export interface TotalCrypto {
  readonly fingerprint: string;
  readonly slotCount: number;
  /** Throws when bound x parties could reach the plain modulus. */
  checkSumBound(bound: number, parties: number): void;
  /**
   * Sum the sites' ciphertexts chunk by chunk and decrypt `valueCount` totals
   * (noise-budget checked). `signed`: read totals mod t centered (values
   * above t/2 are negative), for DP-noisy totals.
   */
  sumAndDecrypt(perSite: readonly (readonly Uint8Array[])[], valueCount: number, signed?: boolean): Float64Array;
}

/** Minimal structured logger (pino-compatible). */
export interface EngineLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface EngineOptions {
  readonly coordinatorId: string;
  readonly clients: readonly NodeClient[];
  readonly signingKey: KeyObject;
  readonly crypto: TotalCrypto;
  readonly deadlines: { readonly infoMs: number; readonly queryMs: number };
  readonly queryLifetimeSeconds: number;
  /** Config-level default policy; a request's minSites overrides it. */
  readonly minSites?: number;
  readonly logger: EngineLogger;
  /** Disclosure control on network totals; default k = 5, small counts suppressed. */
  readonly disclosure?: DisclosurePolicy;
  /**
   * The nodes' minimum participant set (issue 6 default 3): a restarted round
   * with fewer sites is not sent (every node would refuse it).
   */
  readonly minParticipants?: number;
  /** Epsilon each node spends per query (signed into the envelope); 0 or unset = DP off. Must match the nodes' policy. */
  readonly dpEpsilon?: number;
  /** Benchmark only: counts travel unencrypted. Not reachable from config or REST. */
  readonly measurementPlaintext?: boolean;
  /** Called with each site's answer size (the bench's bytes_per_site). */
  readonly onSiteAnswer?: (site: string, bytes: number) => void;
}

interface Outcome<T> {
  readonly ok: { site: string; value: T }[];
  readonly missing: { site: string; reason: string }[];
}

export class FederationEngine implements Federation {
  private closed = false;

  constructor(private readonly o: EngineOptions) {
    if (o.clients.length === 0) throw new CoordinatorError('GENOFED_CONFIG', 'sites: at least one site is required');
  }

  private get policy(): DisclosurePolicy {
    return this.o.disclosure ?? DEFAULT_DISCLOSURE_POLICY;
  }

  private minSites(req: { minSites?: number }): number | undefined {
    const m = req.minSites ?? this.o.minSites;
    if (m === undefined) return undefined;
    if (!Number.isInteger(m) || m < 1 || m > this.o.clients.length) {
      throw new CoordinatorError('GENOFED_QUERY_INVALID', `minSites: must be an integer from 1 to ${this.o.clients.length}`);
    }
    return m;
  }

  private envelope(correlationId: string, participants: readonly string[], querier: string, params: QueryParams): QueryEnvelope {
    const now = Date.now();
    return {
      version: PROTOCOL_VERSION,
      queryId: randomUUID(),
      correlationId,
      coordinatorId: this.o.coordinatorId,
      participants: [...participants].sort(),
      issuedAtMs: now,
      expiresAtMs: now + this.o.queryLifetimeSeconds * 1000,
      querier,
      cryptoFingerprint: this.o.crypto.fingerprint,
      params,
      measurementPlaintext: this.o.measurementPlaintext === true,
      // Signed, so every node draws its share for the same mu; 0 = DP off (field absent).
      ...(this.o.dpEpsilon !== undefined && this.o.dpEpsilon > 0 ? { dpEpsilon: this.o.dpEpsilon } : {}),
    };
  }

  /** Run `fn` at every client; apply the site policy (fail naming the site, or list missing). */
  private async fanOut<T>(clients: readonly NodeClient[], minSites: number | undefined, fn: (c: NodeClient, signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<Outcome<T>> {
    const ctl = new AbortController();
    const onOuter = (): void => ctl.abort();
    outer?.addEventListener('abort', onOuter, { once: true });
    // The site that failed first, recorded before the others are aborted, so
    // the error names it rather than a sibling whose call we cancelled.
    let firstError: CoordinatorError | undefined;
    try {
      const settled = await Promise.all(clients.map(async (c) => {
        try {
          return { site: c.site, value: await fn(c, ctl.signal), error: undefined };
        } catch (err) {
          const e = err instanceof CoordinatorError ? err : new CoordinatorError('GENOFED_SITE_FAILED', `site ${c.site}: failed`, { cause: err });
          if (!ctl.signal.aborted) {
            firstError ??= e;
            const cause = (e.cause as { message?: unknown } | undefined)?.message;
            this.o.logger.warn({ site: c.site, code: e.code, reason: e.message, cause: typeof cause === 'string' ? cause.slice(0, 200) : undefined }, 'site failed');
          }
          // Default policy: the first failure fails the query; stop the others.
          if (minSites === undefined) ctl.abort();
          return { site: c.site, value: undefined, error: e };
        }
      }));
      outer?.throwIfAborted();
      const ok: { site: string; value: T }[] = [];
      const missing: { site: string; reason: string }[] = [];
      for (const s of settled) {
        if (s.error !== undefined) {
          firstError ??= s.error;
          missing.push({ site: s.site, reason: s.error.message.replace(/^site \S+: /, '') });
        } else {
          ok.push({ site: s.site, value: s.value as T });
        }
      }
      if (missing.length > 0) {
        if (minSites === undefined) throw firstError!;
        if (ok.length < minSites) {
          throw new CoordinatorError('GENOFED_TOO_FEW_SITES', `${ok.length} of ${clients.length} sites answered, minSites is ${minSites}; missing: ${missing.map((m) => `${m.site} (${m.reason})`).join(', ')}`);
        }
      }
      return { ok, missing };
    } finally {
      outer?.removeEventListener('abort', onOuter);
    }
  }

  private sitesOutcome(responding: readonly string[], missing: readonly { site: string; reason: string }[]): SiteOutcome {
    return { responding: [...responding].sort(), missing: [...missing].sort((a, b) => a.site.localeCompare(b.site)) };
  }

  /**
   * Phase 2 at `clients`: sign, stream, validate, check bound, sum, decrypt.
   * Only the complete answer set of one signed participant set is summed;
   * under minSites a site that fails restarts the round without it (new
   * query id), while the remaining set still meets minSites.
   */
  private async aggregate(correlationId: string, clients: readonly NodeClient[], minSites: number | undefined, querier: string, params: QueryParams, variants: readonly VariantKey[], signal?: AbortSignal): Promise<{ totals: Float64Array; responding: string[]; missing: { site: string; reason: string }[]; noise: NoiseScale | null }> {
    const layout = layoutFor(params, this.o.crypto.slotCount);
    const plaintext = this.o.measurementPlaintext === true;
    const dropped: { site: string; reason: string }[] = [];
    let current = clients;
    for (;;) {
      const env = this.envelope(correlationId, current.map((c) => c.site), querier, params);
      const signed = signEnvelope(env, this.o.signingKey);
      let outcome: Outcome<SiteAnswer>;
      try {
        outcome = await this.fanOut(current, minSites, (c, s) => c.aggregate(signed, variants, { queryId: env.queryId, fingerprint: this.o.crypto.fingerprint, layout, plaintext }, this.o.deadlines.queryMs, s), signal);
      } catch (err) {
        // Name the sites dropped by earlier rounds too.
        if (err instanceof CoordinatorError && err.code === 'GENOFED_TOO_FEW_SITES' && dropped.length > 0) {
          throw new CoordinatorError('GENOFED_TOO_FEW_SITES', `${err.message}; earlier dropped: ${dropped.map((m) => `${m.site} (${m.reason})`).join(', ')}`, { cause: err });
        }
        throw err;
      }
      if (outcome.ok.length === 0) throw new CoordinatorError('GENOFED_TOO_FEW_SITES', 'no site answered');
      if (outcome.missing.length > 0) {
        // Masks cancel only over the whole signed set: rerun with the sites that answered.
        for (const m of outcome.missing) dropped.push({ site: m.site, reason: `${m.reason}; phase 2 restarted without it` });
        current = current.filter((c) => outcome.ok.some((a) => a.site === c.site));
        const floor = this.o.minParticipants ?? 3;
        if (current.length < floor) {
          throw new CoordinatorError('GENOFED_TOO_FEW_SITES', `${current.length} sites remain, nodes refuse a participant set smaller than ${floor}; missing: ${dropped.map((m) => `${m.site} (${m.reason.replace(/; phase 2 restarted without it$/, '')})`).join(', ')}`);
        }
        this.o.logger.warn({ correlationId, queryId: env.queryId, dropped: outcome.missing.map((m) => m.site), remaining: current.length }, 'phase 2 restarted with the remaining participant set');
        continue;
      }
      for (const a of outcome.ok) this.o.onSiteAnswer?.(a.site, a.value.bytes);
      const noise = agreedNoise(outcome.ok.map((a) => ({ site: a.site, mu: a.value.header.noiseMu ?? 0 })));
      // Masks cancel only if every site masked (or none did); a mix would release noise as counts.
      if (new Set(outcome.ok.map((a) => a.value.header.masked === true)).size > 1) {
        throw new CoordinatorError('GENOFED_SITE_FAILED', `sites disagree on secure-aggregation masks (masked: ${outcome.ok.filter((a) => a.value.header.masked).map((a) => a.site).join(', ')}); nothing released`);
      }
      // A consortium that asked for DP must not get exact totals from nodes that added none.
      if ((this.o.dpEpsilon ?? 0) > 0 && noise === null && !plaintext) {
        throw new CoordinatorError('GENOFED_SITE_FAILED', 'DP is on in the coordinator config (privacy.dpEpsilon) but the sites added no noise; nothing released (node and coordinator policies differ)');
      }
      let totals: Float64Array;
      if (plaintext) {
        totals = new Float64Array(layout.valueCount);
        for (const a of outcome.ok) {
          const p = a.value.plain!;
          for (let i = 0; i < p.length; i++) totals[i]! += p[i]!;
        }
      } else {
        // Overflow guard over the network: the largest per-site bound times the
        // number of summands; with noise, totals are read centered, so they and
        // 20 sd of noise must stay below t/2.
        const bound = Math.max(...outcome.ok.map((a) => a.value.header.boundPerValue));
        const n = outcome.ok.length;
        this.o.crypto.checkSumBound(noise ? 2 * bound + Math.ceil((40 * noise.sd) / n) : bound, n);
        try {
          totals = this.o.crypto.sumAndDecrypt(outcome.ok.map((a) => a.value.ciphertexts), layout.valueCount, noise !== null);
        } catch (cause) {
          throw new CoordinatorError('GENOFED_DECRYPT_FAILED', 'network total failed decryption or its noise-budget check; nothing released', { cause });
        }
      }
      return { totals, responding: outcome.ok.map((a) => a.site), missing: dropped, noise };
    }
  }

  async alleleFrequency(req: AlleleFrequencyRequest, signal?: AbortSignal): Promise<AlleleFrequencyAnswer> {
    this.ensureOpen();
    const minSites = this.minSites(req);
    if ((req.region === undefined) === (req.variants === undefined)) {
      throw new CoordinatorError('GENOFED_QUERY_INVALID', 'region, variants: give exactly one');
    }
    const correlationId = randomUUID();
    const t0 = performance.now();
    let clients = this.o.clients;
    let variants: VariantKey[];
    const missing: { site: string; reason: string }[] = [];
    if (req.region !== undefined) {
      const region = parseRegion(req.region);
      const env = this.envelope(correlationId, clients.map((c) => c.site), req.querier, { kind: 'variant-keys', region: req.region });
      const signed = signEnvelope(env, this.o.signingKey);
      const phase1 = await this.fanOut(clients, minSites, (c, s) => c.listVariants(signed, this.o.deadlines.queryMs, s), signal);
      missing.push(...phase1.missing);
      clients = clients.filter((c) => phase1.ok.some((a) => a.site === c.site));
      variants = unionOfKeys(phase1.ok.map((a) => a.value), region.chrom);
    } else {
      variants = dedupeKeys(req.variants!.map((v) => ({ chrom: v.chrom, pos: v.pos, ref: v.ref, alt: v.alt })));
    }
    if (variants.length === 0) {
      this.o.logger.info({ correlationId, kind: 'allele-frequency', variants: 0, sites: clients.length }, 'query answered (no variants)');
      return { queryId: correlationId, rows: [], sites: this.sitesOutcome(clients.map((c) => c.site), missing), disclosure: applyAlleleFrequencyPolicy([], this.policy).disclosure, noise: null };
    }
    const agg = await this.aggregate(correlationId, clients, minSites, req.querier, {
      kind: 'allele-counts', cohort: req.cohort ?? '', variantCount: variants.length, variantsSha256: variantListDigest(variants), strata: [], region: req.region ?? '',
    }, variants, signal);
    missing.push(...agg.missing);
    const counts = unpackAlleleCounts(agg.totals, variants.length);
    const raw = variants.map((v, i) => {
      const c = counts[i]!;
      return { chrom: v.chrom, pos: v.pos, ref: v.ref, alt: v.alt, ac: c.ac, an: c.an, af: c.an > 0 ? c.ac / c.an : null, nhomalt: c.nhomalt };
    });
    // Disclosure control on the network totals (after any noise: post-processing).
    const released = applyAlleleFrequencyPolicy(raw, this.policy);
    const rows: AlleleFrequencyRow[] = released.rows;
    this.o.logger.info({ correlationId, kind: 'allele-frequency', querier: req.querier, variants: variants.length, responding: agg.responding.length, missing: missing.length, withheldRows: released.disclosure.rowsAffected, ms: Math.round(performance.now() - t0) }, 'query answered');
    return { queryId: correlationId, rows, sites: this.sitesOutcome(agg.responding, missing), disclosure: released.disclosure, noise: agg.noise };
  }

  async cohortCount(req: CohortCountRequest, signal?: AbortSignal): Promise<CohortCountAnswer> {
    this.ensureOpen();
    const minSites = this.minSites(req);
    const correlationId = randomUUID();
    const t0 = performance.now();
    const carriers = dedupeKeys((req.carriersOf ?? []).map((v) => ({ chrom: v.chrom, pos: v.pos, ref: v.ref, alt: v.alt })));
    const agg = await this.aggregate(correlationId, this.o.clients, minSites, req.querier, {
      kind: 'cohort-count', cohort: req.cohort, carrierCount: carriers.length, carriersSha256: carriers.length ? variantListDigest(carriers) : new Uint8Array(),
    }, carriers, signal);
    const released = applyCohortThreshold(agg.totals[0]!, this.policy);
    this.o.logger.info({ correlationId, kind: 'cohort-count', querier: req.querier, responding: agg.responding.length, missing: agg.missing.length, withheld: released.disclosure.rowsAffected, ms: Math.round(performance.now() - t0) }, 'query answered');
    return { queryId: correlationId, count: released.count, sites: this.sitesOutcome(agg.responding, agg.missing), disclosure: released.disclosure, noise: agg.noise };
  }

  async status(): Promise<readonly SiteStatus[]> {
    this.ensureOpen();
    return Promise.all(this.o.clients.map(async (c): Promise<SiteStatus> => {
      try {
        const healthy = await c.health(this.o.deadlines.infoMs);
        if (!healthy) return { site: c.site, healthy, detail: 'not serving' };
        // A node that would answer under other parameters or protocol is not usable, though alive.
        const info = await c.info(this.o.deadlines.infoMs);
        if (info.protocolVersion !== PROTOCOL_VERSION) return { site: c.site, healthy: false, detail: `protocol version ${info.protocolVersion}, coordinator speaks ${PROTOCOL_VERSION}` };
        if (info.cryptoFingerprint !== this.o.crypto.fingerprint) return { site: c.site, healthy: false, detail: 'BFV parameters differ from the coordinator\'s' };
        return { site: c.site, healthy: true };
      } catch (err) {
        return { site: c.site, healthy: false, detail: (err as Error).message.replace(/^site \S+: /, '') };
      }
    }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.o.clients) c.close();
  }

  private ensureOpen(): void {
    if (this.closed) throw new CoordinatorError('GENOFED_INTERNAL', 'federation engine is closed');
  }
}

function compareKeys(a: VariantKey, b: VariantKey): number {
  return a.pos - b.pos || (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0) || (a.alt < b.alt ? -1 : a.alt > b.alt ? 1 : 0);
}

/**
 * Sorted union of the sites' keys in one region (one contig). Sites may
 * spell the contig `chr22` or `22`: keys are matched alias-normalized and
 * reported with the region's spelling.
 */
export function unionOfKeys(perSite: readonly (readonly VariantKey[])[], chrom: string): VariantKey[] {
  const seen = new Map<string, VariantKey>();
  const want = normalizeContig(chrom);
  for (const keys of perSite) {
    for (const k of keys) {
      if (normalizeContig(k.chrom) !== want) continue;
      const m = variantMatchKey(k);
      if (!seen.has(m)) seen.set(m, { chrom, pos: k.pos, ref: k.ref, alt: k.alt });
    }
  }
  return [...seen.values()].sort(compareKeys);
}

/** A requested list keeps its order; repeated keys (alias-aware) are asked once. */
export function dedupeKeys(keys: readonly VariantKey[]): VariantKey[] {
  const seen = new Set<string>();
  const out: VariantKey[] = [];
  for (const k of keys) {
    const m = variantMatchKey(k);
    if (!seen.has(m)) { seen.add(m); out.push(k); }
  }
  return out;
}

/**
 * Every site must report the same noise scale (it is signed into the query
 * as epsilon, so a difference means a node with another policy): refuse
 * the answer rather than release totals of unknown noise.
 */
function agreedNoise(perSite: readonly { site: string; mu: number }[]): NoiseScale | null {
  const mus = new Set(perSite.map((p) => p.mu));
  if (mus.size > 1) {
    throw new CoordinatorError('GENOFED_SITE_FAILED', `sites report different noise scales (${perSite.map((p) => `${p.site}: ${p.mu}`).join(', ')}); nothing released`);
  }
  const mu = perSite[0]?.mu ?? 0;
  return mu > 0 ? { mu, sd: Math.sqrt(2 * mu) } : null;
}
