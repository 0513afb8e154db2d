/**
 * The node's gRPC service (genofed.v1.NodeService): Info, Health,
 * ListVariants here; Aggregate in `aggregate.ts`. Handlers convert wire
 * messages to domain types at once; admission (checks and the decision
 * logs) is `admission.ts`, counting is each kind's module (`node/kinds/`),
 * privacy state is `privacy-gate.ts`, the size round is
 * node/privacy/size-round.ts.
 * Status codes are mapped in one place (`toServiceError`); errors crossing
 * the wire carry only the stable code and a message that names no data.
 *
 * Aggregate, in order: signed envelope (+ streamed variant list) in ->
 * admission -> the local member set of every population -> this site's
 * size commitment out -> the relayed commitments of every roster member in
 * -> network sizes checked (1..k-1 refused) -> differencing guard, budget
 * -> audit entry -> signed header and one ciphertext per message out.
 */
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { PackedKeyList } from '../../proto/convert/packed-key-list.js';
import { namesToWire, variantsToWire } from '../../proto/convert/variants.js';
import * as wire from '../../proto/generated/genofed/v1/node.js';
import type { VariantKey } from '../../proto/variant.js';
import { PROTOCOL_VERSION, VARIANT_BATCH } from '../../proto/query.js';
import { NodeError } from '../errors.js';
import { isCounted, listsNames } from '../kinds/kind.js';
import { QueryAdmission, errorCode, peerOf, type Admitted } from './admission.js';
import { aggregateHandler } from './aggregate.js';
import type { NodeMetrics } from './metrics.js';
import type { CountEncryptor, ServedStore } from './ports.js';
import type { PrivacyGate } from './privacy-gate.js';
import type { SiteRoster } from './site-roster.js';
import { toServiceError } from './status.js';
import { writeMessage } from './stream-io.js';
import type { QueryPolicy } from './verify-query.js';

export { toServiceError } from './status.js';
export { SIZE_ROUND_TIMEOUT_MS } from './aggregate.js';

export interface NodeServiceOptions {
  readonly siteId: string;
  readonly store: ServedStore;
  readonly encryptor: CountEncryptor;
  readonly policy: QueryPolicy;
  readonly roster: SiteRoster;
  /** Network sizes 1..minCohortSize-1 of any population are refused (node config privacy.minCohortSize). */
  readonly minCohortSize: number;
  readonly gate: PrivacyGate;
  readonly logger: Logger;
  /** Set false while shutting down: Health answers NOT_SERVING. */
  readonly isServing?: () => boolean;
  /** Counts running query calls, so shutdown can skip the grace period when idle. */
  readonly inFlight?: { count: number };
  /** Query outcomes, latency and bytes (metrics.ts); absent: not measured. */
  readonly metrics?: NodeMetrics;
}

export function createNodeService(o: NodeServiceOptions): wire.NodeServiceServer {
  const log = o.logger;
  const admission = new QueryAdmission({ store: o.store, gate: o.gate, policy: o.policy, logger: log });
  const replay = admission.replay;

  /**
   * Info and Health: mTLS already proved the chain to the consortium CA; the
   * caller must also be a coordinator of the node policy (any kind).
   */
  function checkCaller(call: { getAuthContext(): { sslPeerCertificate?: unknown } | null }): void {
    if (!o.gate.knowsCaller(peerOf(call))) {
      throw new NodeError('GENOFED_CALLER_REFUSED', 'caller certificate matches no coordinator of the node policy');
    }
  }

  return {
    info(call: ServerUnaryCall<wire.InfoRequest, wire.InfoResponse>, callback: sendUnaryData<wire.InfoResponse>): void {
      void (async () => {
        try {
          checkCaller(call);
          const s = await o.store.describe();
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
        let a: Admitted | undefined;
        const seen: { kind?: string } = {};
        const inBytes = (call.request?.envelope.length ?? 0) + (call.request?.signature.length ?? 0);
        try {
          a = await admission.admit(call, call.request, 'list', seen);
          const e = a.e;
          const kind = a.kind;
          if (isCounted(kind)) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: wrong kind');
          const keys = listsNames(kind) ? batches(await kind.names(o.store, e.params), namesToWire) : keyBatches(await kind.keys(o.store, e.params));
          // Write-ahead: the audit entry is on disk before the first key leaves.
          await o.gate.record(e, kind, a.admission.querier, 0, 'answered');
          let sent = 0;
          for (const batch of keys) {
            if (call.cancelled) break;
            const b = batch();
            sent += b.packed.length + b.names.reduce((n, x) => n + Buffer.byteLength(x), 0);
            await writeMessage(call, b);
          }
          await admission.logDecision(e, 'answered', undefined, { variants: keys.count });
          replay.release(e.queryId);
          o.metrics?.bytes('received', seen.kind, 'list', inBytes);
          o.metrics?.bytes('sent', seen.kind, 'list', sent);
          o.metrics?.finished({ kind: seen.kind, rpc: 'list', outcome: 'answered', seconds: (performance.now() - t0) / 1000 });
          log.info({ queryId: e.queryId, correlationId: e.correlationId, kind: kind.spec.kind, decision: 'answered', variants: keys.count, ms: Math.round(performance.now() - t0) }, 'query answered');
          call.end();
        } catch (err) {
          // Admitted but failed while answering: a second, refused entry for the same query id.
          if (a) await admission.refuseAdmitted(a, err, 'answer');
          o.metrics?.bytes('received', seen.kind, 'list', inBytes);
          o.metrics?.finished({ kind: seen.kind, rpc: 'list', outcome: 'refused', reason: errorCode(err), stage: a ? 'answer' : 'admission', seconds: (performance.now() - t0) / 1000 });
          // grpc-js sends the status from its own 'error' listener; destroy() would drop it (the caller would only see its deadline).
          call.emit('error', toServiceError(err));
          return;
        }
      })().finally(() => { if (o.inFlight) o.inFlight.count -= 1; });
    },

    aggregate: aggregateHandler(o, admission),
  };
}

/** A listing's items in wire batches of VARIANT_BATCH, each encoded when written. */
/** A listing's keys as wire batches: a packed list's own chunks, or keys packed (or sent with their ids) VARIANT_BATCH at a time. */
function keyBatches(keys: readonly (VariantKey & { readonly id?: string })[] | PackedKeyList): (() => wire.VariantBatch)[] & { count: number } {
  if (!(keys instanceof PackedKeyList)) return batches(keys, variantsToWire);
  return Object.assign(keys.wireBatches().map((b) => () => b), { count: keys.length });
}

function batches<T>(items: readonly T[], toWire: (part: readonly T[]) => wire.VariantBatch): (() => wire.VariantBatch)[] & { count: number } {
  const out: (() => wire.VariantBatch)[] = [];
  for (let i = 0; i < items.length; i += VARIANT_BATCH) {
    const from = i;
    out.push(() => toWire(items.slice(from, from + VARIANT_BATCH)));
  }
  return Object.assign(out, { count: items.length });
}
