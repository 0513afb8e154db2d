/**
 * Histograms of one record's genotype codes over a one-stratum cohort (a
 * cohort query without strata, the common case): how many cohort members
 * carry each code, which aggregate.ts turns into AC, AN and the genotype
 * classes. Counting codes first and classifying each distinct code once
 * replaces a classification (and an unpredictable in/out-of-cohort branch)
 * per member.
 *
 * - dense records (one nibble per sample): two members sharing a byte are
 *   counted with one increment on the byte's value (1000G column order keeps
 *   a population's samples mostly adjacent); the byte histogram is folded
 *   into the 16 nibble codes.
 * - sparse byte-format records (listed samples, one byte each): a branchless
 *   increment by the member flag (0/1) of each listed column.
 *
 * A byte histogram is read back through the codes real data uses (COMMON_*)
 * and scanned in full only when their total falls short, so a record costs
 * its members plus a few dozen steps; the histogram is left zeroed.
 */
import type { FileCohort } from './aggregate.js';

/** What a one-stratum cohort needs per file, derived once from its FileCohort. */
export interface CohortPlan {
  /** 1 when the file's column is in the cohort, else 0. */
  readonly inCohort: Uint8Array;
  /** Dense-form byte indices whose two columns are both members. */
  readonly pairBytes: Int32Array;
  /** The other members' columns. */
  readonly singles: Int32Array;
}

const plans = new WeakMap<FileCohort, CohortPlan>();

/** The plan of a cohort (remembered as long as the FileCohort lives: selections are kept per catalog snapshot). */
export function planOf(cohort: FileCohort): CohortPlan {
  let p = plans.get(cohort);
  if (!p) {
    const n = cohort.stratumOf.length;
    const inCohort = new Uint8Array(n);
    for (const col of cohort.members) inCohort[col] = 1;
    const pairs: number[] = [];
    const singles: number[] = [];
    for (const col of cohort.members) {
      const mate = col ^ 1;
      if (mate < n && inCohort[mate] === 1) {
        if ((col & 1) === 0) pairs.push(col >> 1);
      } else {
        singles.push(col);
      }
    }
    p = { inCohort, pairBytes: Int32Array.from(pairs), singles: Int32Array.from(singles) };
    plans.set(cohort, p);
  }
  return p;
}

/** Nibbles of dense genotypes seen in practice: 0/0, 0/1, 1/0, 1/1, ./. (c1 | c2 << 2; c 1 missing, 2 REF, 3 ALT). */
const COMMON_NIBBLES = [10, 14, 11, 15, 5];
const COMMON_DENSE_BYTES = Int32Array.from(COMMON_NIBBLES.flatMap((lo) => COMMON_NIBBLES.map((hi) => lo | (hi << 4))));

/** Byte-format codes seen in practice: diploid over missing, REF, ALT 1-2, and haploid ones (high nibble 0). */
const COMMON_SPARSE_BYTES = Int32Array.from([
  ...[1, 2, 3, 4].flatMap((c1) => [1, 2, 3, 4].map((c2) => c1 | (c2 << 4))),
  0, 1, 2, 3, 4,
]);

/** Reused: one record's byte histogram (always returned to zero). */
const bytes = new Int32Array(256);

/**
 * Count the cohort members of a dense record by nibble code into `hist`
 * (16 entries, zeroed by the caller).
 */
export function denseHistogram(gt: Uint8Array, plan: CohortPlan, hist: Int32Array): void {
  const { pairBytes, singles } = plan;
  const h = bytes;
  for (let m = 0; m < pairBytes.length; m++) h[gt[pairBytes[m]!]!]!++;
  let seen = 0;
  for (let k = 0; k < COMMON_DENSE_BYTES.length; k++) {
    const v = COMMON_DENSE_BYTES[k]!;
    const c = h[v]!;
    if (c === 0) continue;
    hist[v & 15]! += c;
    hist[v >> 4]! += c;
    h[v] = 0;
    seen += c;
  }
  if (seen !== pairBytes.length) {
    for (let v = 0; v < 256; v++) {
      const c = h[v]!;
      if (c === 0) continue;
      hist[v & 15]! += c;
      hist[v >> 4]! += c;
    }
    h.fill(0);
  }
  for (let m = 0; m < singles.length; m++) {
    const col = singles[m]!;
    hist[(gt[col >> 1]! >> ((col & 1) << 2)) & 15]!++;
  }
}

/**
 * Count the cohort members listed in a sparse byte-format record by their
 * genotype byte: the distinct bytes go to `values` and their counts to
 * `counts` (both >= 256 long); returns how many distinct bytes, and the
 * number of listed members in `listed[0]`.
 */
export function sparseByteHistogram(samples: Uint8Array, gt: Uint8Array, listed: number, plan: CohortPlan, values: Int32Array, counts: Int32Array, listedOut: Int32Array): number {
  const { inCohort } = plan;
  const h = bytes;
  let i = 0;
  let col = 0;
  let members = 0;
  for (let k = 0; k < listed; k++) {
    let b = samples[i++]!;
    let v = b & 0x7f;
    let shift = 7;
    while (b & 0x80) {
      b = samples[i++]!;
      v |= (b & 0x7f) << shift;
      shift += 7;
    }
    col += v;
    const m = inCohort[col]!;
    h[gt[k]!]! += m;
    members += m;
  }
  listedOut[0] = members;
  let n = 0;
  let seen = 0;
  for (let k = 0; k < COMMON_SPARSE_BYTES.length; k++) {
    const v = COMMON_SPARSE_BYTES[k]!;
    const c = h[v]!;
    if (c === 0) continue;
    values[n] = v;
    counts[n++] = c;
    h[v] = 0;
    seen += c;
  }
  if (seen !== members) {
    for (let v = 0; v < 256; v++) {
      const c = h[v]!;
      if (c === 0) continue;
      values[n] = v;
      counts[n++] = c;
    }
    h.fill(0);
  }
  return n;
}
