/**
 * The expression kinds' sums leave the node as limbs (proto/expression.ts):
 * exact with DP off; with DP on each sum is first released in its family's
 * units (proto/expression-dp.ts: rounded to a multiple of 2^shift, so one
 * person changes it by at most 2^8 units) and this site's Skellam share is
 * added to the integer, before it is cut into limbs: noise in the slots
 * would be added to each 16-bit limb, not to the sum. Sums no person
 * changes (delta 0) carry no noise.
 */
import { encodeLimbs, EXPR_LIMBS } from '../../proto/expression.js';
import { releaseSum, type DpSumFamily } from '../../proto/expression-dp.js';
import { noiseShare } from '../privacy/skellam.js';
import type { SumNoise } from './kind.js';

/** The limbs of `sums` (slot order), with `noise` as described above when given. */
export function encodeSums(sums: readonly bigint[], families: readonly DpSumFamily[], familyOf: (i: number) => number, noise?: SumNoise): Uint32Array {
  const out = new Uint32Array(sums.length * EXPR_LIMBS);
  const share = noise ? noiseShare({ mu: noise.mu, parties: noise.parties, length: sums.length }) : undefined;
  for (let i = 0; i < sums.length; i++) {
    let v = sums[i]!;
    if (share) {
      const f = families[familyOf(i)]!;
      v = releaseSum(v, f.shift);
      if (f.delta > 0n) v += BigInt(share[i]!);
    }
    encodeLimbs(v, out, i * EXPR_LIMBS);
  }
  return out;
}
