/**
 * Pairwise secure-aggregation masks (Bonawitz et al. 2017, without the
 * dropout-recovery secret sharing: a round whose participant set changes is
 * restarted with a fresh query id, so no mask is ever reused).
 *
 * For query Q and participant set P, sites i and j derive
 *   shared  = X25519(sk_i, pk_j)                              (= X25519(sk_j, pk_i))
 *   salt    = SHA-256(canonical(Q, P))
 *   seed_ij = HKDF-SHA256(shared, salt, "genofed mask v1\0" || min(i,j) || "\0" || max(i,j))
 * and expand seed_ij with AES-256-CTR into values uniform mod t (rejection
 * sampling of ceil(log2 t)-bit words). Site i adds +m_ij when i < j and
 * -m_ij otherwise, so the masks of all participants sum to 0 mod t and any
 * proper subset's sum is uniform to whoever lacks a pairwise secret.
 *
 * Slot s of the vector takes its mask from block floor(s / MASK_BLOCK) (each
 * block its own CTR stream, IV = block index), so the mask of a slot does not
 * depend on how the caller chunks the vector: `maskChunk(c, slotCount)` for
 * any slotCount and `maskVector` give the same value for the same slot.
 *
 * Imports node built-ins and node/errors.ts only (which imports proto/).
 */
import { createCipheriv, createHash, createPublicKey, createPrivateKey, diffieHellman, hkdfSync, type KeyObject } from 'node:crypto';
import { endianness } from 'node:os';
import { NodeError } from '../errors.js';

/** Domain-separation label of the derivation; bump it if anything above changes. */
export const MASK_INFO_LABEL = 'genofed mask v1';

/**
 * Slots per CTR stream. 4,096 divides the slot count of both presets (4,096
 * and 8,192), so a ciphertext chunk never expands a block twice; a smaller N
 * still gets the same masks, re-expanding the block per chunk. Setting up
 * one AES-CTR cipher costs ~20 us, as much as expanding ~1,000 slots:
 * one site of 20 masked 1M slots in 470 ms with 1,024-slot blocks, 254 ms
 * with 4,096 (3 sites: 34 ms).
 */
export const MASK_BLOCK = 4096;

/** Which site's X25519 public key is which (site id -> key); from the consortium roster. */
export type X25519Roster = ReadonlyMap<string, KeyObject>;

/** Why: every entry point takes the same description of one query's round. */
export interface MaskOptions {
  /** This site's id (must be in `participants`). */
  readonly selfId: string;
  /** This site's X25519 private key (`sites/<id>/x25519.key.pem`). */
  readonly selfPrivateKey: KeyObject;
  /** Public keys of (at least) every participant. */
  readonly roster: X25519Roster;
  /** The signed query envelope's id: a fresh id gives unrelated masks. */
  readonly queryId: string;
  /** The signed participant set (any order; duplicates are refused). */
  readonly participants: readonly string[];
  /** BFV plain modulus t (crypto/ refuses t >= 2^32, so masks are Uint32Array). */
  readonly plainModulus: bigint;
}

/** Why: the node encrypts chunk by chunk, so masks are made on demand (a 1M-slot query never holds them all). */
export interface MaskStream {
  /** Masks (mod t) for slots [chunkIndex * slotCount, (chunkIndex + 1) * slotCount). */
  maskChunk(chunkIndex: number, slotCount: number): Uint32Array;
}

/** Why: a PEM file from `network init` (`x25519.key.pem` / `x25519.pub.pem`) into a checked key object. */
export function x25519KeyFromPem(pem: string, kind: 'public' | 'private'): KeyObject {
  let key: KeyObject;
  try {
    key = kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem);
  } catch (cause) {
    throw new NodeError('GENOFED_MASK_SETUP', `an X25519 ${kind} key is not a valid PEM key`, { cause });
  }
  if (key.asymmetricKeyType !== 'x25519') {
    throw new NodeError('GENOFED_MASK_SETUP', `a ${kind} key of type ${String(key.asymmetricKeyType)} was given where an X25519 key is needed`);
  }
  return key;
}

/**
 * Canonical, unambiguous encoding of (query id, participant set): each
 * string length-prefixed (u32 BE), participants sorted by code unit.
 * Why exported: the coordinator and tests can compute the same salt.
 */
export function maskSalt(queryId: string, participants: readonly string[]): Buffer {
  const h = createHash('sha256');
  const put = (s: string): void => {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    h.update(len).update(b);
  };
  put(MASK_INFO_LABEL);
  put(queryId);
  const sorted = sortedParticipants(participants);
  const n = Buffer.alloc(4);
  n.writeUInt32BE(sorted.length);
  h.update(n);
  for (const p of sorted) put(p);
  return h.digest();
}

function sortedParticipants(participants: readonly string[]): string[] {
  const sorted = [...participants].sort(compareIds);
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k] === sorted[k - 1]) throw new NodeError('GENOFED_MASK_SETUP', 'the participant set lists a site twice');
  }
  return sorted;
}

/** Code-unit order (not locale): every site must agree on min(i, j). */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Pair {
  readonly seed: Buffer; // 32 bytes: the AES-256 key
  readonly sign: 1 | -1; // +1 when self < other
}

/** Why: derives the pairwise seeds once per query; chunks are then pure PRG work. */
export function createMaskStream(opts: MaskOptions): MaskStream {
  const t = checkModulus(opts.plainModulus);
  const sorted = sortedParticipants(opts.participants);
  if (!sorted.includes(opts.selfId)) throw new NodeError('GENOFED_MASK_SETUP', 'this site is not in the participant set');
  if (sorted.length < 2) throw new NodeError('GENOFED_MASK_SETUP', 'masks need at least two participants');
  if (opts.selfPrivateKey.type !== 'private' || opts.selfPrivateKey.asymmetricKeyType !== 'x25519') {
    throw new NodeError('GENOFED_MASK_SETUP', "this site's mask key is not an X25519 private key");
  }
  const salt = maskSalt(opts.queryId, sorted);
  const pairs: Pair[] = [];
  for (const other of sorted) {
    if (other === opts.selfId) continue;
    const pk = opts.roster.get(other);
    if (pk === undefined || pk.asymmetricKeyType !== 'x25519') {
      throw new NodeError('GENOFED_MASK_SETUP', `participant ${other} has no X25519 public key in the roster`);
    }
    let shared: Buffer;
    try {
      shared = diffieHellman({ privateKey: opts.selfPrivateKey, publicKey: pk });
    } catch (cause) {
      throw new NodeError('GENOFED_MASK_SETUP', `X25519 with participant ${other} failed`, { cause });
    }
    // RFC 7748 s6.1: an all-zero output means a low-order public key; refuse it.
    if (shared.every((b) => b === 0)) throw new NodeError('GENOFED_MASK_SETUP', `participant ${other} has a low-order X25519 public key`);
    const lo = compareIds(opts.selfId, other) < 0 ? opts.selfId : other;
    const hi = lo === opts.selfId ? other : opts.selfId;
    const info = Buffer.from(`${MASK_INFO_LABEL}\0${lo}\0${hi}`, 'utf8');
    const seed = Buffer.from(hkdfSync('sha256', shared, salt, info, 32));
    shared.fill(0);
    pairs.push({ seed, sign: lo === opts.selfId ? 1 : -1 });
  }
  const bits = bitLength(t - 1);
  const wordMask = bits === 32 ? 0xffffffff : 2 ** bits - 1;
  const block = new Uint32Array(MASK_BLOCK);

  return {
    maskChunk(chunkIndex: number, slotCount: number): Uint32Array {
      if (!Number.isSafeInteger(chunkIndex) || chunkIndex < 0) throw new RangeError('chunkIndex must be a non-negative integer');
      if (!Number.isSafeInteger(slotCount) || slotCount < 1) throw new RangeError('slotCount must be a positive integer');
      const out = new Uint32Array(slotCount);
      const start = chunkIndex * slotCount;
      const end = start + slotCount;
      for (const pair of pairs) {
        for (let b = Math.floor(start / MASK_BLOCK); b * MASK_BLOCK < end; b++) {
          expandBlock(pair.seed, b, t, wordMask, block);
          const from = Math.max(start, b * MASK_BLOCK);
          const to = Math.min(end, (b + 1) * MASK_BLOCK);
          for (let s = from; s < to; s++) {
            const m = block[s - b * MASK_BLOCK]!;
            const k = s - start;
            // Both operands < t < 2^32: sums stay exact in doubles.
            const v = pair.sign === 1 ? out[k]! + m : out[k]! + (t - m);
            out[k] = v >= t ? v - t : v;
          }
        }
      }
      return out;
    },
  };
}

/** Why: tests and small queries want the whole vector at once; same values as the chunks. */
export function maskVector(opts: MaskOptions & { readonly length: number }): Uint32Array {
  if (!Number.isSafeInteger(opts.length) || opts.length < 1) throw new RangeError('length must be a positive integer');
  return createMaskStream(opts).maskChunk(0, opts.length);
}

function checkModulus(plainModulus: bigint): number {
  if (typeof plainModulus !== 'bigint' || plainModulus < 2n || plainModulus >= 2n ** 32n) {
    throw new RangeError('plainModulus must be a bigint in [2, 2^32) (crypto/ refuses larger t)');
  }
  return Number(plainModulus);
}

function bitLength(x: number): number {
  let bits = 0;
  while (x > 0) {
    bits++;
    x = Math.floor(x / 2);
  }
  return Math.max(bits, 1);
}

const ZERO_BUFFER = Buffer.alloc(MASK_BLOCK * 4 + 1024);

/**
 * Fills `out` with MASK_BLOCK values uniform in [0, t): AES-256-CTR keyed by
 * the pair seed, IV = block index (u64 BE) || 0^64, read as u32 LE words
 * cut to `bits` bits, rejecting values >= t (at most half rejected, since
 * 2^(bits-1) < t; a 30-bit t near 2^30 rejects ~0.3%).
 */
function expandBlock(seed: Buffer, blockIndex: number, t: number, wordMask: number, out: Uint32Array): void {
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(blockIndex), 0);
  const cipher = createCipheriv('aes-256-ctr', seed, iv);
  let filled = 0;
  // First pull: the expected need plus slack (4 B per value, <= 2x rejections worst case).
  let bytes = cipher.update(ZERO_BUFFER.subarray(0, MASK_BLOCK * 4 + 1024));
  for (;;) {
    const words = wordsLE(bytes);
    for (let w = 0; w < words.length && filled < MASK_BLOCK; w++) {
      const v = (words[w]! & wordMask) >>> 0;
      if (v < t) out[filled++] = v;
    }
    if (filled === MASK_BLOCK) return;
    bytes = cipher.update(ZERO_BUFFER.subarray(0, 4096));
  }
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * The keystream as little-endian u32 words on every platform (all sites must
 * read the same values): a typed-array view on little-endian hosts, a copy
 * through readUInt32LE otherwise.
 */
function wordsLE(bytes: Buffer): Uint32Array {
  const n = bytes.length >>> 2;
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, n);
  const out = new Uint32Array(n);
  for (let w = 0; w < n; w++) out[w] = bytes.readUInt32LE(w * 4);
  return out;
}
