/**
 * The node's gRPC service (genofed.v1.NodeService). Handlers convert wire
 * messages to domain types at once, run the query checks, answer from the
 * store, encrypt under the coordinator's BFV key, and stream one
 * ciphertext per message. Every answered or refused query is appended to
 * the store's query log. Status codes are mapped in one place
 * (`toServiceError`); errors crossing the wire carry only the stable code
 * and a message that names no data.
 */
import { createHash } from 'node:crypto';
import { Metadata, status, type sendUnaryData, type ServerDuplexStream, type ServerUnaryCall, type ServerWritableStream, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { signedQueryFromWire } from '../../proto/convert/envelope.js';
import { headerToWire, variantsFromWire, variantsToWire } from '../../proto/convert/variants.js';
import * as wire from '../../proto/generated/genofed/v1/node.js';
import { PROTOCOL_VERSION, VARIANT_BATCH, VariantListHasher, layoutFor, packAlleleCounts, type QueryEnvelope } from '../../proto/query.js';
import { parseRegion } from '../../proto/region.js';
import { normalizeContig, variantMatchKey, type VariantKey } from '../../proto/variant.js';
import { NodeError } from '../errors.js';
import type { CountEncryptor, ServedStore } from './ports.js';
import type { Admission, PrivacyGate } from './privacy-gate.js';
import type { PeerCertificateLike } from '../privacy/authorization.js';
import { ReplayGuard, authenticateQuery, checkEnvelope, type QueryPolicy } from './verify-query.js';

export interface NodeServiceOptions {
  readonly siteId: string;
  readonly coordinatorId: string;
  readonly store: ServedStore;
  readonly encryptor: CountEncryptor;
  readonly policy: QueryPolicy;
  /** Issue 6: authorization, participant minimum, rate limit, differencing, DP budget, audit, masks. */
  readonly gate: PrivacyGate;
  readonly logger: Logger;
  /** Set false while shutting down: Health answers NOT_SERVING. */
  readonly isServing?: () => boolean;
  /** Counts running query calls, so shutdown can skip the grace period when idle. */
  readonly inFlight?: { count: number };
}

/** Error -> gRPC status, in one place. Unknown errors become INTERNAL with a fixed message. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const e = err as { code?: unknown; grpcStatus?: unknown; message?: unknown } | null;
  const metadata = new Metadata();
  if (e && typeof e.code === 'string' && e.code.startsWith('GENOFED_') && typeof e.grpcStatus === 'number') {
    metadata.set('genofed-code', e.code);
    return { code: e.grpcStatus, details: `${e.code}: ${String(e.message)}`, metadata };
  }
  metadata.set('genofed-code', 'GENOFED_NODE_INTERNAL');
  return { code: status.INTERNAL, details: 'internal error at the node', metadata };
}

function errorCode(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' && c.startsWith('GENOFED_') ? c : 'INTERNAL';
}

/** Values this site may put in any slot: AN <= ploidy x samples; 2 x samples for diploid genomes. */
function boundFor(values: Uint32Array, samples: number): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  return Math.max(1, 2 * samples, max);
}

/** Write with backpressure; rejects if the call closes (cancelled, deadline) while waiting for 'drain'. */
async function writeMessage<T>(call: ServerDuplexStream<wire.AggregateRequest, T> | ServerWritableStream<wire.SignedQuery, T>, msg: T): Promise<void> {
  if (call.write(msg)) return;
  await new Promise<void>((resolve, reject) => {
    const onDrain = (): void => { call.off('error', onErr); call.off('close', onClose); resolve(); };
    const onErr = (e: unknown): void => { call.off('drain', onDrain); call.off('close', onClose); reject(e); };
    const onClose = (): void => { call.off('drain', onDrain); call.off('error', onErr); reject(new Error('stream closed')); };
    call.once('drain', onDrain);
    call.once('error', onErr);
    call.once('close', onClose);
  });
}

export function createNodeService(o: NodeServiceOptions): wire.NodeServiceServer {
  const replay = new ReplayGuard((id) => o.store.hasQueryId(id));
  const log = o.logger;

  const peer = (call: { getAuthContext(): { sslPeerCertificate?: unknown } | null }): PeerCertificateLike | undefined =>
    call.getAuthContext()?.sslPeerCertificate as PeerCertificateLike | undefined;

  /**
   * Info and Health: mTLS already proved the chain to the consortium CA; the
   * caller must also be a coordinator of the node policy (any kind).
   */
  function checkCaller(call: { getAuthContext(): { sslPeerCertificate?: unknown } | null }): void {
    if (!o.gate.knowsCaller(peer(call))) {
      throw new NodeError('GENOFED_CALLER_REFUSED', 'caller certificate matches no coordinator of the node policy');
    }
  }

  async function logDecision(e: QueryEnvelope | undefined, decision: 'answered' | 'refused', reason: string | undefined, details: object): Promise<void> {
    if (!e) return; // unsigned / undecodable: nothing authenticated to log against a query id
    try {
      await o.store.appendQueryLog({ queryId: e.queryId, kind: e.params.kind, querier: e.querier, decision, ...(reason ? { reason } : {}), at: new Date(), details: { correlationId: e.correlationId, participants: e.participants.length, ...details } });
    } catch (err) {
      log.error({ queryId: e.queryId, err: errorCode(err) }, 'query log append failed');
      throw err;
    }
  }

  /**
   * Verify, claim the id, then the privacy gate (authorize, participants,
   * rate, differencing, budget: node/server/privacy-gate.ts); on refusal
   * log it (store query log; audit log when signed) and rethrow.
   */
  async function admit(call: { getAuthContext(): { sslPeerCertificate?: unknown } | null }, signed: wire.SignedQuery | undefined, kinds: readonly QueryEnvelope['params']['kind'][]): Promise<{ e: QueryEnvelope; admission: Admission }> {
    if (!signed) throw new NodeError('GENOFED_QUERY_SIGNATURE', 'query refused: no signed envelope');
    let e: QueryEnvelope | undefined;
    let claimed = false;
    let audited = false;
    try {
      e = authenticateQuery(signedQueryFromWire(signed), o.policy);
      checkEnvelope(e, kinds, o.policy);
      await replay.claim(e.queryId);
      claimed = true;
      audited = true; // the gate audits its own refusals
      const admission = await o.gate.admit(peer(call), e);
      return { e, admission };
    } catch (err) {
      const code = errorCode(err);
      // A replay is logged too (a second "refused" row with the same id is the evidence of the attempt).
      if (e) await logDecision(e, 'refused', code, {}).catch(() => undefined);
      if (e && !audited) await o.gate.refused(e, code).catch(() => undefined);
      if (e && claimed) replay.release(e.queryId);
      // Unauthenticated envelopes are logged under a digest of their bytes, never under the id they
      // claim: an attacker must not be able to plant ids that a later genuine query would collide with.
      else await o.store.appendQueryLog({ queryId: `unauthenticated:${createHash('sha256').update(signed.envelope).digest('hex').slice(0, 32)}`, kind: 'unknown', querier: '', decision: 'refused', reason: code, at: new Date() }).catch(() => undefined);
      log.warn({ queryId: e?.queryId, kind: e?.params.kind, decision: 'refused', reason: code }, 'query refused');
      throw err;
    }
  }

  /** Counts for a researcher's list, in list order (the store answers zeros for keys it lacks). */
  async function countsByList(cohort: string, variants: VariantKey[]): Promise<Uint32Array> {
    const rows = await o.store.alleleCounts({ variants, ...(cohort ? { cohort } : {}) });
    if (rows.length !== variants.length) throw new NodeError('GENOFED_QUERY_MALFORMED', 'store returned a row count other than the variant count');
    return packAlleleCounts(rows);
  }

  /**
   * Counts for a phase-1 union over `region`: one region scan, rows placed
   * by (alias-normalized) key; keys this site lacks stay 0. Keys of the
   * list outside the region would be a coordinator bug: refused.
   */
  async function countsByRegion(regionText: string, cohort: string, variants: VariantKey[]): Promise<Uint32Array> {
    let region;
    try {
      region = parseRegion(regionText);
    } catch (cause) {
      throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: region does not parse', { cause });
    }
    const rows = await o.store.alleleCounts({ region, ...(cohort ? { cohort } : {}) });
    const slot = new Map<string, number>();
    for (let i = 0; i < variants.length; i++) {
      const k = variants[i]!;
      if (normalizeContig(k.chrom) !== normalizeContig(region.chrom) || k.pos < region.start || k.pos > region.end) {
        throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: a listed variant lies outside the signed region');
      }
      slot.set(variantMatchKey(k), i);
    }
    const values = new Uint32Array(variants.length * 3);
    for (const r of rows) {
      const i = slot.get(variantMatchKey(r));
      if (i === undefined) continue; // not in the union: the coordinator asked for fewer keys than this site holds
      values[3 * i] = r.ac;
      values[3 * i + 1] = r.an;
      values[3 * i + 2] = r.nhomalt;
    }
    return values;
  }

  return {
    info(call: ServerUnaryCall<wire.InfoRequest, wire.InfoResponse>, callback: sendUnaryData<wire.InfoResponse>): void {
      void (async () => {
        try {
          checkCaller(call);
          const s = await o.store.summary();
          callback(null, {
            siteId: o.siteId,
            protocolVersion: PROTOCOL_VERSION,
            referenceBuild: s.assembly ?? '',
            contigs: s.contigs,
            cryptoFingerprint: o.encryptor.fingerprint,
            cryptoPreset: o.encryptor.preset,
          });
        } catch (err) {
          callback(toServiceError(err));
          return;
        }
      })();
    },

    health(call: ServerUnaryCall<wire.HealthRequest, wire.HealthResponse>, callback: sendUnaryData<wire.HealthResponse>): void {
      try {
        checkCaller(call);
      } catch (err) {
        callback(toServiceError(err));
        return;
      }
      const serving = o.isServing ? o.isServing() : true;
      callback(null, { status: serving ? wire.HealthResponse_Status.STATUS_SERVING : wire.HealthResponse_Status.STATUS_NOT_SERVING });
    },

    listVariants(call: ServerWritableStream<wire.SignedQuery, wire.VariantBatch>): void {
      if (o.inFlight) o.inFlight.count += 1;
      void (async () => {
        const t0 = performance.now();
        let e: QueryEnvelope | undefined;
        let admission: Admission | undefined;
        try {
          ({ e, admission } = await admit(call, call.request, ['variant-keys']));
          if (e.params.kind !== 'variant-keys') throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: wrong kind');
          let region;
          try {
            region = parseRegion(e.params.region);
          } catch (cause) {
            throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: region does not parse', { cause });
          }
          const keys = await o.store.variantKeys(region);
          // Write-ahead: the audit entry is on disk before the first key leaves.
          await o.gate.record(e, admission.querier, 0, 'answered');
          for (let i = 0; i < keys.length; i += VARIANT_BATCH) {
            if (call.cancelled) break;
            await writeMessage(call, variantsToWire(keys.slice(i, i + VARIANT_BATCH)));
          }
          await logDecision(e, 'answered', undefined, { variants: keys.length });
          replay.release(e.queryId);
          log.info({ queryId: e.queryId, correlationId: e.correlationId, kind: 'variant-keys', decision: 'answered', variants: keys.length, ms: Math.round(performance.now() - t0) }, 'query answered');
          call.end();
        } catch (err) {
          if (e && admission) {
            // Admitted but failed while answering: a second, refused entry for the same query id.
            await o.gate.record(e, admission.querier, 0, 'refused', errorCode(err)).catch(() => undefined);
          }
          if (e) replay.release(e.queryId);
          // grpc-js sends the status from its own 'error' listener; destroy() would drop it (the caller would only see its deadline).
          call.emit('error', toServiceError(err));
          return;
        }
      })().finally(() => { if (o.inFlight) o.inFlight.count -= 1; });
    },

    aggregate(call: ServerDuplexStream<wire.AggregateRequest, wire.AggregateResponse>): void {
      if (o.inFlight) o.inFlight.count += 1;
      void (async () => {
        const t0 = performance.now();
        let e: QueryEnvelope | undefined;
        let admitted = false;
        let admission: Admission | undefined;
        try {
          const it = call[Symbol.asyncIterator]() as AsyncIterator<wire.AggregateRequest>;
          const first = await it.next();
          const firstMsg = first.done ? undefined : (first.value as wire.AggregateRequest).msg;
          ({ e, admission } = await admit(call, firstMsg?.$case === 'query' ? firstMsg.value : undefined, ['allele-counts', 'cohort-count']));
          admitted = true;
          const p = e.params;
          // Receive the signed variant list (slot order), checking count and digest.
          const expected = p.kind === 'allele-counts' ? p.variantCount : p.kind === 'cohort-count' ? p.carrierCount : 0;
          const variants: VariantKey[] = [];
          const hasher = new VariantListHasher();
          while (variants.length < expected) {
            const next = await it.next();
            if (next.done) break;
            const m = (next.value as wire.AggregateRequest).msg;
            if (m?.$case !== 'variants') throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: expected a variant batch');
            let batch: VariantKey[];
            try {
              batch = variantsFromWire(m.value);
            } catch (cause) {
              throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: malformed variant batch', { cause });
            }
            if (variants.length + batch.length > expected) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: more variants than signed');
            hasher.update(batch);
            for (const k of batch) variants.push(k);
          }
          if (variants.length !== expected) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: fewer variants than signed');
          if (expected > 0) {
            const digest = hasher.digest();
            const signedDigest = p.kind === 'allele-counts' ? p.variantsSha256 : p.kind === 'cohort-count' ? p.carriersSha256 : new Uint8Array();
            if (Buffer.compare(Buffer.from(digest), Buffer.from(signedDigest)) !== 0) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: variant list does not match its signed digest');
          }
          const tRead = performance.now();

          // Count locally (plaintext, inside the hospital).
          let values: Uint32Array;
          if (p.kind === 'allele-counts') {
            values = p.region ? await countsByRegion(p.region, p.cohort, variants) : await countsByList(p.cohort, variants);
          } else if (p.kind === 'cohort-count') {
            const n = await o.store.cohortCount(p.cohort, variants.length ? { carriersOf: variants } : {});
            values = Uint32Array.of(n);
          } else {
            throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: wrong kind');
          }
          const tCount = performance.now();
          const summary = await o.store.summary();
          const bound = boundFor(values, summary.samples);
          const layout = layoutFor(p, o.encryptor.slotCount);
          const parties = e.participants.length;
          // Noise is drawn after the debit (in admit); the audit entry is written before anything leaves.
          const protection = e.measurementPlaintext ? { mask: undefined, noiseMu: 0, masked: false } : o.gate.protect(e, admission!, values.length);
          await o.gate.record(e, admission!.querier, admission!.epsilon, 'answered');
          await writeMessage(call, {
            msg: {
              $case: 'header',
              value: headerToWire({ siteId: o.siteId, queryId: e.queryId, cryptoFingerprint: o.encryptor.fingerprint, counters: layout.counters, valueCount: layout.valueCount, ciphertextCount: layout.ciphertextCount, boundPerValue: bound, plaintext: e.measurementPlaintext, noiseMu: protection.noiseMu, masked: protection.masked }),
            },
          });
          let bytes = 0;
          if (e.measurementPlaintext) {
            const step = o.encryptor.slotCount;
            for (let off = 0; off < values.length; off += step) {
              const slice = values.subarray(off, off + step);
              bytes += slice.length * 4;
              await writeMessage(call, { msg: { $case: 'plain', value: { offset: off, values: Array.from(slice) } } });
            }
          } else {
            let index = 0;
            for (const ct of o.encryptor.encryptVector(values, { bound, parties, ...(protection.mask ? { mask: protection.mask } : {}) })) {
              if (call.cancelled) throw new NodeError('GENOFED_QUERY_MALFORMED', 'caller cancelled the query');
              bytes += ct.length;
              await writeMessage(call, { msg: { $case: 'ciphertext', value: { index, data: Buffer.from(ct.buffer, ct.byteOffset, ct.byteLength) } } });
              index += 1;
            }
          }
          await logDecision(e, 'answered', undefined, { kind: p.kind, values: values.length, ciphertexts: layout.ciphertextCount });
          replay.release(e.queryId);
          log.info({
            queryId: e.queryId, correlationId: e.correlationId, kind: p.kind, querier: e.querier, decision: 'answered',
            variants: variants.length, ciphertexts: e.measurementPlaintext ? 0 : layout.ciphertextCount, bytes,
            readMs: Math.round(tRead - t0), countMs: Math.round(tCount - tRead), totalMs: Math.round(performance.now() - t0),
          }, 'query answered');
          call.end();
        } catch (err) {
          if (e && admitted) {
            // Admitted but failed while answering: log it refused with the reason, once.
            await logDecision(e, 'refused', errorCode(err), { stage: 'answer' }).catch(() => undefined);
            // A second entry for the same query id (the budget is not refunded: the noise may have been drawn).
            await o.gate.record(e, admission?.querier ?? { coordinator: e.coordinatorId, researcher: e.querier }, admission?.epsilon ?? 0, 'refused', errorCode(err)).catch(() => undefined);
            replay.release(e.queryId);
            log.warn({ queryId: e.queryId, decision: 'refused', reason: errorCode(err) }, 'query failed while answering');
          }
          // grpc-js sends the status from its own 'error' listener; destroy() would drop it (the caller would only see its deadline).
          call.emit('error', toServiceError(err));
          return;
        }
      })().finally(() => { if (o.inFlight) o.inFlight.count -= 1; });
    },
  };
}
