/**
 * Differential privacy for the expression kinds (issue 12), written once
 * for both parties: the clipping bounds, what one person can change in each
 * sum a kind releases, and the coarser integer units those sums are
 * released in when the network has DP on.
 *
 * Clipping. One person's expression value is unbounded (a log value of
 * 10^6), so their change to y'y is too: with DP on the query carries a
 * clip C (DEFAULT_EXPR_CLIP for log-CPM; the researcher may choose another,
 * signed in the parameters) and every node clips y to [-C, C] before
 * quantizing it (proto/expression.ts). Covariates need no clip: a design
 * value is 0/1 (intercept, group, a categorical level), a dosage 0..2, or a
 * numeric column's stored bin lower edge, bounded by the schema's edges
 * (`designBounds`). Library sizes (the scale round) are clipped at
 * LIB_SIZE_CLIP in the released sum only (log-CPM still uses each sample's
 * own size).
 *
 * Sensitivity. Adding or removing one person changes, in the exact sums
 * (quantized values: products at scale 2^48, n at 1, library sizes at
 * 2^24), n by 1, X'X[i][j] by at most B_i B_j, X'y[j] by B_j Q_C and y'y by
 * Q_C^2 (B_j: the largest quantized |x_j|; Q_C: the quantized clip), and it
 * changes every such sum at once: in differential expression n, the X'X
 * triangle and, for each of the G genes, the p X'y sums and y'y; in an eQTL
 * query the same for each of the V variants (worst case: called at all).
 * Each group of sums changed by the same bound is a `SumFamily`.
 *
 * Fixed point under DP. The exact sums have units of 2^-48; Skellam noise
 * at that scale would need a mu of ~2^100 (the sampler is exact below
 * 2^50: proto/dp-accounting.ts MAX_SKELLAM_MU). So with DP on each sum is
 * released in units chosen for its family: rounded (half up) to a multiple
 * of 2^shift of its exact integer, with shift such that one person changes
 * it by at most 2^DP_SENSITIVITY_BITS released units (plus 1 for the
 * rounding, counted). Every released sum then carries the same Skellam
 * noise in its own units, so its noise is proportional to its sensitivity
 * (X'X, shared by every gene, comes out nearly exact; y'y, changed by C^2,
 * noisiest). L2 over all sums is ~2^8 x sqrt(K) for K sums, so mu is ~10 x
 * K x 2^16 at epsilon 1: 2^37 for 60,000 genes (K = 180,004), far below
 * 2^50, whatever the clip. The rounding (half a unit) is far below the
 * noise (sd >= 2^8 x sqrt(20 K) units at epsilon 1, >= 2^8 at epsilon 10).
 * Noise is added to the released integer, before it is cut into limbs
 * (the limbs of a 96-bit two's complement carry negative sums already).
 * Sums no person changes (how many sites hold counts) carry no noise.
 */
import { MAX_SKELLAM_MU, skellamMu, type Sensitivity } from './dp-accounting.js';
import { ProtoError } from './errors.js';
import { quantize } from './expression.js';
import { triangleSize, type DesignColumn } from './expression-design.js';
import { findSchemaColumn, type PhenotypeSchema } from './phenotype-schema.js';

/**
 * Why 16: log-CPM lies in about (-9, 19.94) (a count of 0 with a mean
 * library of 10^9 reads; every read in one gene), and log-intensities of
 * arrays in 2..16; genes above 2^16 CPM are clipped to 16. The noise on y'y
 * grows with C^2: a smaller clip, when the values allow, buys precision.
 */
export const DEFAULT_EXPR_CLIP = 16;

/** Largest clip a query may carry (a quantized value must stay a safe integer: proto/expression.ts). */
export const MAX_EXPR_CLIP = 1_000_000;

/** Why 10^8: deeper libraries are rare; a larger one counts as 10^8 reads in the released sum of library sizes (DP on). */
export const LIB_SIZE_CLIP = 1e8;

/** One person changes a released sum by at most 2^8 of its units (+1 for rounding): see the file comment. */
export const DP_SENSITIVITY_BITS = 8;

/** Sums one person changes by the same bound. */
export interface SumFamily {
  /** What the sums are, for the answer's noise report: `n`, `X'X[i,j]`, `X'y[j]`, `y'y`, `lib_size`, `sites`. */
  readonly name: string;
  /** Largest change one person makes to one such sum, in the exact sum's units; 0: no person changes it (it carries no noise). */
  readonly delta: bigint;
  /** The exact sum's fraction bits: 48 (products of quantized values), 24 (library sizes) or 0 (n). */
  readonly fractionBits: number;
  /** How many such sums one person can change in one release. */
  readonly count: number;
}

/** A family with its released units under DP. */
export interface DpSumFamily extends SumFamily {
  /** Released = round(exact / 2^shift), half up (a negative shift multiplies, exactly). */
  readonly shift: number;
  /** Largest change of one released integer: ceil(delta / 2^shift), <= 2^DP_SENSITIVITY_BITS. */
  readonly sensitivity: number;
}

function bitLength(x: bigint): number {
  return x <= 0n ? 0 : x.toString(2).length;
}

export function dpFamily(f: SumFamily): DpSumFamily {
  if (f.delta < 0n) throw new RangeError('dpFamily: a negative bound');
  if (f.delta === 0n) return { ...f, shift: 0, sensitivity: 0 };
  // 2^(shift + D) >= delta: bitLength(delta - 1) is ceil(log2 delta).
  const shift = bitLength(f.delta - 1n) - DP_SENSITIVITY_BITS;
  const sensitivity = shift > 0 ? Number((f.delta + (1n << BigInt(shift)) - 1n) >> BigInt(shift)) : Number(f.delta << BigInt(-shift));
  return { ...f, shift, sensitivity };
}

/** The released integer of an exact sum: round(exact / 2^shift), half up (BigInt >> floors). */
export function releaseSum(exact: bigint, shift: number): bigint {
  if (shift <= 0) return exact << BigInt(-shift);
  return (exact + (1n << BigInt(shift - 1))) >> BigInt(shift);
}

/** log2 of the value one released unit stands for: a released R is R x 2^(shift - fractionBits). */
export function releasedUnitLog2(f: DpSumFamily): number {
  return f.shift - f.fractionBits;
}

/** L1 and L2 over every sum one person can change. */
export function familiesSensitivity(families: readonly DpSumFamily[]): Sensitivity {
  let l1 = 0;
  let l2 = 0;
  for (const f of families) {
    l1 += f.count * f.sensitivity;
    l2 += f.count * f.sensitivity * f.sensitivity;
  }
  return { l1, l2: Math.sqrt(l2) };
}

/**
 * Largest |quantized value| (scale 2^24) of each design column: 1 for the
 * intercept, the group and a categorical level, `termMax` for the term (2
 * for a dosage), and for a numeric column its largest |stored bin lower
 * edge| (every edge but the last: values lie in [first, last)).
 */
export function designBounds(columns: readonly DesignColumn[], schema: PhenotypeSchema, termMax: number): bigint[] {
  return columns.map((c) => {
    const s = c.source;
    if (s.kind === 'intercept' || s.kind === 'level') return BigInt(quantize(1));
    if (s.kind === 'term') return BigInt(quantize(termMax));
    const col = findSchemaColumn(schema, s.column);
    if (!col || col.type === 'categorical') throw new RangeError(`designBounds: '${s.column}' is not a numeric schema column`);
    let max = 0;
    for (const e of col.bins.slice(0, -1)) max = Math.max(max, Math.abs(quantize(e)));
    return BigInt(max);
  });
}

/**
 * The families of a linear model's sums, in the order n, the X'X triangle
 * (row by row), X'y per column, y'y (`bounds`: designBounds; `clip`: C),
 * each changed in `blocks` blocks (eQTL: variants; DE: 1) and, for X'y and
 * y'y, for `genes` genes in each.
 */
export function modelFamilies(bounds: readonly bigint[], clip: number, genes: number, blocks: number): DpSumFamily[] {
  const p = bounds.length;
  const qc = BigInt(quantize(clip));
  const out: SumFamily[] = [{ name: 'n', delta: 1n, fractionBits: 0, count: blocks }];
  for (let i = 0; i < p; i++) for (let j = i; j < p; j++) out.push({ name: `X'X[${i},${j}]`, delta: bounds[i]! * bounds[j]!, fractionBits: 48, count: blocks });
  for (let j = 0; j < p; j++) out.push({ name: `X'y[${j}]`, delta: bounds[j]! * qc, fractionBits: 48, count: blocks * genes });
  out.push({ name: "y'y", delta: qc * qc, fractionBits: 48, count: blocks * genes });
  return out.map(dpFamily);
}

/**
 * The family of sum `i` in the slot order of proto/expression-design.ts
 * (n, X'X triangle, then per gene X'y and y'y), repeated per block of
 * `perBlock` sums (eQTL: one block per variant with one gene): an index
 * into modelFamilies' list.
 */
export function modelFamilyOf(p: number, perBlock: number): (i: number) => number {
  const tri = triangleSize(p);
  return (i) => {
    const r = i % perBlock;
    if (r <= tri) return r; // n, then the triangle
    return 1 + tri + ((r - 1 - tri) % (p + 1));
  };
}

/** The scale round's sums, in SCALE_SUMS order: n, library sizes (clipped, scale 2^24), and two site counts no person changes. */
export function scaleFamilies(): DpSumFamily[] {
  return [
    { name: 'n', delta: 1n, fractionBits: 0, count: 1 },
    { name: 'lib_size', delta: BigInt(quantize(LIB_SIZE_CLIP)), fractionBits: 24, count: 1 },
    { name: 'sites', delta: 0n, fractionBits: 0, count: 1 },
    { name: 'sites', delta: 0n, fractionBits: 0, count: 1 },
  ].map(dpFamily);
}

/**
 * With DP on (`epsilon` > 0): the query must carry a clip, and its noise
 * must stay in the sampler's exact range; refused otherwise, in the
 * envelope checks (before any budget is spent). Returns the mu.
 */
export function checkExpressionDp(kind: string, clip: number | undefined, families: readonly DpSumFamily[], epsilon: number): number {
  if (clip !== undefined && !(clip > 0)) throw new ProtoError('GENOFED_BAD_MESSAGE', `${kind}: DP is on: the query must carry a clip C > 0 (values are clipped to [-C, C] to bound one person's change)`);
  let mu = Number.POSITIVE_INFINITY;
  try {
    mu = skellamMu({ epsilon, norms: familiesSensitivity(families) });
  } catch {
    // beyond any practical noise: refused below
  }
  if (!(mu < MAX_SKELLAM_MU)) throw new ProtoError('GENOFED_BAD_MESSAGE', `${kind}: DP noise for this many sums at epsilon ${epsilon} would exceed the exact range (mu ${mu.toExponential(2)} >= 2^50); ask fewer genes or variants`);
  return mu;
}
