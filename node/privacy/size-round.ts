/**
 * The size round: before any count leaves a node, every node learns the
 * network-wide size of each population of the query (the cohort, each
 * stratum cell, the carriers) and that every roster member received the
 * same signed envelope, in a way the coordinator can neither read nor
 * forge. Disclosure control at the coordinator binds researchers, not the
 * key holder; this check binds the key holder (a single-patient cohort
 * decrypted to that patient's genotype at 300/300 variants before it).
 *
 * Protocol, per query id Q under roster R (fingerprint F), envelope bytes E:
 *   shared_ij = X25519(sk_i, pk_j); salt = SHA-256(label, Q, F, SHA-256(E))
 *   mask_ij   = AES-256-CTR(HKDF(shared_ij, salt, "genofed size mask v1\0" lo "\0" hi)), u32 words
 *   c_i       = sizes_i + sum_j (+mask_ij if i < j else -mask_ij)   (mod 2^32)
 *   box_i->j  = AES-256-GCM(HKDF(shared_ij, salt, "genofed size box v1\0" i "\0" j), c_i),
 *               AAD = Q "\0" i "\0" j
 *   commitment_i = Ed25519_i(site i, Q, SHA-256(E), F, population count, boxes)
 * The coordinator relays all n commitments to every node. Each node checks
 * one valid commitment per roster member, every one over ITS envelope
 * digest (a coordinator that sent one site a single-patient cohort and the
 * others a large one is caught here), opens the boxes addressed to it and
 * sums: the masks cancel and it holds the network sizes. A node sees only
 * masked values of the others (uniform while a third member's pairwise
 * mask is unknown to it: rosters have >= 3 members); the coordinator sees
 * only ciphertexts.
 */
import { createCipheriv, createDecipheriv, createHash, diffieHellman, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { decodeCommitmentBody, signCommitment, verifyCommitmentSignature, type SignedCommitment, type SizeBox } from '../../proto/convert/size-commitment.js';
import { publicKeyFromBase64, type Roster } from '../../proto/roster.js';
import { NodeError } from '../errors.js';

const LABEL = 'genofed size round v1';

export interface SizeRoundContext {
  readonly selfId: string;
  readonly selfX25519: KeyObject;
  readonly selfSigning: KeyObject;
  readonly roster: Roster;
  readonly rosterFingerprint: string;
  readonly queryId: string;
  /** The exact signed envelope bytes this node received. */
  readonly envelope: Uint8Array;
}

interface PairKeys {
  readonly maskSeed: Buffer;
  readonly boxOut: Buffer; // self -> other
  readonly boxIn: Buffer; // other -> self
  readonly sign: 1 | -1;
}

function sha256(...parts: (string | Uint8Array)[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    h.update(len).update(b);
  }
  return h.digest();
}

/** Why exported: the service compares it with the digests other sites signed. */
export function envelopeDigest(envelope: Uint8Array): Buffer {
  return createHash('sha256').update(envelope).digest();
}

/** Roster keys as KeyObjects, parsed once per roster (SPKI parsing was a third of a round's CPU). */
const parsedKeys = new WeakMap<Roster, Map<string, { x25519: KeyObject; signing: KeyObject }>>();
function rosterKeys(roster: Roster): Map<string, { x25519: KeyObject; signing: KeyObject }> {
  let m = parsedKeys.get(roster);
  if (!m) {
    m = new Map(roster.sites.map((s) => [s.id, { x25519: publicKeyFromBase64(s.x25519, 'x25519'), signing: publicKeyFromBase64(s.signingKey, 'ed25519') }]));
    parsedKeys.set(roster, m);
  }
  return m;
}

function pairKeys(ctx: SizeRoundContext): Map<string, PairKeys> {
  const salt = sha256(LABEL, ctx.queryId, ctx.rosterFingerprint, envelopeDigest(ctx.envelope));
  const out = new Map<string, PairKeys>();
  for (const site of ctx.roster.sites) {
    if (site.id === ctx.selfId) continue;
    const shared = diffieHellman({ privateKey: ctx.selfX25519, publicKey: rosterKeys(ctx.roster).get(site.id)!.x25519 });
    if (shared.every((b) => b === 0)) throw new NodeError('GENOFED_MASK_SETUP', `participant ${site.id} has a low-order X25519 public key`);
    const lo = ctx.selfId < site.id ? ctx.selfId : site.id;
    const hi = lo === ctx.selfId ? site.id : ctx.selfId;
    const k = (info: string): Buffer => Buffer.from(hkdfSync('sha256', shared, salt, Buffer.from(info, 'utf8'), 32));
    out.set(site.id, {
      maskSeed: k(`genofed size mask v1\0${lo}\0${hi}`),
      boxOut: k(`genofed size box v1\0${ctx.selfId}\0${site.id}`),
      boxIn: k(`genofed size box v1\0${site.id}\0${ctx.selfId}`),
      sign: lo === ctx.selfId ? 1 : -1,
    });
    shared.fill(0);
  }
  return out;
}

function maskWords(seed: Buffer, n: number): Uint32Array {
  const bytes = createCipheriv('aes-256-ctr', seed, Buffer.alloc(16)).update(Buffer.alloc(n * 4));
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = bytes.readUInt32LE(i * 4);
  return out;
}

function aad(queryId: string, from: string, to: string): Buffer {
  return Buffer.from(`${queryId}\0${from}\0${to}`, 'utf8');
}

function wordsToBytes(w: Uint32Array): Buffer {
  const b = Buffer.alloc(w.length * 4);
  for (let i = 0; i < w.length; i++) b.writeUInt32LE(w[i]!, i * 4);
  return b;
}

/** The state a node keeps between sending its commitment and receiving the relay. */
export interface PendingSizeRound {
  readonly commitment: SignedCommitment;
  /** This node's masked sizes c_self (it sums them with the others'). */
  readonly masked: Uint32Array;
  readonly keys: Map<string, PairKeys>;
}

/** Mask this node's local population sizes, box them for every other member, sign. */
export function commitSizes(ctx: SizeRoundContext, sizes: readonly number[]): PendingSizeRound {
  for (const s of sizes) if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) throw new RangeError('a population size must be an integer in [0, 2^32)');
  const keys = pairKeys(ctx);
  const masked = Uint32Array.from(sizes);
  for (const pk of keys.values()) {
    const m = maskWords(pk.maskSeed, sizes.length);
    for (let i = 0; i < sizes.length; i++) masked[i] = pk.sign === 1 ? (masked[i]! + m[i]!) >>> 0 : (masked[i]! - m[i]!) >>> 0;
  }
  const plain = wordsToBytes(masked);
  const boxes: SizeBox[] = [];
  for (const [other, pk] of keys) {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', pk.boxOut, nonce);
    c.setAAD(aad(ctx.queryId, ctx.selfId, other));
    const ct = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
    boxes.push({ recipient: other, nonce, ciphertext: ct });
  }
  const commitment = signCommitment({
    siteId: ctx.selfId, queryId: ctx.queryId, envelopeSha256: envelopeDigest(ctx.envelope), rosterFingerprint: ctx.rosterFingerprint, populationCount: sizes.length, boxes,
  }, ctx.selfSigning);
  return { commitment, masked, keys };
}

function refuse(what: string): never {
  throw new NodeError('GENOFED_SIZE_ROUND', `query refused: size round: ${what}`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

/**
 * Check the relayed commitments and return the network-wide size of each
 * population. Throws GENOFED_SIZE_ROUND when the relay is not exactly one
 * valid commitment of every roster member for this query (with this
 * node's own commitment unchanged), and GENOFED_ENVELOPE_MISMATCH when
 * some member signed another envelope digest.
 */
export function networkSizes(ctx: SizeRoundContext, pending: PendingSizeRound, relay: readonly SignedCommitment[]): number[] {
  const members = ctx.roster.sites;
  if (relay.length !== members.length) refuse(`${relay.length} commitments relayed, the roster has ${members.length} members`);
  const digest = envelopeDigest(ctx.envelope);
  const n = pending.masked.length;
  const totals = Uint32Array.from(pending.masked);
  const seen = new Set<string>();
  let mismatch = false;
  for (const c of relay) {
    let body;
    try {
      body = decodeCommitmentBody(c.body);
    } catch {
      refuse('a commitment does not decode');
    }
    const member = members.find((m) => m.id === body.siteId);
    if (!member) refuse('a commitment from a site outside the roster');
    if (seen.has(member.id)) refuse('two commitments from one site');
    seen.add(member.id);
    if (!verifyCommitmentSignature(c, rosterKeys(ctx.roster).get(member.id)!.signing)) refuse(`the commitment of ${member.id} is not signed by its roster key`);
    if (body.queryId !== ctx.queryId) refuse(`the commitment of ${member.id} is for another query`);
    if (body.rosterFingerprint !== ctx.rosterFingerprint) refuse(`the commitment of ${member.id} names another roster`);
    if (!sameBytes(body.envelopeSha256, digest)) mismatch = true;
    if (body.populationCount !== n) refuse(`the commitment of ${member.id} has ${body.populationCount} populations, this node ${n}`);
    if (member.id === ctx.selfId) {
      if (!sameBytes(c.body, pending.commitment.body) || !sameBytes(c.signature, pending.commitment.signature)) refuse('this node\'s own commitment was altered in the relay');
      continue;
    }
    const others = members.filter((m) => m.id !== member.id).map((m) => m.id);
    if (body.boxes.length !== others.length || !others.every((o) => body.boxes.filter((b) => b.recipient === o).length === 1)) refuse(`the commitment of ${member.id} does not hold one box per other member`);
    if (mismatch) continue; // reported below, after every signature was checked
    const box = body.boxes.find((b) => b.recipient === ctx.selfId)!;
    const pk = pending.keys.get(member.id)!;
    let plain: Buffer;
    try {
      if (box.nonce.length !== 12 || box.ciphertext.length !== n * 4 + 16) throw new Error('length');
      const d = createDecipheriv('aes-256-gcm', pk.boxIn, box.nonce);
      d.setAAD(aad(ctx.queryId, member.id, ctx.selfId));
      d.setAuthTag(box.ciphertext.subarray(n * 4));
      plain = Buffer.concat([d.update(box.ciphertext.subarray(0, n * 4)), d.final()]);
    } catch {
      refuse(`the box of ${member.id} for this node does not decrypt`);
    }
    for (let i = 0; i < n; i++) totals[i] = (totals[i]! + plain.readUInt32LE(i * 4)) >>> 0;
  }
  if (mismatch) throw new NodeError('GENOFED_ENVELOPE_MISMATCH', 'query refused: another roster member received a different envelope under this query id');
  return Array.from(totals);
}
