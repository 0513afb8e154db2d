/**
 * The federation engine (implements `types.ts`): slot alignment, fan-out
 * with a deadline per site, the size-round relay, validation of every
 * answer, homomorphic sum, and decryption of the network total only.
 *
 * The participant set is the roster, always: every member is asked every
 * query, and a site that fails, refuses or times out fails the query,
 * naming it (retry later). Nothing is ever rerun over a subset: two totals
 * over two sets give a site's counts away, and the nodes refuse any set
 * but their roster anyway (THREAT-MODEL.md, "No subsets").
 *
 * Region queries run two phases (THREAT-MODEL.md, "Slot alignment"):
 * phase 1 collects each site's variant keys in the region and forms their
 * sorted union; phase 2 sends that union (signed digest + streamed list)
 * so slot i means the same variant at every site. Variant-list queries
 * skip phase 1. In phase 2 every node first sends a signed size commitment;
 * the engine relays all of them to every node (it can read none: the
 * nodes check network cohort sizes and envelope consistency themselves),
 * then receives each node's signed header and ciphertexts. Decrypted
 * totals are checked against the sites' declared sample counts and pass
 * disclosure control (coordinator/disclosure) before anything is returned.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { compileCohort } from '../../proto/cohort/index.js';
import { signEnvelope } from '../../proto/convert/envelope.js';
import type { SignedCommitment } from '../../proto/convert/size-commitment.js';
import { schemaColumns, type PhenotypeSchema } from '../../proto/phenotype-schema.js';
import { noiseMuFor, type QueryKindSpec } from '../../proto/kinds/kind.js';
import { fieldsPerSlot, packedLayout, PROTOCOL_VERSION, unpackFields, type QueryEnvelope, type QueryParams, type SlotLayout } from '../../proto/query.js';
import { parseRegions, type Region } from '../../proto/region.js';
import { unionOfPackedKeys } from './key-union.js';
import { compareVariantKeys, variantMatchKey, type KeyList, type VariantKey, type VariantListItem } from '../../proto/variant.js';
import { DEFAULT_DISCLOSURE_POLICY, type DisclosurePolicy } from '../disclosure/index.js';
import { CoordinatorError } from '../errors.js';
import type { CoordinatorKind, KindContext, PieceWriter, StreamingKind } from '../kinds/kind.js';
import type { NodeClient, SiteAnswer } from './node-client.js';
import type { AnswerHeader } from '../../proto/convert/variants.js';
import type { DisclosureSummary, NoiseScale, QueryOutcome, RowSink, SiteOutcome, SiteStatus } from './types.js';

/** What the engine needs from crypto/: bound check, sum, decrypt. */
export interface TotalCrypto {
  readonly fingerprint: string;
  readonly slotCount: number;
  readonly plainModulus: bigint;
  /** Throws when bound x parties could reach the plain modulus. */
  checkSumBound(bound: number, parties: number): void;
  /**
   * A sum the sites' ciphertexts are added into as they arrive (`chunks`:
   * the most an answer may hold; a packed answer fills the first ones); a chunk
   * every one of `sites` has sent is reduced to one ciphertext and its
   * running sums freed, so the coordinator never holds every site's answer.
   */
  runningSum(sites: number, chunks: number, onComplete?: (chunkIndex: number) => void): RunningSum;
}

export interface RunningSum {
  /**
   * One site's ciphertext of chunk `chunkIndex` (throws on a malformed one:
   * that site fails). When it completes the chunk (every site has sent it),
   * `onComplete(chunkIndex)` is called before add returns.
   */
  add(chunkIndex: number, ciphertext: Uint8Array): void;
  /**
   * One complete chunk's `valueCount` decrypted totals (noise-budget
   * checked), its sum then freed: for answers released as chunks complete.
   * A chunk taken here is not in totals().
   */
  chunkTotals(chunkIndex: number, valueCount: number, signed: boolean): Float64Array;
  /**
   * The `valueCount` decrypted totals once every chunk is complete; throws
   * when a chunk failed decryption or its noise-budget check. `signed`:
   * read totals mod t centered (values above t/2 are negative), for
   * DP-noisy totals.
   */
  totals(valueCount: number, signed: boolean): Float64Array;
  dispose(): void;
}

/** Minimal structured logger (pino-compatible). */
export interface EngineLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** The roster as the engine uses it: who is asked, under which fingerprint, over which schema. */
export interface EngineRoster {
  readonly fingerprint: string;
  /** Sorted site ids: every query's participant set. */
  readonly siteIds: readonly string[];
  readonly schema: PhenotypeSchema;
}

export interface EngineOptions {
  readonly coordinatorId: string;
  readonly roster: EngineRoster;
  /** One client per roster member. */
  readonly clients: readonly NodeClient[];
  readonly signingKey: KeyObject;
  readonly crypto: TotalCrypto;
  readonly deadlines: { readonly infoMs: number; readonly queryMs: number };
  readonly queryLifetimeSeconds: number;
  readonly logger: EngineLogger;
  /** Disclosure control on network totals; default k = 5, small counts suppressed. */
  readonly disclosure?: DisclosurePolicy;
  /** Epsilon each node spends per query (signed into the envelope); 0 or unset = DP off. Must match the nodes' policy. */
  readonly dpEpsilon?: number;
  /** Benchmark only: counts travel without BFV (still masked). Not reachable from config or REST. */
  readonly measurementPlaintext?: boolean;
  /** Called with each site's answer size (the bench's bytes_per_site). */
  readonly onSiteAnswer?: (site: string, bytes: number) => void;
}

/**
 * Collects the size commitments of one query and hands every site the
 * complete set once all have arrived (in roster order). Aborting rejects
 * every waiter: a site that failed before committing fails the query.
 */
class CommitmentBarrier {
  private readonly got = new Map<string, SignedCommitment>();
  private readonly waiters: { resolve: (all: SignedCommitment[]) => void; reject: (e: unknown) => void }[] = [];

  private readonly timer: NodeJS.Timeout;

  /**
   * `ms`: how long to wait for every commitment. A site that never commits
   * would otherwise leave every other site waiting for the relay until the
   * query deadline, and the error would name whichever call timed out
   * first; this names the sites that did not commit.
   */
  constructor(private readonly order: readonly string[], signal: AbortSignal, ms: number) {
    const rejectAll = (e: CoordinatorError): void => {
      for (const w of this.waiters.splice(0)) w.reject(e);
    };
    signal.addEventListener('abort', () => {
      clearTimeout(this.timer);
      rejectAll(new CoordinatorError('GENOFED_SITE_FAILED', 'size round aborted: another site failed'));
    }, { once: true });
    this.timer = setTimeout(() => {
      const silent = this.order.filter((s) => !this.got.has(s));
      rejectAll(new CoordinatorError('GENOFED_SITE_FAILED', `site ${silent.join(', ')}: sent no size commitment within ${Math.round(ms / 1000)} s (deadline exceeded)`));
    }, ms);
    this.timer.unref();
  }

  offer(site: string, c: SignedCommitment): Promise<SignedCommitment[]> {
    return new Promise((resolve, reject) => {
      if (this.got.has(site)) return reject(new CoordinatorError('GENOFED_SITE_FAILED', `site ${site}: sent two size commitments`));
      this.got.set(site, c);
      this.waiters.push({ resolve, reject });
      if (this.got.size === this.order.length) {
        clearTimeout(this.timer);
        const all = this.order.map((s) => this.got.get(s)!);
        for (const w of this.waiters.splice(0)) w.resolve(all);
      }
    });
  }
}

/** Packed slot totals back into values; a slot total that is not a sum of fields means a site off protocol. */
function unpackTotals(slots: Float64Array, bits: number, valueCount: number): Float64Array {
  try {
    return unpackFields(slots, bits, valueCount);
  } catch (cause) {
    throw new CoordinatorError('GENOFED_TOTALS_OUT_OF_BOUNDS', 'a packed network total is not a sum of fields (a site sent values beyond its bound); nothing (more) released', { cause });
  }
}

/** Value groups per released piece in the plaintext measurement mode (the encrypted path releases a ciphertext's worth at a time). */
const PLAINTEXT_PIECE_GROUPS = 4096;

/** A query checked and its list formed (FederationEngine.prepare). */
type Prepared = {
  readonly ctx: KindContext;
  readonly correlationId: string;
  readonly t0: number;
  readonly list: KeyList;
  readonly params: QueryParams;
  readonly unresolved?: string[];
} & ({ readonly empty: true; readonly outcome: QueryOutcome } | { readonly empty: false });

/** What every site's checked header says of the answer, before any total. */
interface Verdict {
  readonly responding: string[];
  readonly noise: NoiseScale | null;
  /** DP on: the least epsilon the querier has left at any site after this query (null with DP off). */
  readonly remainingEpsilon: number | null;
  /** Totals are read centered (mod t, values above t/2 negative): noise rides in the slots. */
  readonly centered: boolean;
  /** Populations every site withheld (network size 1..k-1, verified by the nodes). */
  readonly withheld: ReadonlySet<number>;
  /** The sites' declared genotyped samples, summed (the bounds check). */
  readonly samples: number;
  /** Bits per value of a packed answer (every site the same), 0 when unpacked (proto/query.ts packedLayout). */
  readonly packBits: number;
}

/** Where totals go when an answer is released as the sites' chunks complete. */
interface Release {
  /** Every site's header passed the checks: nothing was released before. */
  start(v: Verdict): void;
  /** Totals of whole value groups (layout counters each), slot order, from group `firstGroup`; checked possible. */
  values(values: Float64Array, firstGroup: number): void;
}

/** Totals honest sites cannot produce (a site added to its counts): nothing (more) released. */
function checkPossible(spec: QueryKindSpec, params: QueryParams, totals: Float64Array, v: Verdict): void {
  const why = spec.impossible(params, totals, v.samples, v.noise ? 10 * v.noise.sd : 0);
  if (why) throw new CoordinatorError('GENOFED_TOTALS_OUT_OF_BOUNDS', `network totals are impossible for the sites' declared ${v.samples} genotyped samples (${why}); a site added to its counts; nothing (more) released`);
}

/**
 * Chunks decrypted as they complete, handed on in whole value groups (a
 * group may straddle two ciphertexts: its first values wait for the next
 * chunk). Chunk i completes when the slowest site sends it, and every site
 * sends in index order, so chunks complete in order.
 */
class ChunkRelease {
  private next = 0;
  private group = 0;
  private carry = new Float64Array(0);
  private readonly width: number;

  constructor(
    private readonly spec: QueryKindSpec,
    private readonly params: QueryParams,
    private readonly layout: SlotLayout,
    private readonly slotCount: number,
    private readonly verdict: () => Verdict,
    private readonly release: Release,
  ) {
    this.width = Math.max(1, layout.counters.length);
  }

  complete(chunkIndex: number, running: RunningSum): void {
    if (chunkIndex !== this.next) throw new CoordinatorError('GENOFED_INTERNAL', `chunk ${chunkIndex} completed before chunk ${this.next}`);
    this.next += 1;
    const v = this.verdict();
    const packed = packedLayout(this.layout, v.packBits, this.slotCount);
    const slots = Math.min(this.slotCount, packed.slots - chunkIndex * this.slotCount);
    let values: Float64Array;
    try {
      values = running.chunkTotals(chunkIndex, slots, v.centered);
    } catch (cause) {
      throw new CoordinatorError('GENOFED_DECRYPT_FAILED', 'network total failed decryption or its noise-budget check; nothing (more) released', { cause });
    }
    if (v.packBits > 0) values = unpackTotals(values, v.packBits, this.layout.valueCount - chunkIndex * this.slotCount * fieldsPerSlot(v.packBits));
    if (this.carry.length > 0) {
      const joined = new Float64Array(this.carry.length + values.length);
      joined.set(this.carry);
      joined.set(values, this.carry.length);
      values = joined;
    }
    const whole = values.length - (values.length % this.width);
    this.carry = values.slice(whole);
    if (whole === 0) return;
    const out = values.subarray(0, whole);
    checkPossible(this.spec, this.params, out, v);
    this.release.values(out, this.group);
    this.group += whole / this.width;
  }

  /** After every site answered: every chunk was released, nothing is left over. */
  finish(): void {
    const chunks = packedLayout(this.layout, this.verdict().packBits, this.slotCount).ciphertextCount;
    if (this.next !== chunks || this.carry.length !== 0) {
      throw new CoordinatorError('GENOFED_INTERNAL', `${this.next} of ${chunks} chunks released`);
    }
  }
}

/** How long the sites' declared assemblies are trusted before they are asked again. */
const ASSEMBLY_TTL_MS = 60_000;

export class FederationEngine {
  private closed = false;
  private assemblies: { at: number; ok: Promise<void> } | undefined;

  constructor(private readonly o: EngineOptions) {
    const ids = o.clients.map((c) => c.site).sort();
    if (ids.length === 0) throw new CoordinatorError('GENOFED_CONFIG', 'sites: at least one site is required');
    if (ids.length !== o.roster.siteIds.length || ids.some((s, i) => s !== o.roster.siteIds[i])) {
      throw new CoordinatorError('GENOFED_CONFIG', 'sites: must list exactly the roster\'s members (nodes answer only under their whole roster)');
    }
  }

  phenotypeSchema(): PhenotypeSchema {
    return this.o.roster.schema;
  }

  /** The epsilon each node spends per query (0: DP off), as signed into every envelope. */
  get dpEpsilon(): number {
    return this.o.dpEpsilon ?? 0;
  }

  private get policy(): DisclosurePolicy {
    return this.o.disclosure ?? DEFAULT_DISCLOSURE_POLICY;
  }

  private envelope(correlationId: string, querier: string, params: QueryParams): QueryEnvelope {
    const now = Date.now();
    return {
      version: PROTOCOL_VERSION,
      queryId: randomUUID(),
      correlationId,
      coordinatorId: this.o.coordinatorId,
      participants: [...this.o.roster.siteIds],
      rosterFingerprint: this.o.roster.fingerprint,
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

  /** Check a cohort expression against the roster's schema before any site is asked (400 naming the column or value). */
  private checkCohort(cohort: string | undefined): void {
    if (cohort !== undefined && cohort.trim() !== '') compileCohort(cohort, schemaColumns(this.o.roster.schema));
  }

  /** Run `fn` at every roster member; the first failure fails the query naming the site, and the others are cancelled. */
  private async fanOut<T>(fn: (c: NodeClient, signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<{ site: string; value: T }[]> {
    const ctl = new AbortController();
    const onOuter = (): void => ctl.abort();
    outer?.addEventListener('abort', onOuter, { once: true });
    // The site that failed first, recorded before the others are aborted, so
    // the error names it rather than a sibling whose call we cancelled.
    let firstError: CoordinatorError | undefined;
    try {
      const settled = await Promise.all(this.o.clients.map(async (c) => {
        try {
          return { site: c.site, value: await fn(c, ctl.signal) };
        } catch (err) {
          const e = err instanceof CoordinatorError ? err : new CoordinatorError('GENOFED_SITE_FAILED', `site ${c.site}: failed`, { cause: err });
          if (!ctl.signal.aborted) {
            firstError ??= e;
            const cause = (e.cause as { message?: unknown } | undefined)?.message;
            this.o.logger.warn({ site: c.site, code: e.code, reason: e.message, cause: typeof cause === 'string' ? cause.slice(0, 200) : undefined }, 'site failed');
          }
          ctl.abort();
          return undefined;
        }
      }));
      outer?.throwIfAborted();
      if (firstError || settled.some((s) => s === undefined)) throw firstError ?? new CoordinatorError('GENOFED_SITE_FAILED', 'a site failed');
      return settled as { site: string; value: T }[];
    } finally {
      outer?.removeEventListener('abort', onOuter);
    }
  }

  private sitesOutcome(responding: readonly string[]): SiteOutcome {
    return { responding: [...responding].sort(), missing: [] };
  }

  /**
   * Phase 2 at every roster member: sign, stream, relay the size round,
   * validate, check bounds, sum, decrypt. With `release`, totals are
   * decrypted chunk by chunk as every site has sent the chunk (chunks
   * complete in order: each site sends in index order) and handed over in
   * whole value groups once the sites' headers passed every check; without
   * it, all totals are decrypted after the last site.
   */
  private async aggregate(correlationId: string, querier: string, spec: QueryKindSpec, params: QueryParams, variants: KeyList, signal?: AbortSignal, release?: Release): Promise<Verdict & { totals?: Float64Array; layout: SlotLayout }> {
    const layout = spec.layout(params, this.o.crypto.slotCount, this.o.roster.schema);
    const plaintext = this.o.measurementPlaintext === true;
    // The nodes may pack values (protocol 7) for a kind with a field bound and no DP noise; they choose the width.
    const packing = spec.fieldBound && !((this.o.dpEpsilon ?? 0) > 0) ? { slotCount: this.o.crypto.slotCount } : undefined;
    const env = this.envelope(correlationId, querier, params);
    const signed = signEnvelope(env, this.o.signingKey);
    const round = new AbortController();
    const qms = this.o.deadlines.queryMs;
    const barrier = new CommitmentBarrier(this.o.roster.siteIds, round.signal, qms - Math.min(1000, qms / 10));
    const onOuter = (): void => round.abort();
    signal?.addEventListener('abort', onOuter, { once: true });
    let answers: { site: string; value: SiteAnswer }[];
    // Streaming: every site's header is checked as soon as the last one arrives, before any chunk completes.
    const headers = new Map<string, AnswerHeader>();
    let verdict: Verdict | undefined;
    const onHeader = (site: string, h: AnswerHeader): void => {
      headers.set(site, h);
      if (headers.size < this.o.clients.length) return;
      verdict = this.checkHeaders(spec, params, layout, [...headers].map(([s, header]) => ({ site: s, header })), plaintext);
      release!.start(verdict);
    };
    const chunks = release && !plaintext ? new ChunkRelease(spec, params, layout, this.o.crypto.slotCount, () => verdict!, release) : undefined;
    // Ciphertexts are summed as they arrive (chunk by chunk across sites); nothing is released before every check of the headers.
    const running = plaintext ? undefined : this.o.crypto.runningSum(this.o.clients.length, layout.ciphertextCount, chunks && ((i) => chunks.complete(i, running!)));
    try {
      answers = await this.fanOut((c, s) => {
        s.addEventListener('abort', () => round.abort(), { once: true });
        return c.aggregate(signed, variants, {
          queryId: env.queryId, fingerprint: this.o.crypto.fingerprint, rosterFingerprint: this.o.roster.fingerprint, layout, plaintext,
          ...(packing ? { packing } : {}),
          ...(running ? { onCiphertext: (i: number, data: Uint8Array) => running.add(i, data) } : {}),
          ...(chunks ? { onHeader: (h: AnswerHeader) => onHeader(c.site, h) } : {}),
        }, this.o.deadlines.queryMs, s, (commitment) => barrier.offer(c.site, commitment));
      }, signal);
    } catch (err) {
      running?.dispose();
      throw err;
    } finally {
      signal?.removeEventListener('abort', onOuter);
    }
    try {
      for (const a of answers) this.o.onSiteAnswer?.(a.site, a.value.bytes);
      if (chunks) {
        chunks.finish();
        return { ...verdict!, layout };
      }
      const v = this.checkHeaders(spec, params, layout, answers.map((a) => ({ site: a.site, header: a.value.header })), plaintext);
      const totals = this.checkedTotals(spec, params, layout, answers, running, v);
      if (release) {
        release.start(v);
        // The measurement mode's totals (not decrypted chunk by chunk): released in pieces too, so its
        // rows are made and dropped piece by piece like the encrypted path's (one piece of 10M rows held ~3 GB).
        const width = Math.max(1, layout.counters.length);
        const step = width * PLAINTEXT_PIECE_GROUPS;
        if (totals.length === 0) release.values(totals, 0);
        for (let off = 0; off < totals.length; off += step) release.values(totals.subarray(off, Math.min(totals.length, off + step)), off / width);
      }
      return { ...v, totals, layout };
    } finally {
      running?.dispose();
    }
  }

  /**
   * Every check on the sites' signed headers, before any total is
   * decrypted: one noise scale, the one the signed epsilon and the kind's
   * sensitivity give, one withheld set, masks on, DP as configured, and
   * (encrypted) no overflow of the plain modulus.
   */
  private checkHeaders(spec: QueryKindSpec, params: QueryParams, layout: SlotLayout, headers: readonly { site: string; header: AnswerHeader }[], plaintext: boolean): Verdict {
    const noise = agreedNoise(headers.map((a) => ({ site: a.site, mu: a.header.noiseMu ?? 0 })));
    const epsilon = this.o.dpEpsilon ?? 0;
    if (noise && epsilon > 0) {
      // Every node computes mu from the same signed inputs: a site reporting another mu added other noise (or none where it says some).
      const expected = noiseMuFor(spec, params, layout, this.o.roster.schema, epsilon);
      if (noise.mu !== expected) throw new CoordinatorError('GENOFED_SITE_FAILED', `sites report noise mu ${noise.mu}, but epsilon ${epsilon} and the ${spec.kind} sensitivity give ${expected}; nothing released`);
    }
    // Noise in the kind's own sums (the expression kinds' limbs) is not in the slots: the slot bound and reading are those of exact values.
    const slotNoise = noise !== null && spec.dpNoise !== 'sums';
    // Masks are not optional: an unmasked answer means a node that does not follow the protocol.
    // Every node computed the same network sizes, so every node withholds the same populations; a difference is a node off protocol.
    const withheldSets = new Set(headers.map((a) => JSON.stringify([...(a.header.withheld ?? [])].sort((x, y) => x - y))));
    if (withheldSets.size > 1) throw new CoordinatorError('GENOFED_SITE_FAILED', 'sites disagree on which populations are withheld; nothing released');
    const withheld = new Set<number>(JSON.parse([...withheldSets][0] ?? '[]') as number[]);
    const unmasked = headers.filter((a) => a.header.masked !== true).map((a) => a.site);
    if (unmasked.length > 0) throw new CoordinatorError('GENOFED_SITE_FAILED', `site ${unmasked.join(', ')}: answered without secure-aggregation masks; nothing released`);
    // A consortium that asked for DP must not get exact totals from nodes that added none.
    if ((this.o.dpEpsilon ?? 0) > 0 && noise === null) {
      throw new CoordinatorError('GENOFED_SITE_FAILED', 'DP is on in the coordinator config (privacy.dpEpsilon) but the sites added no noise; nothing released (node and coordinator policies differ)');
    }
    // Packed answers: one width at every site, no noise, each site's largest value below 2^bits, and the
    // packed total below 2^PACKED_SLOT_BITS < t (no wrap). That no field's network total carries into the
    // next is the nodes' check on the verified network sizes (node/server/packing.ts); a carry from a site
    // off protocol is a function of the totals (it reveals no site's share) and is refused when a slot
    // total is out of range or a total impossible.
    const widths = new Set(headers.map((a) => a.header.packBits ?? 0));
    if (widths.size > 1) throw new CoordinatorError('GENOFED_SITE_FAILED', 'sites packed their answers differently; nothing released');
    const packBits = [...widths][0] ?? 0;
    const n = headers.length;
    if (packBits > 0) {
      if (noise) throw new CoordinatorError('GENOFED_SITE_FAILED', 'sites packed a noisy answer (noise would borrow across fields); nothing released');
      const over = headers.filter((a) => a.header.boundPerValue >= 2 ** packBits).map((a) => a.site);
      if (over.length > 0) throw new CoordinatorError('GENOFED_SITE_FAILED', `site ${over.join(', ')}: a value at or above 2^${packBits} in a packed answer; nothing released`);
      if (!plaintext) {
        this.o.crypto.checkSumBound(1, n);
        this.o.crypto.checkSumBound(2 ** (fieldsPerSlot(packBits) * packBits) - 1, 1);
      }
    } else if (!plaintext) {
      // Overflow guard over the network: the largest per-site bound times the
      // number of summands; with noise, totals are read centered, so they and
      // 20 sd of noise must stay below t/2.
      const bound = Math.max(...headers.map((a) => a.header.boundPerValue));
      this.o.crypto.checkSumBound(slotNoise ? 2 * bound + Math.ceil((40 * noise.sd) / n) : bound, n);
    }
    // The network answers only while every site has budget: the smallest remainder is the querier's.
    const remainingEpsilon = noise === null ? null : Math.min(...headers.map((a) => a.header.dpRemainingEpsilon ?? 0));
    return { responding: headers.map((a) => a.site), noise, remainingEpsilon, centered: slotNoise, withheld, samples: headers.reduce((s, a) => s + a.header.samples, 0), packBits };
  }

  /** The totals of every chunk (decrypted, or the plaintext measurement mode's sums), checked possible. */
  private checkedTotals(spec: QueryKindSpec, params: QueryParams, layout: SlotLayout, answers: { site: string; value: SiteAnswer }[], running: RunningSum | undefined, v: Verdict): Float64Array {
    let totals: Float64Array;
    const t = Number(this.o.crypto.plainModulus);
    const slots = packedLayout(layout, v.packBits, this.o.crypto.slotCount).slots;
    if (running === undefined) {
      totals = new Float64Array(slots);
      for (const a of answers) {
        const p = a.value.plain!;
        for (let i = 0; i < p.length; i++) totals[i] = (totals[i]! + p[i]!) % t;
      }
      if (v.centered) for (let i = 0; i < totals.length; i++) if (totals[i]! > t / 2) totals[i] = totals[i]! - t;
    } else {
      try {
        totals = running.totals(slots, v.centered);
      } catch (cause) {
        throw new CoordinatorError('GENOFED_DECRYPT_FAILED', 'network total failed decryption or its noise-budget check; nothing released', { cause });
      }
    }
    if (v.packBits > 0) totals = unpackTotals(totals, v.packBits, layout.valueCount);
    checkPossible(spec, params, totals, v);
    return totals;
  }

  /**
   * A name-listing kind (expression-genes): every site's names as sent
   * (no counts; revealed to the coordinator, like phase 1's keys).
   */
  async listNames(querier: string, params: QueryParams, signal?: AbortSignal): Promise<{ site: string; names: string[] }[]> {
    this.ensureOpen();
    await this.sameAssembly(signal);
    const signed = signEnvelope(this.envelope(randomUUID(), querier, params), this.o.signingKey);
    const per = await this.fanOut((c, s) => c.listNames(signed, this.o.deadlines.queryMs, s), signal);
    return per.map((a) => ({ site: a.site, names: a.value }));
  }

  /**
   * Run one query of any kind: check the request against the roster's
   * schema before any site is asked; phase 1 when the kind plans a region;
   * the aggregate round (size round, signed headers, sum, decryption,
   * bounds); the kind's answer with disclosure control.
   */
  async run<Req extends { readonly querier: string }, Body extends { readonly disclosure: DisclosureSummary }>(kind: CoordinatorKind<Req, Body>, req: Req, signal?: AbortSignal): Promise<Body & QueryOutcome> {
    const q = await this.prepare(kind, req, signal);
    if (q.empty) return { ...kind.empty(req, q.ctx), ...q.outcome };
    const agg = await this.aggregate(q.correlationId, req.querier, kind.spec, q.params, q.list, signal);
    const body = kind.answer(agg.totals!, { req, params: q.params, list: q.list, ctx: q.ctx, noise: agg.noise, withheld: agg.withheld });
    this.answered(kind.spec.kind, req.querier, q, agg.responding.length, agg.layout.populations, body.disclosure.rowsAffected);
    return { ...body, queryId: q.correlationId, sites: this.sitesOutcome(agg.responding), noise: agg.noise, remainingEpsilon: agg.remainingEpsilon, ...(q.unresolved?.length ? { unresolved: q.unresolved } : {}) };
  }

  /**
   * Run a query whose answer is one row per value group (a StreamingKind)
   * and release its rows as the sites' chunks complete, not after the last
   * one: `sink.start` once every site's signed header passed the checks
   * (nothing is released before), `sink.rows` per piece in answer order,
   * each piece checked possible before it leaves; resolves with the rest of
   * the answer (disclosure note of every piece, anything that needs all
   * rows). A failure after rows were released rejects: the answer is
   * incomplete and the front end must say so (the rows released were
   * network totals that passed every check).
   */
  async stream<Req extends { readonly querier: string }, Row, Rest extends { readonly disclosure: DisclosureSummary }>(
    kind: StreamingKind<Req, Row, Rest>, req: Req, sink: RowSink<Row>, signal?: AbortSignal,
  ): Promise<Rest & QueryOutcome> {
    const q = await this.prepare(kind, req, signal);
    if (q.empty) {
      const { rows, ...rest } = kind.empty(req, q.ctx);
      sink.start({ queryId: q.outcome.queryId, sites: q.outcome.sites, noise: null, remainingEpsilon: null });
      if (rows.length > 0) sink.rows(rows);
      return { ...(rest as unknown as Rest), ...q.outcome };
    }
    let writer: PieceWriter<Row, Rest> | undefined;
    const agg = await this.aggregate(q.correlationId, req.querier, kind.spec, q.params, q.list, signal, {
      start: (v) => {
        writer = kind.begin({ req, params: q.params, list: q.list, ctx: q.ctx, noise: v.noise, withheld: v.withheld });
        sink.start({ queryId: q.correlationId, sites: this.sitesOutcome(v.responding), noise: v.noise, remainingEpsilon: v.remainingEpsilon });
      },
      values: (values, firstGroup) => {
        const rows = writer!.rows(values, firstGroup);
        if (rows.length > 0) sink.rows(rows);
      },
    });
    const rest = writer!.end();
    this.answered(kind.spec.kind, req.querier, q, agg.responding.length, agg.layout.populations, rest.disclosure.rowsAffected);
    return { ...rest, queryId: q.correlationId, sites: this.sitesOutcome(agg.responding), noise: agg.noise, remainingEpsilon: agg.remainingEpsilon, ...(q.unresolved?.length ? { unresolved: q.unresolved } : {}) };
  }

  private answered(kind: string, querier: string, q: Prepared, responding: number, populations: number, withheldRows: number): void {
    this.o.logger.info({ correlationId: q.correlationId, kind, querier, variants: q.list.length, populations, responding, withheldRows, ms: Math.round(performance.now() - q.t0) }, 'query answered');
  }

  /**
   * Everything before the aggregate round: the request checked against the
   * roster's schema before any site is asked (a researcher's mistakes are
   * refused here), the sites' assemblies, rs ids resolved, phase 1 when
   * the kind plans a region. `empty`: no variant at any site (no round).
   */
  private async prepare<Req extends { readonly querier: string }>(kind: CoordinatorKind<Req, { readonly disclosure: DisclosureSummary }>, req: Req, signal?: AbortSignal): Promise<Prepared> {
    this.ensureOpen();
    const ctx: KindContext = { schema: this.o.roster.schema, policy: this.policy };
    const plan = kind.plan(req, ctx);
    const draft = kind.params(req, plan.variants ?? [], ctx);
    for (const cohort of kind.spec.cohorts(draft)) this.checkCohort(cohort);
    kind.spec.populations(draft, this.o.roster.schema);
    await this.sameAssembly(signal);
    const correlationId = randomUUID();
    const t0 = performance.now();
    const none = (unresolved?: string[]): Prepared => {
      this.o.logger.info({ correlationId, kind: kind.spec.kind, variants: 0, sites: this.o.clients.length }, 'query answered (no variants)');
      return {
        empty: true, ctx, correlationId, t0, list: [], params: draft,
        outcome: { queryId: correlationId, sites: this.sitesOutcome(this.o.clients.map((c) => c.site)), noise: null, remainingEpsilon: null, ...(unresolved ? { unresolved } : {}) },
      };
    };
    let list: KeyList = plan.variants ?? [];
    let unresolved: string[] | undefined;
    if (plan.lookup !== undefined) {
      // rs ids: every site lists the keys its records carry for them (no counts), then the list is asked as keys.
      const rsIds = [...new Set(plan.lookup.flatMap((x) => (x.kind === 'rsid' ? [x.rsId] : [])))];
      const env = this.envelope(correlationId, req.querier, { kind: 'rsid-keys', rsIds });
      const signed = signEnvelope(env, this.o.signingKey);
      const found = await this.fanOut((c, s) => c.listVariants(signed, this.o.deadlines.queryMs, s), signal);
      const resolved = resolveItems(plan.lookup, found.map((a) => a.value));
      list = resolved.list;
      unresolved = resolved.unresolved;
      if (list.length === 0) return none(unresolved);
    }
    if (plan.region !== undefined) {
      const regions = parseRegions(plan.region);
      const env = this.envelope(correlationId, req.querier, { kind: 'variant-keys', region: plan.region });
      const signed = signEnvelope(env, this.o.signingKey);
      const phase1 = await this.fanOut((c, s) => c.listVariantKeys(signed, this.o.deadlines.queryMs, s), signal);
      const union = unionOfPackedKeys(phase1.map((a) => a.value), regions);
      // Honest sites send their keys region by region, sorted; otherwise the union is formed from key objects (slower, more memory).
      if (!union.inOrder) this.o.logger.warn({ correlationId, sites: phase1.length }, 'phase 1: a site sent its variant keys out of order');
      list = union.list;
      if (list.length === 0) return none();
    }
    return { empty: false, ctx, correlationId, t0, list, params: kind.params(req, list, ctx), ...(unresolved ? { unresolved } : {}) };
  }

  /**
   * Every site declares the assembly of its store (Info's reference build,
   * recorded at ingest: node/store/assembly.ts); positions of GRCh37 and
   * GRCh38 are different coordinates, so totals over both would be
   * meaningless. Sites that declare different builds fail every query
   * before anything is asked (a site whose store has no build recorded is
   * not compared). Asked at most once a minute.
   */
  private sameAssembly(signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    if (this.assemblies && now - this.assemblies.at < ASSEMBLY_TTL_MS) return this.assemblies.ok;
    const ok = (async () => {
      const declared = await Promise.all(this.o.clients.map(async (c) => {
        if (signal?.aborted) throw new CoordinatorError('GENOFED_SITE_FAILED', 'query cancelled');
        return { site: c.site, build: (await c.info(this.o.deadlines.infoMs)).referenceBuild };
      }));
      const builds = new Set(declared.map((d) => d.build).filter((b) => b !== ''));
      if (builds.size > 1) {
        throw new CoordinatorError('GENOFED_ASSEMBLY_MISMATCH', `sites hold different assemblies (${declared.map((d) => `${d.site}: ${d.build || 'not recorded'}`).join(', ')}); nothing asked`);
      }
    })();
    this.assemblies = { at: now, ok };
    // A failed check is asked again next time (a site may have been re-ingested or restarted).
    ok.catch(() => { if (this.assemblies?.ok === ok) this.assemblies = undefined; });
    return ok;
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

/**
 * A researcher's list with rs ids, from the sites' lookup answers: each
 * key item as given, each rs id replaced by the union of the keys the
 * sites resolved it to (sorted; contig as a site spells it), every key
 * once (dedupeKeys order: first mention). Ids no site holds are
 * `unresolved` (no rows). Keys tagged with an id the request did not ask
 * are ignored (a site off protocol).
 */
export function resolveItems(items: readonly VariantListItem[], perSite: readonly (readonly (VariantKey & { readonly id?: string })[])[]): { list: VariantKey[]; unresolved: string[] } {
  const byId = new Map<string, Map<string, VariantKey>>();
  for (const x of items) if (x.kind === 'rsid') byId.set(x.rsId, new Map());
  for (const keys of perSite) {
    for (const k of keys) {
      const m = k.id === undefined ? undefined : byId.get(k.id);
      if (!m) continue;
      const mk = variantMatchKey(k);
      if (!m.has(mk)) m.set(mk, { chrom: k.chrom, pos: k.pos, ref: k.ref, alt: k.alt });
    }
  }
  const seen = new Set<string>();
  const list: VariantKey[] = [];
  const push = (k: VariantKey): void => {
    const mk = variantMatchKey(k);
    if (!seen.has(mk)) { seen.add(mk); list.push({ chrom: k.chrom, pos: k.pos, ref: k.ref, alt: k.alt }); }
  };
  const unresolved: string[] = [];
  for (const x of items) {
    if (x.kind === 'key') { push(x.key); continue; }
    const keys = [...byId.get(x.rsId)!.values()].sort(compareVariantKeys);
    if (keys.length === 0 && !unresolved.includes(x.rsId)) unresolved.push(x.rsId);
    keys.forEach(push);
  }
  return { list, unresolved };
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

/** Kept here for callers of the engine's module (tests); defined in key-union.ts. */
export { unionOfKeys } from './key-union.js';
