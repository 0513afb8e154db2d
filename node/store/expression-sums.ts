/**
 * Exact sums of products of quantized values (proto/expression.ts: integers
 * at scale 2^24, safe integers) without a BigInt per product: the node's
 * X'X, X'y and y'y of the expression kinds. One BigInt product per pair
 * took 1.4 s for 20,000 genes x 300 samples x p = 4, a whole warm query
 * (log-CPM included) 0.3 s (node/store/README.md, "Expression").
 *
 * Why it is exact.
 * 1. Limbs. Each quantized integer v is split into K limbs of LIMB_BITS =
 *    21 bits, v = sum_k v_k 2^(21 k): v_k = floor(v / 2^(21 k)) mod 2^21 in
 *    [0, 2^21) for k < K-1, and the top limb v_(K-1) = floor(v / 2^(21
 *    (K-1))), signed. K is 2, or 3 when some |v| of the vector reaches
 *    2^41 (every safe integer fits: 2^62 > 2^53), so |top| <= 2^20 + 1 and
 *    every limb has magnitude <= 2^21. Splitting is exact: v / 2^m and
 *    floor are exact on doubles, and v - floor(v / 2^21) x 2^21 is an
 *    integer below 2^53.
 * 2. Chunk sums. A product of two limbs has magnitude <= 2^42, so a sum of
 *    at most CHUNK = 2^10 of them has magnitude <= 2^52: every partial sum
 *    is an integer a double holds exactly, so every product and addition is
 *    exact. sum_i a_i b_i = sum_(ka,kb) 2^(21 (ka + kb)) sum_i a_(i,ka)
 *    b_(i,kb).
 * 3. Combining (K = 2 both sides, the usual case: |value| < 2^17). Per
 *    chunk, w0 = s00, w1 = s01 + s10 (two sums <= 2^52: <= 2^53, exact),
 *    w2 = s11 give S = w0 + w1 2^21 + w2 2^42. With q = floor(w1 / 2^21)
 *    and r = w1 - q 2^21 in [0, 2^21) (exact, as in 1), S = A 2^42 + B for
 *    A = w2 + q (|A| <= 2^52 + 2^32) and B = w0 + r 2^21 (|B| < 2^52 +
 *    2^42): both below 2^53, so exact doubles, and two BigInt conversions
 *    per chunk give S. Other limb counts add each limb-pair sum into the
 *    BigInt at its weight.
 * The tests compare every path with one BigInt product per pair on random
 * and extreme values.
 */

export const LIMB_BITS = 21;
const RADIX = 2 ** LIMB_BITS;
/** Products summed in doubles before a BigInt flush: CHUNK x 2^42 <= 2^52, so two chunk sums still add exactly. */
export const CHUNK = 2 ** 10;
const SHIFTS = [0n, 21n, 42n, 63n, 84n];

/** A vector of quantized integers as K limb vectors (limbs[k][i]). */
export interface Limbs {
  readonly k: number;
  readonly limbs: readonly Float64Array[];
}

/** Limb count for a vector whose largest magnitude is `max` (a safe integer): 2, or 3 from 2^41. */
export function limbCount(max: number): number {
  return max < 2 ** (2 * LIMB_BITS - 1) ? 2 : 3;
}

/**
 * Split quantized integers (each a safe integer) into limbs; `into` holds
 * limb vectors to reuse (a per-gene scratch; grown in place when short).
 */
export function splitLimbs(values: Float64Array, n: number, into?: Float64Array[]): Limbs {
  let max = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(values[i]!);
    if (a > max) max = a;
  }
  const k = limbCount(max);
  const limbs: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    let l = into?.[j];
    if (!l || l.length < n) {
      l = new Float64Array(n);
      if (into) into[j] = l;
    }
    limbs.push(l);
  }
  const l0 = limbs[0]!;
  const l1 = limbs[1]!;
  const l2 = k === 3 ? limbs[2]! : null;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const hi = Math.floor(v / RADIX);
    l0[i] = v - hi * RADIX;
    if (l2) {
      const top = Math.floor(hi / RADIX);
      l1[i] = hi - top * RADIX;
      l2[i] = top;
    } else l1[i] = hi;
  }
  return { k, limbs };
}

/** S = w0 + w1 2^21 + w2 2^42 for chunk sums |w0|, |w2| <= 2^52 and |w1| <= 2^53 (point 3 above). */
function combine(w0: number, w1: number, w2: number): bigint {
  const q = Math.floor(w1 / RADIX);
  const b = w0 + (w1 - q * RADIX) * RADIX;
  const a = w2 + q;
  return a === 0 ? BigInt(b) : (BigInt(a) << 42n) + BigInt(b);
}

/** Two-limb vectors: four sums per chunk in one pass. */
function dot2(a: Limbs, b: Limbs, n: number): bigint {
  const x0 = a.limbs[0]!;
  const x1 = a.limbs[1]!;
  const y0 = b.limbs[0]!;
  const y1 = b.limbs[1]!;
  let total = 0n;
  for (let from = 0; from < n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK);
    let s00 = 0;
    let s01 = 0;
    let s10 = 0;
    let s11 = 0;
    for (let i = from; i < to; i++) {
      const a0 = x0[i]!;
      const a1 = x1[i]!;
      const b0 = y0[i]!;
      const b1 = y1[i]!;
      s00 += a0 * b0;
      s01 += a0 * b1;
      s10 += a1 * b0;
      s11 += a1 * b1;
    }
    total += combine(s00, s01 + s10, s11);
  }
  return total;
}

/** Two-limb vector squared: three sums per chunk (the cross term doubled: <= 2^53, exact). */
function square2(a: Limbs, n: number): bigint {
  const x0 = a.limbs[0]!;
  const x1 = a.limbs[1]!;
  let total = 0n;
  for (let from = 0; from < n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK);
    let s00 = 0;
    let s01 = 0;
    let s11 = 0;
    for (let i = from; i < to; i++) {
      const a0 = x0[i]!;
      const a1 = x1[i]!;
      s00 += a0 * a0;
      s01 += a0 * a1;
      s11 += a1 * a1;
    }
    total += combine(s00, 2 * s01, s11);
  }
  return total;
}

/** sum_i a_i b_i over i < n, exactly. */
export function exactDot(a: Limbs, b: Limbs, n: number): bigint {
  if (a.k === 2 && b.k === 2) return dot2(a, b, n);
  let total = 0n;
  for (let from = 0; from < n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK);
    for (let ka = 0; ka < a.k; ka++) {
      const x = a.limbs[ka]!;
      for (let kb = 0; kb < b.k; kb++) {
        const y = b.limbs[kb]!;
        let s = 0;
        for (let i = from; i < to; i++) s += x[i]! * y[i]!;
        if (s !== 0) total += BigInt(s) << SHIFTS[ka + kb]!;
      }
    }
  }
  return total;
}

/** sum_i a_i^2 over i < n, exactly (the symmetric limb pairs once, doubled). */
export function exactSquare(a: Limbs, n: number): bigint {
  if (a.k === 2) return square2(a, n);
  let total = 0n;
  for (let from = 0; from < n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK);
    for (let ka = 0; ka < a.k; ka++) {
      const x = a.limbs[ka]!;
      for (let kb = ka; kb < a.k; kb++) {
        const y = a.limbs[kb]!;
        let s = 0;
        for (let i = from; i < to; i++) s += x[i]! * y[i]!;
        if (s === 0) continue;
        const term = BigInt(s) << SHIFTS[ka + kb]!;
        total += ka === kb ? term : term << 1n;
      }
    }
  }
  return total;
}

/**
 * The design side of the sums: X (n x p, quantized, row-major) as limbs
 * per column, and X'X (p x p, row-major), computed once per query.
 */
export class DesignSums {
  readonly columns: Limbs[];
  readonly xtx: bigint[];

  constructor(readonly xq: Float64Array, readonly n: number, readonly p: number) {
    const col = new Float64Array(n);
    this.columns = [];
    for (let j = 0; j < p; j++) {
      for (let i = 0; i < n; i++) col[i] = xq[i * p + j]!;
      this.columns.push(splitLimbs(col, n));
    }
    this.xtx = new Array<bigint>(p * p);
    for (let a = 0; a < p; a++) {
      for (let b = a; b < p; b++) {
        const s = a === b ? exactSquare(this.columns[a]!, n) : exactDot(this.columns[a]!, this.columns[b]!, n);
        this.xtx[a * p + b] = s;
        this.xtx[b * p + a] = s;
      }
    }
  }

  /** X'y into out[offset..offset+p), and y'y returned, for one gene's quantized y (`scratch`: limb vectors reused across genes). */
  gene(yq: Float64Array, out: bigint[], offset: number, scratch: Float64Array[]): bigint {
    const y = splitLimbs(yq, this.n, scratch);
    for (let j = 0; j < this.p; j++) out[offset + j] = exactDot(this.columns[j]!, y, this.n);
    return exactSquare(y, this.n);
  }
}
