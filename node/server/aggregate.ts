/**
 * Answering an Aggregate call (any counted kind: node/kinds): receive the
 * signed envelope and the list its kind declares, admit it, send this
 * site's size commitment, check the relayed commitments of every roster
 * member (network sizes 1..k-1 refused), pass the guards, count, protect,
 * write the audit entry, then the signed header and one ciphertext per
 * message. Admission and its decision logs are `admission.ts`.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { compileCohort } from '../../proto/cohort/index.js';
import { commitmentFromWire, commitmentToWire } from '../../proto/convert/size-commitment.js';
import { PackedKeyList } from '../../proto/convert/packed-key-list.js';
import { PackedLineReader } from '../../proto/convert/packed-lines.js';
import { packVariantKeys, signHeader, variantsFromWire } from '../../proto/convert/variants.js';
import type * as wire from '../../proto/generated/genofed/v1/node.js';
import { schemaColumns } from '../../proto/phenotype-schema.js';
import { fieldsPerSlot, packedLayout, packFields, populationsToWithhold, VariantListHasher, type Population, type QueryEnvelope } from '../../proto/query.js';
import { parseRegions, regionsTest } from '../../proto/region.js';
import { normalizeContig, type KeyList, type VariantKey } from '../../proto/variant.js';
import { NodeError } from '../errors.js';
import { isCounted, type CountedNodeKind, type NodeKind } from '../kinds/kind.js';
import { commitSizes, networkSizes, type SizeRoundContext } from '../privacy/size-round.js';
import { errorCode, type Admitted, type QueryAdmission } from './admission.js';
import type { NodeServiceOptions } from './service.js';
import { checkOwnFields, packBitsOf } from './packing.js';
import { toServiceError } from './status.js';
import { nextWithin, writeMessage } from './stream-io.js';

/** How long a node waits for the relay of the size round before refusing: the coordinator has every commitment after one round trip. */
export const SIZE_ROUND_TIMEOUT_MS = 120_000;

/** Values this site may put in any slot: AN <= ploidy x samples; 2 x samples for diploid genomes. */
function boundFor(values: Uint32Array, samples: number): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  return Math.max(1, 2 * samples, max);
}

export function aggregateHandler(o: NodeServiceOptions, admission: QueryAdmission): (call: ServerDuplexStream<wire.AggregateRequest, wire.AggregateResponse>) => void {
  const log = o.logger;
  const replay = admission.replay;
  const schema = o.roster.roster.schema;
  const columns = schemaColumns(schema);

  /**
   * Receive the signed variant list the kind declares (slot order),
   * checking count, digest and (a phase-1 union) that every key lies in the
   * signed regions, batch by batch; kept as the packed lines received
   * (proto/convert/packed-key-list.ts: ~20 bytes per key, not an object).
   */
  async function receiveList(it: AsyncIterator<wire.AggregateRequest>, e: QueryEnvelope, kind: NodeKind, listBytes: { n: number }): Promise<KeyList> {
    const spec = kind.spec.list(e.params);
    const expected = spec?.count ?? 0;
    const chunks: Uint8Array[] = [];
    const counts: number[] = [];
    let received = 0;
    const hasher = new VariantListHasher();
    // A phase-1 union is signed with its regions: every listed key must lie in one (a key outside would be a coordinator bug or a probe).
    const regionText = kind.spec.region(e.params);
    let inside: ((chrom: string, pos: number) => boolean) | undefined;
    if (regionText !== undefined && expected > 0) {
      try {
        inside = regionsTest(parseRegions(regionText));
      } catch (cause) {
        throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: region does not parse', { cause });
      }
    }
    while (received < expected) {
      const next = await it.next();
      if (next.done) break;
      const m = (next.value as wire.AggregateRequest).msg;
      if (m?.$case !== 'variants') throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: expected a variant batch');
      let packed: Uint8Array;
      let n = 0;
      try {
        if (m.value.packed.length > 0 && m.value.variants.length === 0 && m.value.names.length === 0) {
          // Packed keys are checked in place (proto/convert/packed-lines.ts), hashed and kept as they came (they are the digest's text).
          packed = m.value.packed;
          const r = new PackedLineReader(packed);
          let chrom = '';
          while (r.next()) {
            n += 1;
            if (r.chromChanged) chrom = r.chrom();
            if (inside && !inside(chrom, r.pos)) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: a listed variant lies outside the signed region');
          }
        } else {
          // Keys as messages are re-formed into the digest's text.
          const batch: VariantKey[] = variantsFromWire(m.value);
          if (inside) for (const k of batch) if (!inside(k.chrom, k.pos)) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: a listed variant lies outside the signed region');
          n = batch.length;
          packed = packVariantKeys(batch);
        }
      } catch (cause) {
        if (cause instanceof NodeError) throw cause;
        throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: malformed variant batch', { cause });
      }
      if (received + n > expected) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: more variants than signed');
      if (n === 0) continue;
      listBytes.n += packed.length;
      hasher.updatePacked(packed, n);
      chunks.push(packed);
      counts.push(n);
      received += n;
    }
    if (received !== expected) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: fewer variants than signed');
    if (spec && expected > 0 && Buffer.from(hasher.digest()).toString('hex') !== spec.sha256) {
      throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: variant list does not match its signed digest');
    }
    return PackedKeyList.fromChunks(chunks, counts);
  }

  /**
   * The size round (node/privacy/size-round.ts): send this site's
   * commitment, receive every member's, learn the network size of each
   * population; a population of 1..k-1 refuses the query, or (a stratum
   * cell) is withheld: returns the withheld populations' indices.
   */
  async function sizeRound(call: ServerDuplexStream<wire.AggregateRequest, wire.AggregateResponse>, it: AsyncIterator<wire.AggregateRequest>, a: Admitted, members: readonly Uint32Array[]): Promise<{ withheld: number[]; sizes: readonly number[] }> {
    const ctx: SizeRoundContext = {
      selfId: o.siteId, selfX25519: o.roster.selfX25519, selfSigning: o.roster.selfSigning, roster: o.roster.roster,
      rosterFingerprint: o.roster.fingerprint, queryId: a.e.queryId, envelope: a.envelopeBytes,
    };
    const pending = commitSizes(ctx, members.map((m) => m.length));
    await writeMessage(call, { msg: { $case: 'sizeCommitment', value: commitmentToWire(pending.commitment) } });
    const relay = await nextWithin(call, it, SIZE_ROUND_TIMEOUT_MS, 'relay of the size commitments');
    if (relay?.msg?.$case !== 'sizeRelay') throw new NodeError('GENOFED_SIZE_ROUND', 'query refused: size round: expected the relayed commitments');
    const totals = networkSizes(ctx, pending, relay.msg.value.commitments.map(commitmentFromWire));
    const spec = a.kind.spec;
    const decision = spec.withhold ? spec.withhold(a.e.params, schema, totals, o.minCohortSize) : populationsToWithhold(spec.populations(a.e.params, schema), totals, o.minCohortSize);
    if ('refuse' in decision) throw new NodeError('GENOFED_COHORT_TOO_SMALL', `query refused: the ${decision.refuse} has a network size of 1..${o.minCohortSize - 1} (verified by the nodes); nothing is answered`);
    return { withheld: decision.withheld, sizes: totals };
  }

  /**
   * The member sets an answer reveals, for the differencing guard: each
   * released block's, and the withheld mass (withheld cells plus the
   * size-only remainder), which is the cohort minus the released cells.
   */
  function revealedSets(populations: readonly Population[], members: readonly Uint32Array[], withheld: readonly number[]): Uint32Array[] {
    const out: Uint32Array[] = [];
    const hidden = new Set<number>();
    members.forEach((m, i) => {
      if (populations[i]?.sizeOnly || withheld.includes(i)) for (const x of m) hidden.add(x);
      else out.push(m);
    });
    if (hidden.size > 0) out.push(Uint32Array.from([...hidden].sort((x, y) => x - y)));
    return out;
  }

  /** Zero the blocks of withheld populations (the layout holds one block per population). */
  function withhold(values: Uint32Array, blocks: number, withheld: readonly number[]): void {
    if (withheld.length === 0) return;
    if (values.length % blocks !== 0) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: a withheld population has no block of its own in the layout');
    const size = values.length / blocks;
    for (const i of withheld) values.fill(0, i * size, (i + 1) * size);
  }

return (call: ServerDuplexStream<wire.AggregateRequest, wire.AggregateResponse>): void => {
    if (o.inFlight) o.inFlight.count += 1;
    void (async () => {
      const t0 = performance.now();
      let a: Admitted | undefined;
      let stage = 'admission';
      // Metrics (metrics.ts): the kind an authenticated envelope names, payload bytes in (envelope, list) and out.
      const seen: { kind?: string } = {};
      const received = { n: 0 };
      let bytes = 0;
      try {
        const it = call[Symbol.asyncIterator]() as AsyncIterator<wire.AggregateRequest>;
        const first = await it.next();
        const firstMsg = first.done ? undefined : (first.value as wire.AggregateRequest).msg;
        if (firstMsg?.$case === 'query') received.n += firstMsg.value.envelope.length + firstMsg.value.signature.length;
        a = await admission.admit(call, firstMsg?.$case === 'query' ? firstMsg.value : undefined, 'aggregate', seen);
        const e = a.e;
        const p = e.params;
        if (!isCounted(a.kind)) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: wrong kind');
        const kind: CountedNodeKind = a.kind;
        stage = 'request';
        let variants = await receiveList(it, e, kind, received);
        const variantCount = variants.length;
        // Only the consortium schema's columns and values (the store may hold more).
        for (const cohort of kind.spec.cohorts(p)) compileCohort(cohort, columns);
        const tRead = performance.now();

        stage = 'size round';
        const querier = a.admission.querier;
        const history = { k: o.gate.differencingK, near: (sets: readonly Uint32Array[]) => o.gate.nearHistory(querier, sets) };
        const members = await kind.members(o.store, p, schema, variants, history);
        const tMembers = performance.now();
        const { withheld, sizes } = await sizeRound(call, it, a, members);
        const tSizes = performance.now();
        stage = 'admission';
        // What is withheld is not answered alone, so it is not recorded either; what can be derived (the withheld mass) is.
        const revealed = kind.revealed ? kind.revealed(p, schema, members, withheld) : revealedSets(kind.spec.populations(p, schema), members, withheld);
        a = { ...a, admission: await o.gate.admitCounts(e, kind, a.admission, revealed) };

        stage = 'answer';
        const tGuard = performance.now();
        const layout = kind.spec.layout(p, o.encryptor.slotCount, schema);
        const parties = e.participants.length;
        // Noise is drawn after the debit: in the kind's own sums (dpNoise 'sums') or, below, in the slots.
        const noiseMu = o.gate.noiseMu(e, kind, a.admission, layout);
        const values = await kind.count(o.store, p, schema, variants, members, noiseMu > 0 && kind.spec.dpNoise === 'sums' ? { mu: noiseMu, parties } : undefined);
        // A million key objects kept alive through encryption made every major GC walk them (20-30% of the send, profiled).
        variants = [];
        const tCount = performance.now();
        const { samples } = await o.store.describe();
        if (layout.valueCount !== values.length) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: count vector does not match the slot layout');
        withhold(values, layout.populations, withheld);
        // Packed answers (protocol 7): every node derives the same width from the verified network sizes (never with DP on).
        const packBits = packBitsOf(kind.spec, p, sizes, layout.populations, parties, a.admission.epsilon > 0, o.encryptor.plainModulus);
        const sent = packedLayout(layout, packBits, o.encryptor.slotCount);
        // Unpacked: the overflow guard's bound per value; packed: this site's largest value (below 2^packBits).
        const bound = packBits > 0 ? checkOwnFields(kind.spec, p, values, layout.populations, members) : boundFor(values, samples);
        const slots = packBits > 0 ? packFields(values, packBits) : values;
        // The audit entry is written before anything leaves.
        const protection = o.gate.protect(e, kind, noiseMu, slots.length);
        await o.gate.record(e, kind, a.admission.querier, a.admission.epsilon, 'answered');
        const header = signHeader({
          siteId: o.siteId, queryId: e.queryId, cryptoFingerprint: o.encryptor.fingerprint, counters: layout.counters, valueCount: layout.valueCount,
          ciphertextCount: sent.ciphertextCount, boundPerValue: bound, plaintext: e.measurementPlaintext, noiseMu: protection.noiseMu, masked: protection.masked,
          samples, rosterFingerprint: o.roster.fingerprint, populations: layout.populations, withheld, packBits,
          // The querier's own budget after this debit (DP on): a scalar it could count itself, no patient in it.
          dpRemainingEpsilon: a.admission.remainingEpsilon ?? 0,
        }, o.roster.selfSigning);
        await writeMessage(call, { msg: { $case: 'signedHeader', value: header } });
        if (e.measurementPlaintext) {
          // Benchmark only: the masked values in the clear (still only the roster's sum means anything).
          const step = o.encryptor.slotCount;
          const t = Number(o.encryptor.plainModulus);
          for (let off = 0, c = 0; off < slots.length; off += step, c++) {
            const m = protection.mask(c);
            const slice = slots.subarray(off, off + step);
            const out = new Array<number>(slice.length);
            for (let i = 0; i < slice.length; i++) out[i] = (slice[i]! + m[i]!) % t;
            bytes += slice.length * 4;
            await writeMessage(call, { msg: { $case: 'plain', value: { offset: off, values: out } } });
          }
        } else {
          let index = 0;
          // Packed slots stay below 2^PACKED_SLOT_BITS < t over the network (the fields' checks): the guard sees that bound once.
          const guard = packBits > 0 ? { bound: 2 ** (fieldsPerSlot(packBits) * packBits) - 1, parties: 1 } : { bound, parties };
          for (const ct of o.encryptor.encryptVector(slots, { ...guard, mask: protection.mask })) {
            if (call.cancelled) throw new NodeError('GENOFED_QUERY_MALFORMED', 'caller cancelled the query');
            bytes += ct.length;
            await writeMessage(call, { msg: { $case: 'ciphertext', value: { index, data: Buffer.from(ct.buffer, ct.byteOffset, ct.byteLength) } } });
            index += 1;
          }
        }
        await admission.logDecision(e, 'answered', undefined, { kind: p.kind, values: values.length, ciphertexts: sent.ciphertextCount, packBits });
        replay.release(e.queryId);
        o.metrics?.bytes('received', seen.kind, 'aggregate', received.n);
        o.metrics?.bytes('sent', seen.kind, 'aggregate', bytes);
        o.metrics?.finished({ kind: seen.kind, rpc: 'aggregate', outcome: 'answered', seconds: (performance.now() - t0) / 1000 });
        log.info({
          queryId: e.queryId, correlationId: e.correlationId, kind: p.kind, querier: e.querier, decision: 'answered',
          variants: variantCount, populations: layout.populations, ciphertexts: e.measurementPlaintext ? 0 : sent.ciphertextCount, bytes,
          readMs: Math.round(tRead - t0), membersMs: Math.round(tMembers - tRead), sizeRoundMs: Math.round(tSizes - tMembers), guardMs: Math.round(tGuard - tSizes),
          countMs: Math.round(tCount - tGuard), sendMs: Math.round(performance.now() - tCount), totalMs: Math.round(performance.now() - t0),
        }, 'query answered');
        call.end();
      } catch (err) {
        if (a) await admission.refuseAdmitted(a, err, stage);
        o.metrics?.bytes('received', seen.kind, 'aggregate', received.n);
        o.metrics?.bytes('sent', seen.kind, 'aggregate', bytes);
        o.metrics?.finished({ kind: seen.kind, rpc: 'aggregate', outcome: 'refused', reason: errorCode(err), stage: a ? stage : 'admission', seconds: (performance.now() - t0) / 1000 });
        // grpc-js sends the status from its own 'error' listener; destroy() would drop it (the caller would only see its deadline).
        call.emit('error', toServiceError(err));
        return;
      }
    })().finally(() => { if (o.inFlight) o.inFlight.count -= 1; });
  };
}
