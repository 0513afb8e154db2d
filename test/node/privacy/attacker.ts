/**
 * A dishonest coordinator operator, for the attack tests (not a test): it
 * holds exactly what the coordinator holds - its TLS certificate and key,
 * its Ed25519 query-signing key, the BFV secret key, the researchers'
 * tokens, and the roster (public) - and speaks the node protocol directly,
 * so it can send any envelope, any participant set, relay any set of size
 * commitments (altered, dropped, forged) and decrypt any ciphertext it
 * receives. It never reads a site's secret (site folders are off limits).
 */
import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { credentials, Metadata, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { createBfv, getPreset, readKeyFile, type Bfv } from '../../../crypto/index.js';
import { signEnvelope, signedQueryToWire } from '../../../proto/convert/envelope.js';
import { commitmentFromWire, commitmentToWire, type SignedCommitment } from '../../../proto/convert/size-commitment.js';
import { variantsToWire, verifySignedHeader, type AnswerHeader } from '../../../proto/convert/variants.js';
import * as wire from '../../../proto/generated/genofed/v1/node.js';
import { fieldsPerSlot, PROTOCOL_VERSION, VARIANT_BATCH, variantListDigestHex, type QueryEnvelope, type QueryParams, type SignedQueryBytes } from '../../../proto/query.js';
import { parseSignedRoster, publicKeyFromBase64, rosterFingerprint, type SignedRoster } from '../../../proto/roster.js';
import type { VariantKey } from '../../../proto/variant.js';

export interface Refusal {
  readonly refused: true;
  readonly grpc: number;
  /** The node's stable code (`genofed-code` trailer), e.g. GENOFED_ROSTER_MISMATCH. */
  readonly code: string | undefined;
}

export interface Answer {
  readonly refused: false;
  readonly header: AnswerHeader;
  readonly ciphertexts: Uint8Array[];
}

function refusal(err: Partial<ServiceError>): Refusal {
  const c = err.metadata?.get('genofed-code')[0];
  return { refused: true, grpc: err.code ?? -1, code: typeof c === 'string' ? c : undefined };
}

/** The width each answer's values were packed at (its signed header: protocol 7), by its ciphertext list. */
const packBitsOf = new WeakMap<readonly Uint8Array[], number>();

/**
 * Packed slots (values mod t) split into `valueCount` values of `bits` bits
 * each, as the coordinator unpacks (proto/query.ts), without its range
 * check: a single site's slots are masked, so the attacker also splits
 * values that are not sums of fields (the top field keeps what is left).
 */
function unpackLenient(slots: readonly bigint[], bits: number, valueCount: number): bigint[] {
  const f = fieldsPerSlot(bits);
  const field = 1n << BigInt(bits);
  const out: bigint[] = [];
  for (const v0 of slots) {
    let v = v0;
    for (let m = 0; m < f && out.length < valueCount; m++) {
      out.push(m === f - 1 ? v : v % field);
      v /= field;
    }
  }
  return out;
}

/** One Aggregate call held open by the attacker: it sees the commitment, then decides what to relay. */
export class Session {
  readonly commitment: Promise<SignedCommitment | Refusal>;
  private readonly done: Promise<Answer | Refusal>;
  private resolveCommitment!: (c: SignedCommitment | Refusal) => void;

  constructor(private readonly call: ClientDuplexStream<wire.AggregateRequest, wire.AggregateResponse>, signingKey: KeyObject, first: wire.AggregateRequest[]) {
    this.commitment = new Promise((r) => { this.resolveCommitment = r; });
    let header: AnswerHeader | undefined;
    const cts: Uint8Array[] = [];
    this.done = new Promise((resolve) => {
      let failed = false;
      call.on('data', (m: wire.AggregateResponse) => {
        const msg = m.msg;
        if (msg?.$case === 'sizeCommitment') this.resolveCommitment(commitmentFromWire(msg.value));
        else if (msg?.$case === 'signedHeader') header = verifySignedHeader(msg.value, signingKey);
        else if (msg?.$case === 'ciphertext') cts.push(new Uint8Array(msg.value.data));
      });
      call.on('error', (err: ServiceError) => {
        failed = true;
        const r = refusal(err);
        this.resolveCommitment(r);
        resolve(r);
      });
      call.on('end', () => {
        if (failed) return;
        if (header) {
          packBitsOf.set(cts, header.packBits ?? 0);
          resolve({ refused: false, header, ciphertexts: cts });
        }
        else {
          const r: Refusal = { refused: true, grpc: -1, code: 'ENDED_WITHOUT_ANSWER' };
          this.resolveCommitment(r);
          resolve(r);
        }
      });
    });
    for (const m of first) call.write(m);
  }

  /** Send these commitments as the relay (any set the attacker likes) and wait for the answer or refusal. */
  async relay(commitments: readonly SignedCommitment[]): Promise<Answer | Refusal> {
    this.call.write({ msg: { $case: 'sizeRelay', value: { commitments: commitments.map(commitmentToWire) } } });
    this.call.end();
    return this.done;
  }

  /** Wait for the outcome without relaying (refusals before the commitment). */
  outcome(): Promise<Answer | Refusal> {
    return this.done;
  }

  cancel(): void {
    this.call.cancel();
  }
}

export class Attacker {
  private readonly clients = new Map<string, wire.NodeServiceClient>();

  private constructor(
    readonly signed: SignedRoster,
    readonly fingerprint: string,
    private readonly signingKey: KeyObject,
    private readonly tls: { ca: Buffer; cert: Buffer; key: Buffer },
    readonly bfv: Bfv,
    private readonly secretKey: Uint8Array,
    private readonly siteKeys: Map<string, KeyObject>,
  ) {}

  /** Everything from the coordinator's folder (what its operator holds), nothing from a site's. */
  static async fromCoordinator(coordinatorDir: string): Promise<Attacker> {
    const params = getPreset('test');
    const signed = parseSignedRoster(JSON.parse(await readFile(join(coordinatorDir, 'roster.json'), 'utf8')));
    const bfv = await createBfv(params);
    return new Attacker(
      signed, rosterFingerprint(signed.roster), createPrivateKey(await readFile(join(coordinatorDir, 'signing.key.pem'))),
      { ca: await readFile(join(coordinatorDir, 'ca.crt.pem')), cert: await readFile(join(coordinatorDir, 'coordinator.crt.pem')), key: await readFile(join(coordinatorDir, 'coordinator.key.pem')) },
      bfv, await readKeyFile(join(coordinatorDir, 'bfv.sk'), 'secret-key', params),
      new Map(signed.roster.sites.map((s) => [s.id, publicKeyFromBase64(s.signingKey, 'ed25519')])),
    );
  }

  get sites(): string[] {
    return this.signed.roster.sites.map((s) => s.id);
  }

  connect(site: string, port: number): void {
    this.clients.get(site)?.close();
    this.clients.set(site, new wire.NodeServiceClient(`127.0.0.1:${port}`, credentials.createSsl(this.tls.ca, this.tls.key, this.tls.cert, { checkServerIdentity: () => undefined })));
  }

  envelope(params: QueryParams, over: Partial<QueryEnvelope> = {}): QueryEnvelope {
    const now = Date.now();
    return {
      version: PROTOCOL_VERSION, queryId: randomUUID(), correlationId: randomUUID(), coordinatorId: this.signed.roster.coordinator.id,
      participants: this.sites, rosterFingerprint: this.fingerprint, issuedAtMs: now, expiresAtMs: now + 120_000, querier: 'mallory',
      cryptoFingerprint: getPreset('test').fingerprint, params, measurementPlaintext: false, ...over,
    };
  }

  sign(e: QueryEnvelope): SignedQueryBytes {
    return signEnvelope(e, this.signingKey);
  }

  /** Open an Aggregate call at `site` with this signed envelope and (for lists) the variants. */
  open(site: string, q: SignedQueryBytes, variants: readonly VariantKey[] = []): Session {
    const client = this.clients.get(site);
    if (!client) throw new Error(`attacker: no connection to ${site}`);
    const call = client.aggregate(new Metadata(), { deadline: new Date(Date.now() + 60_000) });
    const first: wire.AggregateRequest[] = [{ msg: { $case: 'query', value: signedQueryToWire(q) } }];
    for (let i = 0; i < variants.length; i += VARIANT_BATCH) first.push({ msg: { $case: 'variants', value: variantsToWire(variants.slice(i, i + VARIANT_BATCH)) } });
    return new Session(call, this.siteKeys.get(site)!, first);
  }

  /**
   * The whole protocol, honestly, at `sites` (default: the roster): open,
   * collect every commitment, relay them all, return each site's outcome.
   */
  async run(q: SignedQueryBytes, variants: readonly VariantKey[] = [], sites: readonly string[] = this.sites): Promise<Map<string, Answer | Refusal>> {
    const sessions = new Map(sites.map((s) => [s, this.open(s, q, variants)]));
    const commitments = await Promise.all([...sessions.values()].map((s) => s.commitment));
    const ok = commitments.filter((c): c is SignedCommitment => !('refused' in c));
    const out = new Map<string, Answer | Refusal>();
    await Promise.all([...sessions].map(async ([site, s]) => out.set(site, ok.length === sessions.size ? await s.relay(ok) : await (s.cancel(), s.outcome()))));
    return out;
  }

  /** Decrypt one site's ciphertexts, or the homomorphic sum of several sites', as values mod t. */
  decrypt(perSite: readonly (readonly Uint8Array[])[], valueCount: number): bigint[] {
    const slots = this.decryptSlots(perSite);
    // The nodes may have packed the values (protocol 7): split the slots as the coordinator does.
    const bits = packBitsOf.get(perSite[0]!) ?? 0;
    return bits === 0 ? slots.slice(0, valueCount) : unpackLenient(slots, bits, valueCount);
  }

  /**
   * The decrypted slots themselves, mod t (packed or not): what a masked
   * partial sum gives the attacker, uniform unless the masks cancelled.
   */
  decryptSlots(perSite: readonly (readonly Uint8Array[])[]): bigint[] {
    const agg = this.bfv.aggregator();
    const dec = this.bfv.decryptor(this.secretKey);
    try {
      const sums: Uint8Array[] = [];
      for (let i = 0; i < perSite[0]!.length; i++) {
        for (const s of perSite) agg.add(i, s[i]!);
        sums.push(agg.result(i));
      }
      return Array.from(dec.decryptVector(sums, sums.length * this.bfv.params.slotCount));
    } finally {
      agg.dispose();
      dec.dispose();
    }
  }

  /**
   * Decrypt an allele-count answer over a list (counters ac an nhomalt
   * sites per variant) and keep ac, an, nhomalt: 3 values per variant and
   * block, as the sites' counts are written in these tests.
   */
  decryptCounts(perSite: readonly (readonly Uint8Array[])[], variants: number, blocks = 1): bigint[] {
    return this.decrypt(perSite, 4 * variants * blocks).filter((_, i) => i % 4 !== 3);
  }

  listParams(cohort: string, variants: readonly VariantKey[], strata: readonly string[] = []): QueryParams {
    return { kind: 'allele-counts', cohort, variantCount: variants.length, variantsSha256: variantListDigestHex(variants), strata: [...strata], region: '' };
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.bfv.dispose();
  }
}

export function isRefusal(x: Answer | Refusal | SignedCommitment): x is Refusal {
  return 'refused' in x && x.refused === true;
}

/** Pearson chi-square of values mod t in `bins` equal bins against uniform. */
export function chiSquareUniform(values: readonly bigint[], t: bigint, bins: number): number {
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Number((v * BigInt(bins)) / t)]! += 1;
  const expected = values.length / bins;
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}
