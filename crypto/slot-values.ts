/**
 * Conversions between count vectors and BFV slots: filling the encoder's
 * input (values + mask mod t, with every value checked against its bound),
 * and the views of decrypted sums (centered for signed noise shares, plain
 * numbers for callers that do not want bigint).
 */
import { CryptoError } from './errors.js';

/** Non-negative integer counts; any length for vectors, <= slotCount for one chunk. */
export type Counts = ArrayLike<number> | BigUint64Array;

/** A per-slot additive mask for one ciphertext chunk: slotCount values, each < t. */
export type SlotMask = Uint32Array | BigUint64Array;

/**
 * Write (values[start..end) + mask) mod t into `slots32` (the Uint32Array
 * view of a BigUint64Array; high words stay zero since t < 2^32). Slots past
 * the values are zero plus mask. Checks every value is an integer in
 * [0, bound] and every mask value is below t.
 */
export function fillSlots(slots32: Uint32Array, values: Counts, start: number, end: number, bound: number, t: number, mask: SlotMask | undefined): void {
  const slotCount = slots32.length / 2;
  if (end - start > slotCount) throw new CryptoError('GENOFED_CRYPTO_INPUT', `a chunk holds at most ${slotCount} values, got ${end - start}`);
  if (mask !== undefined && mask.length !== slotCount) {
    throw new CryptoError('GENOFED_CRYPTO_INPUT', `a mask must have ${slotCount} values (one per slot), got ${mask.length}`);
  }
  const big = values instanceof BigUint64Array ? values : undefined;
  const bigBound = BigInt(bound);
  for (let i = 0; i < slotCount; i++) {
    let v = 0;
    const j = start + i;
    if (j < end) {
      if (big) {
        const b = big[j]!;
        if (b > bigBound) throw overBound(j);
        v = Number(b);
      } else {
        v = (values as ArrayLike<number>)[j]!;
        if (!(v >= 0 && Number.isInteger(v))) {
          throw new CryptoError('GENOFED_CRYPTO_INPUT', `the value at position ${j} is not a non-negative integer`);
        }
        if (v > bound) throw overBound(j);
      }
    }
    if (mask !== undefined) {
      const m = typeof mask[i] === 'bigint' ? Number(mask[i] as bigint) : (mask[i] as number);
      if (!(m < t)) throw new CryptoError('GENOFED_CRYPTO_OVERFLOW', `mask value at slot ${i} is not below the plain modulus`);
      v += m;
      if (v >= t) v -= t;
    }
    slots32[2 * i] = v;
    slots32[2 * i + 1] = 0;
  }
}

function overBound(position: number): CryptoError {
  return new CryptoError('GENOFED_CRYPTO_OVERFLOW', `the value at position ${position} exceeds the stated bound`);
}

/** Signed view of sums mod t: values above t/2 are negative (for noise shares and masked differences). */
export function centered(values: BigUint64Array, plainModulus: bigint): BigInt64Array {
  const out = new BigInt64Array(values.length);
  const half = plainModulus / 2n;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out[i] = v > half ? v - plainModulus : v;
  }
  return out;
}

/** Plain numbers; exact because every decrypted value is below t < 2^32. */
export function toNumbers(values: BigUint64Array | BigInt64Array): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Number(values[i]!);
  return out;
}
