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
  const { prefix, coeffCount, bits } = layout;
  if (sealBytes.byteLength !== prefix.byteLength + coeffCount * 8) {
    throw new CryptoError('GENOFED_CRYPTO_INTERNAL', `unexpected SEAL ciphertext length ${sealBytes.byteLength} (only size-2 ciphertexts are sent)`);
  }
  for (let i = 0; i < prefix.byteLength; i++) {
    if (sealBytes[i] !== prefix[i]) throw new CryptoError('GENOFED_CRYPTO_INTERNAL', 'unexpected SEAL ciphertext header (size, parms_id or form differs)');
  }
  const src = new Uint32Array(coeffCount * 2);
  new Uint8Array(src.buffer).set(sealBytes.subarray(prefix.byteLength));
  const words = new Uint32Array(Math.ceil((coeffCount * bits) / 32) + 1);
  const loBits = Math.min(bits, 32);
  const hiBits = bits - loBits;
  const loMask = loBits === 32 ? 0xffffffff : (1 << loBits) - 1;
  let pos = 0;
  for (let i = 0; i < coeffCount; i++) {
    // low word
    let v = (src[2 * i]! & loMask) >>> 0;
    let idx = pos >>> 5;
    let sh = pos & 31;
    words[idx] = (words[idx]! | (v << sh)) >>> 0;
    if (sh + loBits > 32) words[idx + 1] = (words[idx + 1]! | (v >>> (32 - sh))) >>> 0;
    pos += loBits;
    if (hiBits > 0) {
      v = src[2 * i + 1]!;
      idx = pos >>> 5;
      sh = pos & 31;
      words[idx] = (words[idx]! | (v << sh)) >>> 0;
      if (sh + hiBits > 32) words[idx + 1] = (words[idx + 1]! | (v >>> (32 - sh))) >>> 0;
      pos += hiBits;
    }
  }
  out.set(new Uint8Array(words.buffer, 0, layout.packedBytes));
}

/**
 * Rebuild SEAL's uncompressed ciphertext bytes from packed coefficients,
 * refusing any coefficient that is not below its prime.
 */
export function unpackCoefficients(layout: CoeffLayout, packed: Uint8Array): Uint8Array {
  const { prefix, coeffCount, bits, polyModulusDegree: n, moduli } = layout;
  if (packed.byteLength !== layout.packedBytes) {
    throw new CryptoError('GENOFED_CRYPTO_MALFORMED', `ciphertext data is ${packed.byteLength} bytes; ${layout.packedBytes} expected`);
  }
  const words = new Uint32Array(Math.ceil(layout.packedBytes / 4) + 1);
  new Uint8Array(words.buffer).set(packed);
  const dst = new Uint32Array(coeffCount * 2);
  const loBits = Math.min(bits, 32);
  const hiBits = bits - loBits;
  const loMask = loBits === 32 ? 0xffffffff : (1 << loBits) - 1;
  const hiMask = hiBits === 32 ? 0xffffffff : (1 << hiBits) - 1;
  const qLo = moduli.map((q) => Number(q & 0xffffffffn));
  const qHi = moduli.map((q) => Number(q >> 32n));
  let pos = 0;
  for (let i = 0; i < coeffCount; i++) {
    let idx = pos >>> 5;
    let sh = pos & 31;
    let lo = words[idx]! >>> sh;
    if (sh + loBits > 32) lo |= words[idx + 1]! << (32 - sh);
    lo = (lo & loMask) >>> 0;
    pos += loBits;
    let hi = 0;
    if (hiBits > 0) {
      idx = pos >>> 5;
      sh = pos & 31;
      hi = words[idx]! >>> sh;
      if (sh + hiBits > 32) hi |= words[idx + 1]! << (32 - sh);
      hi = (hi & hiMask) >>> 0;
      pos += hiBits;
    }
    const m = Math.floor(i / n) % moduli.length;
    const qh = qHi[m]!;
    if (hi > qh || (hi === qh && lo >= qLo[m]!)) {
      throw new CryptoError('GENOFED_CRYPTO_MALFORMED', `ciphertext coefficient ${i} is not below its modulus (corrupted or forged data)`);
    }
    dst[2 * i] = lo;
    dst[2 * i + 1] = hi;
  }
  const out = new Uint8Array(prefix.byteLength + coeffCount * 8);
  out.set(prefix);
  out.set(new Uint8Array(dst.buffer), prefix.byteLength);
  return out;
}
