/**
 * The fixed-point contract of the expression kinds (issue 12), written once
 * for both parties.
 *
 * A node turns each value it sums (log-CPM or an ingested log value, a
 * covariate, a genotype dosage, 1 for the intercept) into an integer at
 * scale 2^EXPR_FRACTION_BITS (`quantize`), computes its sums of products
 * exactly (BigInt: X'X, X'y and y'y are at scale 2^(2 x 24)), and sends
 * each sum as EXPR_LIMBS limbs of EXPR_LIMB_BITS bits of its two's
 * complement modulo 2^EXPR_SUM_BITS (`encodeLimbs`), one limb per slot. A
 * limb slot's network sum is at most sites x (2^16 - 1), far below the plain
 * modulus (about 2^30) for up to 16,384 sites, so the masked BFV sum of each
 * limb is exact; the coordinator recombines the limb sums into the signed
 * network sum (`decodeLimbs`), exact while |sum| < 2^95.
 *
 * Range: the sums must stay below 2^95 in magnitude. With values below 2^10
 * (log-CPM is below 25, ages below 200), a quantized value is below 2^34, a
 * product of two below 2^68, and a sum over n samples below n x 2^68: up to
 * 2^26 (67 million) samples. A quantized value itself must be a safe
 * integer (|x| < 2^29).
 *
 * With DP on (proto/expression-dp.ts) the values are clipped to the
 * query's [-clip, clip] before they are quantized, and each exact sum is
 * released at a coarser scale chosen for its family (rounded to a multiple
 * of 2^shift, so one person changes it by at most 2^8 released units: mu
 * ~2^37 for 60,000 genes at epsilon 1, where the Poisson sampler is exact;
 * at 2^-48 it would need ~2^100), with the node's Skellam share added to
 * that integer before it is cut into limbs. The noise dwarfs both the 2^-24
 * quantization and the rounding (half a released unit against a noise sd
 * of >= 2^8 units).
 */
export const EXPR_FRACTION_BITS = 24;
export const EXPR_SCALE = 2 ** EXPR_FRACTION_BITS;
export const EXPR_LIMB_BITS = 16;
export const EXPR_LIMBS = 6;
export const EXPR_SUM_BITS = EXPR_LIMB_BITS * EXPR_LIMBS;

const MOD = 1n << BigInt(EXPR_SUM_BITS);
const HALF = MOD >> 1n;
const LIMB_MASK = (1n << BigInt(EXPR_LIMB_BITS)) - 1n;
const LIMB_SHIFT = BigInt(EXPR_LIMB_BITS);

/** The quantized value: round(x x 2^24), ties upward (R: floor(x * 2^24 + 0.5)). */
export function quantize(x: number): number {
  if (!Number.isFinite(x)) throw new RangeError('quantize: not a finite number');
  const q = Math.floor(x * EXPR_SCALE + 0.5);
  if (!Number.isSafeInteger(q)) throw new RangeError('quantize: value out of range');
  return q;
}

/** The value a quantized integer stands for. */
export function dequantize(q: number): number {
  return q / EXPR_SCALE;
}

/** Write S's limbs (two's complement mod 2^96, least significant first) at out[offset..offset+6). */
export function encodeLimbs(s: bigint, out: Uint32Array, offset: number): void {
  if (s >= HALF || s < -HALF) throw new RangeError('encodeLimbs: sum outside the 96-bit signed range');
  let e = s < 0n ? s + MOD : s;
  for (let k = 0; k < EXPR_LIMBS; k++) {
    out[offset + k] = Number(e & LIMB_MASK);
    e >>= LIMB_SHIFT;
  }
}

/** The signed network sum from summed limbs at totals[offset..offset+6) (each a non-negative integer). */
export function decodeLimbs(totals: ArrayLike<number>, offset: number): bigint {
  let e = 0n;
  for (let k = EXPR_LIMBS - 1; k >= 0; k--) {
    const v = totals[offset + k]!;
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError('decodeLimbs: a limb sum is not a non-negative integer');
    e = (e << LIMB_SHIFT) + BigInt(v);
  }
  e %= MOD;
  return e >= HALF ? e - MOD : e;
}

/**
 * edgeR's cpm(y, log = TRUE, prior.count) for one count: the prior is
 * scaled by the sample's library size over the mean library size (of the
 * samples analysed together, network-wide), and the library size grows by
 * twice the scaled prior: log2((count + p) / (libSize + 2 p) x 1e6) with
 * p = prior x libSize / meanLibSize.
 */
export function logCpm(count: number, libSize: number, meanLibSize: number, priorCount = 2): number {
  const p = (priorCount * libSize) / meanLibSize;
  return Math.log2((count + p) / (libSize + 2 * p)) + Math.log2(1e6);
}

/** The counters of an expression kind's layout: one value group is one sum's limbs. */
export const EXPR_LIMB_COUNTERS: readonly string[] = Object.freeze(Array.from({ length: EXPR_LIMBS }, (_, k) => `l${k}`));

/** Most genes one differential-expression query tests. */
export const MAX_GENES = 100_000;
