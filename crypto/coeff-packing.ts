/**
 * Tight packing of SEAL ciphertext coefficients for the wire.
 *
 * SEAL stores each coefficient (< a 60-bit prime) in 64 bits, so a size-2
 * ciphertext at N=8192 is 131,185 bytes = 16.01 B per count, and zstd does
 * not shrink it (coefficients are uniformly random mod q; measured 131,200
 * bytes with SEAL's own zstd mode). Packing each coefficient in exactly
 * ceil(log2 q) = 60 bits gives 122,880 bytes = 15.0 B per count.
 *
 * The SEAL bytes before the coefficients (SEAL header, parms_id, NTT flag,
 * size 2, N, number of primes, scale, correction factor, array header) are
 * the same for every well-formed ciphertext under one parameter set, so they
 * are not sent: `prefix` is captured once from a real ciphertext, compared
 * on pack (anything else, e.g. a size-3 ciphertext, is refused), and
 * re-attached on unpack. The wire format therefore cannot express a
 * ciphertext of another size or parms_id; every unpacked coefficient is
 * checked to be below its prime before SEAL sees it.
 */
import { endianness } from 'node:os';
import { CryptoError } from './errors.js';

// Typed-array views below assume the host and WASM byte order agree.
if (endianness() !== 'LE') throw new CryptoError('GENOFED_CRYPTO_INTERNAL', 'crypto/ needs a little-endian host');

export interface CoeffLayout {
  /** SEAL serialization bytes before the coefficient data. */
  readonly prefix: Uint8Array;
  /** Coefficients in a ciphertext: size (2) x primes x N. */
  readonly coeffCount: number;
  readonly polyModulusDegree: number;
  readonly moduli: readonly bigint[];
  /** Bits per packed coefficient: bit length of the largest prime. */
  readonly bits: number;
  /** Bytes of the packed coefficient data. */
  readonly packedBytes: number;
}

export function makeLayout(prefix: Uint8Array, polyModulusDegree: number, moduli: readonly bigint[], size = 2): CoeffLayout {
  const bits = Math.max(...moduli.map((q) => q.toString(2).length));
  const coeffCount = size * moduli.length * polyModulusDegree;
  return Object.freeze({ prefix: prefix.slice(), coeffCount, polyModulusDegree, moduli, bits, packedBytes: Math.ceil((coeffCount * bits) / 8) });
}

/** Pack SEAL's uncompressed ciphertext bytes into `out` (packedBytes long). */
export function packCoefficients(layout: CoeffLayout, sealBytes: Uint8Array, out: Uint8Array): void {
  packWords(layout, sealWords(layout, sealBytes), out);
}

/**
 * SEAL's ciphertext coefficients as an aligned copy of little-endian u32
 * pairs (lo, hi), after checking the bytes before them match the layout.
 */
export function sealWords(layout: CoeffLayout, sealBytes: Uint8Array, into?: Uint32Array): Uint32Array {
  const { prefix, coeffCount } = layout;
  if (sealBytes.byteLength !== prefix.byteLength + coeffCount * 8) {
    throw new CryptoError('GENOFED_CRYPTO_INTERNAL', `unexpected SEAL ciphertext length ${sealBytes.byteLength} (only size-2 ciphertexts are sent)`);
  }
  for (let i = 0; i < prefix.byteLength; i++) {
    if (sealBytes[i] !== prefix[i]) throw new CryptoError('GENOFED_CRYPTO_INTERNAL', 'unexpected SEAL ciphertext header (size, parms_id or form differs)');
  }
  const src = into && into.length === coeffCount * 2 ? into : new Uint32Array(coeffCount * 2);
  new Uint8Array(src.buffer, src.byteOffset, src.byteLength).set(sealBytes.subarray(prefix.byteLength));
  return src;
}

/** Pack u32 pairs (every coefficient below its prime) into `out`. */
export function packWords(layout: CoeffLayout, src: Uint32Array, out: Uint8Array): void {
  if (isFast60(layout) && out.byteOffset % 4 === 0 && out.byteLength === layout.packedBytes && layout.packedBytes % 4 === 0) {
    // Straight into the envelope (no 123 KB temporary per ciphertext).
    pack60(src, layout.coeffCount, new Uint32Array(out.buffer, out.byteOffset, layout.packedBytes / 4));
    return;
  }
  const words = isFast60(layout) ? pack60(src, layout.coeffCount) : packBits(src, layout.coeffCount, layout.bits);
  out.set(new Uint8Array(words.buffer, 0, layout.packedBytes));
}

/** Any width from 2 to 64 bits, via a bit accumulator. */
function packBits(src: Uint32Array, coeffCount: number, bits: number): Uint32Array {
  const words = new Uint32Array(Math.ceil((coeffCount * bits) / 32) + 2);
  const loBits = Math.min(bits, 32);
  const hiBits = bits - loBits;
  const loMask = loBits === 32 ? 0xffffffff : 2 ** loBits - 1;
  // Bit accumulator: `acc` holds `accBits` (< 32) pending bits; full words are flushed.
  let acc = 0;
  let accBits = 0;
  let w = 0;
  const put = (v: number, n: number): void => {
    acc = (acc | (v << accBits)) >>> 0;
    const total = accBits + n;
    if (total >= 32) {
      words[w++] = acc;
      // bits of v not yet stored (none when accBits was 0 and n was 32)
      acc = accBits === 0 ? 0 : v >>> (32 - accBits);
      accBits = total - 32;
    } else {
      accBits = total;
    }
  };
  for (let i = 0; i < coeffCount; i++) {
    put((src[2 * i]! & loMask) >>> 0, loBits);
    if (hiBits > 0) put(src[2 * i + 1]!, hiBits);
  }
  if (accBits > 0) words[w] = acc;
  return words;
}

/** Reusable buffers for unpacking (decryption unpacks every summed ciphertext; the Float64 sums every added one). */
export interface UnpackScratch {
  readonly words: Uint32Array;
  readonly dst: Uint32Array;
  readonly out: Uint8Array;
}

export function unpackScratch(layout: CoeffLayout): UnpackScratch {
  return {
    words: new Uint32Array(Math.ceil(layout.packedBytes / 4) + 2),
    dst: new Uint32Array(layout.coeffCount * 2),
    out: new Uint8Array(layout.prefix.byteLength + layout.coeffCount * 8),
  };
}

/**
 * Rebuild SEAL's uncompressed ciphertext bytes from packed coefficients,
 * refusing any coefficient that is not below its prime. With `scratch`, the
 * result is scratch.out, valid until the next call with the same scratch.
 */
export function unpackCoefficients(layout: CoeffLayout, packed: Uint8Array, scratch: UnpackScratch = unpackScratch(layout)): Uint8Array {
  const dst = unpackWords(layout, packed, scratch);
  const { out } = scratch;
  out.set(layout.prefix);
  out.set(new Uint8Array(dst.buffer), layout.prefix.byteLength);
  return out;
}

/**
 * Packed coefficients as u32 pairs (lo, hi), each coefficient checked to
 * be below its prime. The result is scratch.dst, valid until the next call
 * with the same scratch.
 */
export function unpackWords(layout: CoeffLayout, packed: Uint8Array, scratch: UnpackScratch): Uint32Array {
  const { coeffCount, bits, polyModulusDegree: n, moduli } = layout;
  if (packed.byteLength !== layout.packedBytes) {
    throw new CryptoError('GENOFED_CRYPTO_MALFORMED', `ciphertext data is ${packed.byteLength} bytes; ${layout.packedBytes} expected`);
  }
  const { words, dst } = scratch;
  new Uint8Array(words.buffer).set(packed);
  if (isFast60(layout)) unpack60(words, dst, coeffCount, moduli[0]!);
  else unpackBits(words, dst, coeffCount, bits, n, moduli);
  return dst;
}

function notBelow(i: number): CryptoError {
  return new CryptoError('GENOFED_CRYPTO_MALFORMED', `ciphertext coefficient ${i} is not below its modulus (corrupted or forged data)`);
}

function unpackBits(words: Uint32Array, dst: Uint32Array, coeffCount: number, bits: number, n: number, moduli: readonly bigint[]): void {
  const loBits = Math.min(bits, 32);
  const hiBits = bits - loBits;
  let w = 0;
  let acc = 0;
  let accBits = 0;
  const take = (k: number): number => {
    // k in 1..32 bits, little-endian bit order, as written by packCoefficients
    if (accBits >= k) {
      const v = k === 32 ? acc : acc & (2 ** k - 1);
      acc = k === 32 ? 0 : acc >>> k;
      accBits -= k;
      return v >>> 0;
    }
    const next = words[w++]!;
    const need = k - accBits;
    const v = (acc | (accBits === 32 ? 0 : next << accBits)) >>> 0;
    const masked = k === 32 ? v : v & (2 ** k - 1);
    acc = need === 32 ? 0 : next >>> need;
    accBits = 32 - need;
    return masked >>> 0;
  };
  let i = 0;
  for (let block = 0; block < coeffCount / n; block++) {
    // one polynomial component under one prime: a fixed bound for n coefficients
    const q = moduli[block % moduli.length]!;
    const qLo = Number(q & 0xffffffffn);
    const qHi = Number(q >> 32n);
    for (let j = 0; j < n; j++, i++) {
      const lo = take(loBits);
      const hi = hiBits > 0 ? take(hiBits) : 0;
      if (hi > qHi || (hi === qHi && lo >= qLo)) throw notBelow(i);
      dst[2 * i] = lo;
      dst[2 * i + 1] = hi;
    }
  }
}

/*
 * Fast path for the presets (one 60-bit prime): 8 coefficients are exactly
 * 15 words. Coefficient k of a group starts at bit 60k, i.e. word
 * floor(60k/32) at shift 60k mod 32 (0, 28, 24, ..., 4). Measured (CPU time,
 * N=8192): the generic accumulator took 0.30 ms to pack and 0.45 ms to unpack
 * a ciphertext, 18% of an encryption and 20x SEAL's own load; this path is
 * straight-line shifts.
 */
function isFast60(layout: CoeffLayout): boolean {
  return layout.bits === 60 && layout.moduli.length === 1 && layout.coeffCount % 8 === 0;
}

const M28 = 0x0fffffff;

function pack60(src: Uint32Array, coeffCount: number, into?: Uint32Array): Uint32Array {
  const words = into ?? new Uint32Array((coeffCount / 8) * 15 + 2);
  for (let g = 0, s = 0, w = 0; g < coeffCount; g += 8, s += 16, w += 15) {
    const l0 = src[s]!, h0 = src[s + 1]!, l1 = src[s + 2]!, h1 = src[s + 3]!;
    const l2 = src[s + 4]!, h2 = src[s + 5]!, l3 = src[s + 6]!, h3 = src[s + 7]!;
    const l4 = src[s + 8]!, h4 = src[s + 9]!, l5 = src[s + 10]!, h5 = src[s + 11]!;
    const l6 = src[s + 12]!, h6 = src[s + 13]!, l7 = src[s + 14]!, h7 = src[s + 15]!;
    words[w] = l0;
    words[w + 1] = h0 | (l1 << 28);
    words[w + 2] = (l1 >>> 4) | (h1 << 28);
    words[w + 3] = (h1 >>> 4) | (l2 << 24);
    words[w + 4] = (l2 >>> 8) | (h2 << 24);
    words[w + 5] = (h2 >>> 8) | (l3 << 20);
    words[w + 6] = (l3 >>> 12) | (h3 << 20);
    words[w + 7] = (h3 >>> 12) | (l4 << 16);
    words[w + 8] = (l4 >>> 16) | (h4 << 16);
    words[w + 9] = (h4 >>> 16) | (l5 << 12);
    words[w + 10] = (l5 >>> 20) | (h5 << 12);
    words[w + 11] = (h5 >>> 20) | (l6 << 8);
    words[w + 12] = (l6 >>> 24) | (h6 << 8);
    words[w + 13] = (h6 >>> 24) | (l7 << 4);
    words[w + 14] = (l7 >>> 28) | (h7 << 4);
  }
  return words;
}

/**
 * Add packed coefficients into running sums of their low 32 bits (`lo`)
 * and high bits (`hi`), refusing any coefficient not below its prime
 * (nothing is added then: every coefficient is checked before the first
 * addition). The coordinator's sums for layouts other than the presets'
 * (float-sums.ts); the presets' go through sum-kernel.ts.
 */
export function accumulateCoefficients(layout: CoeffLayout, packed: Uint8Array, scratch: UnpackScratch, lo: Float64Array, hi: Float64Array): void {
  const w = unpackWords(layout, packed, scratch);
  for (let i = 0, j = 0; i < layout.coeffCount; i++, j += 2) {
    lo[i]! += w[j]!;
    hi[i]! += w[j + 1]!;
  }
}

function unpack60(words: Uint32Array, dst: Uint32Array, coeffCount: number, q: bigint): void {
  const qLo = Number(q & 0xffffffffn);
  const qHi = Number(q >> 32n);
  for (let g = 0, w = 0, d = 0; g < coeffCount; g += 8, w += 15, d += 16) {
    const w0 = words[w]!, w1 = words[w + 1]!, w2 = words[w + 2]!, w3 = words[w + 3]!, w4 = words[w + 4]!;
    const w5 = words[w + 5]!, w6 = words[w + 6]!, w7 = words[w + 7]!, w8 = words[w + 8]!, w9 = words[w + 9]!;
    const w10 = words[w + 10]!, w11 = words[w + 11]!, w12 = words[w + 12]!, w13 = words[w + 13]!, w14 = words[w + 14]!;
    dst[d] = w0;
    dst[d + 1] = w1 & M28;
    dst[d + 2] = (w1 >>> 28) | (w2 << 4);
    dst[d + 3] = ((w2 >>> 28) | (w3 << 4)) & M28;
    dst[d + 4] = (w3 >>> 24) | (w4 << 8);
    dst[d + 5] = ((w4 >>> 24) | (w5 << 8)) & M28;
    dst[d + 6] = (w5 >>> 20) | (w6 << 12);
    dst[d + 7] = ((w6 >>> 20) | (w7 << 12)) & M28;
    dst[d + 8] = (w7 >>> 16) | (w8 << 16);
    dst[d + 9] = ((w8 >>> 16) | (w9 << 16)) & M28;
    dst[d + 10] = (w9 >>> 12) | (w10 << 20);
    dst[d + 11] = ((w10 >>> 12) | (w11 << 20)) & M28;
    dst[d + 12] = (w11 >>> 8) | (w12 << 24);
    dst[d + 13] = ((w12 >>> 8) | (w13 << 24)) & M28;
    dst[d + 14] = (w13 >>> 4) | (w14 << 28);
    dst[d + 15] = w14 >>> 4;
    // Every coefficient below q (hi < qHi is the common case: q is just under 2^60).
    for (let k = d; k < d + 16; k += 2) {
      const hi = dst[k + 1]!;
      if (hi >= qHi && (hi > qHi || dst[k]! >= qLo)) throw notBelow(k / 2);
    }
  }
}
