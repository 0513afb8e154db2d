/**
 * A misbehaving node for the failure tests (not a test): serves the real
 * NodeService over mTLS with a site's real certificate, but answers
 * Aggregate according to a scenario - ciphertexts under other BFV
 * parameters, a stream that stops mid-answer, a node that stalls, a wrong
 * layout - or floods ListVariants with keys ('floods-variant-keys': 50
 * batches of 1,000 until the caller cancels). Health/Info answer normally.
 */
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Server, ServerCredentials, status, type ServerDuplexStream } from '@grpc/grpc-js';
import { createBfv, getPreset, readKeyFile } from '../../../crypto/index.js';
import { decodeEnvelope, signedQueryFromWire } from '../../../proto/convert/envelope.js';
import { commitmentFromWire, commitmentToWire } from '../../../proto/convert/size-commitment.js';
import { signHeader, variantsFromWire } from '../../../proto/convert/variants.js';
import * as wire from '../../../proto/generated/genofed/v1/node.js';
import { alleleCounts } from '../../../proto/kinds/allele-counts.js';
import { PROTOCOL_VERSION } from '../../../proto/query.js';
import { cohortCount } from '../../../proto/kinds/cohort-count.js';
import type { QueryKindSpec } from '../../../proto/kinds/kind.js';

const SPECS: Record<string, QueryKindSpec> = { 'allele-counts': alleleCounts, 'cohort-count': cohortCount };
import { parseSignedRoster, publicKeyFromBase64, rosterFingerprint } from '../../../proto/roster.js';
import { createMaskStream } from '../../../node/privacy/masks.js';
import { packBitsOf } from '../../../node/server/packing.js';
import { packedLayout, packFields } from '../../../proto/query.js';
import { commitSizes, networkSizes } from '../../../node/privacy/size-round.js';

/**
 * The fake takes part in the size round and masks like a node (its share
 * is zeros), then misbehaves: 'unmasked' answers without its mask,
 * 'inflated' adds 1,000 to every AN (a site pushing counts past
 * suppression for a colluding researcher), 'unsigned-header' signs its
 * header with a key that is not its roster key.
 */
export type Scenario = 'grch38' | 'other-parameters' | 'dies-mid-answer' | 'stalls' | 'wrong-layout' | 'noisy' | 'unmasked' | 'inflated' | 'unsigned-header' | 'floods-variant-keys';

/** 'floods-variant-keys': batches x keys per batch the node offers in phase 1. */
export const FLOOD = { batches: 50, perBatch: 1_000 } as const;

export interface FakeNode {
  readonly port: number;
  /** Every envelope received by Aggregate, decoded (what the coordinator signed). */
  readonly envelopes: ReturnType<typeof decodeEnvelope>[];
  /** Variant keys written by ListVariants, and whether its stream saw 'cancelled' (grpc-js also emits it after a normal end). */
  readonly listVariants: { keysSent: number; cancelled: boolean };
  close(): Promise<void>;
}

export async function startFakeNode(netDir: string, site: string, scenario: Scenario): Promise<FakeNode> {
  const sdir = join(netDir, 'sites', site);
  const [ca, cert, key] = await Promise.all([readFile(join(sdir, 'ca.crt.pem')), readFile(join(sdir, 'node.crt.pem')), readFile(join(sdir, 'node.key.pem'))]);
  const test = getPreset('test');
  const bfv = await createBfv(test);
  const pk = await readKeyFile(join(sdir, 'coordinator-bfv.pk'), 'public-key', test);
  const enc = bfv.encryptor(pk);
  // Keys and ciphertexts under the other preset, for 'other-parameters'.
  const other = await createBfv(getPreset('default'));
  const otherEnc = other.encryptor(other.generateKeys().publicKey);
  // The site's real keys and roster: the fake takes part in the size round like a node (its populations are empty).
  const signed = parseSignedRoster(JSON.parse(await readFile(join(sdir, 'roster.json'), 'utf8')));
  const fp = rosterFingerprint(signed.roster);
  const selfX25519 = createPrivateKey(await readFile(join(sdir, 'x25519.key.pem')));
  const selfSigning = createPrivateKey(await readFile(join(sdir, 'signing.key.pem')));
  const x25519Roster = new Map(signed.roster.sites.map((m) => [m.id, publicKeyFromBase64(m.x25519, 'x25519')]));
  const server = new Server();
  const envelopes: ReturnType<typeof decodeEnvelope>[] = [];
  const listed = { keysSent: 0, cancelled: false };
  const service: wire.NodeServiceServer = {
    info: (_call, cb) => cb(null, { siteId: site, protocolVersion: PROTOCOL_VERSION, referenceBuild: scenario === 'grch38' ? 'GRCh38' : '', contigs: [], cryptoFingerprint: scenario === 'other-parameters' ? getPreset('default').fingerprint : test.fingerprint, cryptoPreset: 'test' }),
    health: (_call, cb) => cb(null, { status: wire.HealthResponse_Status.STATUS_SERVING }),
    listVariants: (call) => {
      if (scenario !== 'floods-variant-keys') {
        call.write({ variants: [{ chrom: '1', pos: 10177, ref: 'A', alt: 'AC', id: '' }], packed: Buffer.alloc(0), names: [] });
        call.end();
        return;
      }
      call.on('cancelled', () => { listed.cancelled = true; });
      void (async () => {
        for (let b = 0; b < FLOOD.batches && !listed.cancelled; b++) {
          const variants = Array.from({ length: FLOOD.perBatch }, (_, i) => ({ chrom: '1', pos: 1_000_000 + b * FLOOD.perBatch + i, ref: 'A', alt: 'G', id: '' }));
          listed.keysSent += variants.length;
          if (!call.write({ variants, packed: Buffer.alloc(0), names: [] })) await new Promise((r) => call.once('drain', r));
          // Let the coordinator's cancellation arrive between batches, as over a real network.
          await new Promise((r) => setImmediate(r));
        }
        if (!listed.cancelled) call.end();
      })();
    },
    aggregate: (call: ServerDuplexStream<wire.AggregateRequest, wire.AggregateResponse>) => {
      void (async () => {
        const it = call[Symbol.asyncIterator]() as AsyncIterator<wire.AggregateRequest>;
        const first = (await it.next()).value as wire.AggregateRequest;
        if (first.msg?.$case !== 'query') { call.destroy(Object.assign(new Error('bad request'), { code: status.INVALID_ARGUMENT })); return; }
        const envelope = signedQueryFromWire(first.msg.value).envelope;
        const e = decodeEnvelope(envelope);
        envelopes.push(e);
        const spec = SPECS[e.params.kind]!;
        const layout = spec.layout(e.params, test.slotCount, signed.roster.schema);
        // Drain the variant list.
        const expected = spec.list(e.params)?.count ?? 0;
        let got = 0;
        while (got < expected) {
          const n = await it.next();
          if (n.done) break;
          const m = (n.value as wire.AggregateRequest).msg;
          if (m?.$case === 'variants') got += variantsFromWire(m.value).length;
        }
        if (scenario === 'stalls') return; // never commits: the coordinator's deadline must fire
        // Size round: commit zero sizes, wait for the relay, learn the network sizes like a node.
        const ctx = { selfId: site, selfX25519, selfSigning, roster: signed.roster, rosterFingerprint: fp, queryId: e.queryId, envelope };
        const pending = commitSizes(ctx, spec.populations(e.params, signed.roster.schema).map(() => 0));
        call.write({ msg: { $case: 'sizeCommitment', value: commitmentToWire(pending.commitment) } });
        const relay = (await it.next()).value as wire.AggregateRequest | undefined;
        if (relay?.msg?.$case !== 'sizeRelay') { call.destroy(Object.assign(new Error('no relay'), { code: status.INVALID_ARGUMENT })); return; }
        const sizes = networkSizes(ctx, pending, relay.msg.value.commitments.map(commitmentFromWire));
        // Packed like a node (protocol 7): the width every node derives from the network sizes; a noisy fake does not pack.
        const packBits = packBitsOf(spec, e.params, sizes, layout.populations, e.participants.length, scenario === 'noisy', test.plainModulus);
        const sent = packedLayout(layout, packBits, test.slotCount);
        const counters = scenario === 'wrong-layout' ? layout.counters.slice(0, 2) : layout.counters;
        const header = signHeader({
          siteId: site, queryId: e.queryId, cryptoFingerprint: test.fingerprint, counters, valueCount: layout.valueCount, ciphertextCount: sent.ciphertextCount,
          boundPerValue: packBits > 0 ? 1_000 : 20_000,
          plaintext: false, noiseMu: scenario === 'noisy' ? 50 : 0, masked: scenario !== 'unmasked', samples: 0, rosterFingerprint: fp, populations: layout.populations, packBits,
        }, scenario === 'unsigned-header' ? createPrivateKey(await readFile(join(netDir, 'coordinator', 'signing.key.pem'))) : selfSigning);
        call.write({ msg: { $case: 'signedHeader', value: header } });
        // Zeros, or an offset of 1,000 on every AN (the network's AN then exceeds 2 x its declared samples, without
        // carrying out of a packed field): the fake has no samples and no mask, so its share is its raw values.
        const raw = new Uint32Array(layout.valueCount);
        if (scenario === 'inflated') for (let i = 1; i < raw.length; i += 3) raw[i] = 1_000;
        const values = packBits > 0 ? packFields(raw, packBits) : raw;
        const masks = createMaskStream({ selfId: site, selfPrivateKey: selfX25519, roster: x25519Roster, queryId: e.queryId, participants: e.participants, plainModulus: test.plainModulus });
        const source = scenario === 'other-parameters' ? otherEnc : enc;
        let index = 0;
        for (const ct of source.encryptVector(values, { bound: packBits > 0 ? 2 ** 28 : 20_000, parties: packBits > 0 ? 1 : e.participants.length, ...(scenario === 'unmasked' || scenario === 'other-parameters' ? {} : { mask: (c: number) => masks.maskChunk(c, test.slotCount) }) })) {
          call.write({ msg: { $case: 'ciphertext', value: { index, data: Buffer.from(ct) } } });
          index += 1;
          if (scenario === 'dies-mid-answer') {
            // The process "dies": connections are torn down with the answer incomplete.
            setTimeout(() => server.forceShutdown(), 20);
            return;
          }
        }
        call.end();
      })();
    },
  };
  server.addService(wire.NodeServiceService, service);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createSsl(ca, [{ private_key: key, cert_chain: cert }], true), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    port,
    envelopes,
    listVariants: listed,
    async close() {
      server.forceShutdown();
      enc.dispose();
      otherEnc.dispose();
      bfv.dispose();
      other.dispose();
    },
  };
}
